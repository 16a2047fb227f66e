import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseExperiment } from '../../src/pipeline/sweep/experiment.js';
import { planExperiment } from '../../src/pipeline/sweep/plan.js';
import { ResultStore } from '../../src/pipeline/sweep/store.js';
import { assertNoStack, brainmap, cliChild, doneKeys, exitsWithin, freePort, redisOn, sleep, tmp, waitFor, writeExperiment } from './helpers.js';

// Liveness bound: a worker asked to stop must be gone well within this (it used to stay for minutes).
const STOP_BOUND_MS = 15_000;

/** Worker log lines about the connection (and any raw error dump). */
function connectionLines(stderr: string): { lost: string[]; restored: string[]; raw: string[] } {
  const lines = stderr.split('\n');
  return {
    lost: lines.filter((l) => /lost the connection to Redis/.test(l)),
    restored: lines.filter((l) => /connection to Redis at \S+ restored/.test(l)),
    raw: lines.filter((l) => /ECONNREFUSED|Error:/.test(l) && !/lost the connection to Redis/.test(l)),
  };
}

test('queue worker, idle: Redis goes away, comes back and goes away again — one line per change, and SIGTERM stops it within seconds', { timeout: 300_000 }, async (t) => {
  const dir = tmp('sigterm-idle');
  const port = await freePort();
  let redis = await redisOn(port);
  const worker = cliChild(['worker', '--queue', redis.url, '--store', join(dir, 'store'), '--workers', '1']);
  t.after(async () => {
    if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    await redis.stop();
  });
  await waitFor('the worker to start', () => /worker \S+ on redis:/.test(worker.stderr_()) || worker.exitCode !== null, 120_000);
  await redis.stop();
  await waitFor('the worker to notice', () => connectionLines(worker.stderr_()).lost.length > 0, 30_000);
  await sleep(3000); // ioredis keeps retrying meanwhile
  redis = await redisOn(port);
  await waitFor('the worker to reconnect', () => connectionLines(worker.stderr_()).restored.length > 0, 60_000);
  await redis.stop();
  await waitFor('the worker to notice again', () => connectionLines(worker.stderr_()).lost.length > 1, 30_000);
  await sleep(2000);
  worker.kill('SIGTERM');
  const r = await exitsWithin(worker, STOP_BOUND_MS);
  const err = worker.stderr_();
  assert.notEqual(r, 'alive', `the worker ignored SIGTERM:\n${err}`);
  assert.equal(r !== 'alive' && r.code, 0, err);
  assertNoStack(err);
  const c = connectionLines(err);
  assert.equal(c.lost.length, 2, err);
  assert.equal(c.restored.length, 1, err);
  assert.deepEqual(c.raw, [], 'no raw error dumps');
  // Which error reports the loss depends on timing: a reset of the open connection, or a refused reconnect.
  assert.match(c.lost[0], /lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+ \((ECONNREFUSED|ECONNRESET|EPIPE)\); reconnecting/);
  assert.match(err, /stopped: 0 jobs completed/);
});

test('queue worker, busy: Redis goes away mid-job; SIGTERM finishes the running job into the store (or hands back one still waiting) and exits; twice stops at once', { timeout: 900_000 }, async (t) => {
  const dir = tmp('sigterm-busy');
  const exp = writeExperiment(dir, 'busy.yaml', 'name: busy\ndatasets: [sim:fedorenko:units=0.2]\nfeatures: [wp:sigma=1]\nsplits: [contiguous, shuffled]\n');
  const store = join(dir, 'store');
  const children: ReturnType<typeof cliChild>[] = [];
  const port = await freePort();
  let redis = await redisOn(port);
  t.after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await redis.stop();
  });
  const locks = () => readdirSync(join(store, 'locks')).filter((f) => f.endsWith('.lock')).map((f) => f.slice(0, -5));
  const worker = () => {
    const w = cliChild(['worker', '--queue', redis.url, '--store', store, '--workers', '1']);
    children.push(w);
    return w;
  };
  const enqueue = () => {
    const r = brainmap(['run', exp, '--store', store, '--queue', redis.url]);
    assert.equal(r.status, 0, r.stderr);
  };
  enqueue();

  // 1. Computing, SIGTERM once: the job is finished and committed to the store, then it exits.
  const a = worker();
  await waitFor('worker A to start a job', () => locks().length > 0 || a.exitCode !== null, 300_000, 10);
  const job = locks()[0];
  await redis.stop();
  a.kill('SIGTERM');
  const ra = await exitsWithin(a, 300_000);
  assert.notEqual(ra, 'alive', `worker A ignored SIGTERM:\n${a.stderr_()}`);
  assertNoStack(a.stderr_());
  assert.ok(doneKeys(store).includes(job), `the running job was finished into the store:\n${a.stderr_()}`);
  assert.deepEqual(locks(), [], 'its store lock was released');
  assert.deepEqual(connectionLines(a.stderr_()).raw, [], 'no raw error dumps');

  // 2. Waiting for a job another live process holds (this test), SIGTERM once: it goes back now.
  redis = await redisOn(port);
  enqueue(); // the fresh Redis lost the queue; the job that is done is not enqueued again
  const plan = await planExperiment(parseExperiment(readFileSync(exp, 'utf8'), exp, dir));
  const other = plan.jobs.map((j) => j.key).find((k) => k !== job) as string;
  assert.ok(!doneKeys(store).includes(other));
  const claim = ResultStore.open(store).tryClaim(other);
  assert.ok(claim);
  const b = worker();
  await waitFor('worker B to wait for the held job', () => /is locked by another process; waiting for it/.test(b.stderr_()) || b.exitCode !== null, 300_000);
  await redis.stop();
  b.kill('SIGTERM');
  const rb = await exitsWithin(b, STOP_BOUND_MS);
  claim.release();
  assert.notEqual(rb, 'alive', `worker B ignored SIGTERM:\n${b.stderr_()}`);
  assertNoStack(b.stderr_());
  assert.deepEqual(connectionLines(b.stderr_()).raw, [], 'no raw error dumps');

  // 3. Computing, SIGTERM twice: it stops now (the job goes back) and exits.
  redis = await redisOn(port);
  enqueue();
  const c = worker();
  await waitFor('worker C to start a job', () => locks().length > 0 || c.exitCode !== null, 300_000, 10);
  await redis.stop();
  c.kill('SIGTERM');
  await sleep(300);
  c.kill('SIGTERM');
  const rc = await exitsWithin(c, STOP_BOUND_MS);
  assert.notEqual(rc, 'alive', `worker C ignored two SIGTERMs:\n${c.stderr_()}`);
  assertNoStack(c.stderr_());
  assert.match(c.stderr_(), /stopping now; running jobs go back to the queue/);
  assert.deepEqual(locks(), [], 'its store lock was released');
  assert.deepEqual(readdirSync(join(store, 'tmp')), [], 'nothing half-written');
  assert.deepEqual(connectionLines(c.stderr_()).raw, [], 'no raw error dumps');
});
