import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../../src/io/dataset.js';
import { getBackend } from '../../src/linalg/index.js';
import { specScoreToJson } from '../../src/pipeline/results.js';
import { scoreSpec } from '../../src/pipeline/score-spec.js';
import { parseExperiment } from '../../src/pipeline/sweep/experiment.js';
import { planExperiment, type SweepJob } from '../../src/pipeline/sweep/plan.js';
import { writeNpy } from '../../src/io/npy.js';
import { brainmap, brainmapChild, doneKeys, exited, freePort, queueTestSetup, tmp, waitFor, writeExperiment } from './helpers.js';

// 50 good jobs: OASM at 2 σ (slow enough to be killed mid-job) and WP at 23 σ, one job per σ,
// × 2 split schemes; plus 2 jobs that always fail (their feature file changes after planning, so
// every worker reads content that differs from the plan: a deterministic error, not retried).
const WP_SIGMAS = Array.from({ length: 23 }, (_, i) => (i * 0.2).toFixed(1)).join(',');
const EXPERIMENT = `
name: queue-test
datasets: [sim:fedorenko:units=0.2]
features:
  - spec: oasm:sigma=1,2
    expand: true
  - spec: wp:sigma=${WP_SIGMAS}
    expand: true
  - file:late.npy
splits: [shuffled, contiguous]
`;

interface Lock { pid: number }

function lockOwners(store: string): { key: string; pid: number }[] {
  const out: { key: string; pid: number }[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(join(store, 'locks'));
  } catch {
    return out;
  }
  for (const f of files) {
    if (!f.endsWith('.lock')) continue;
    try {
      out.push({ key: f.slice(0, -5), pid: (JSON.parse(readFileSync(join(store, 'locks', f), 'utf8')) as Lock).pid });
    } catch {
      // being written or removed
    }
  }
  return out;
}

test('queue: two workers on a real Redis, one SIGKILLed mid-job — every job completes, the killed one elsewhere; failures end in the dead-letter list', { timeout: 900_000 }, async (t) => {
  const t0 = Date.now();
  const { redis, children } = await queueTestSetup(t);
  const dir = tmp('queue');
  const exp = writeExperiment(dir, 'queue.yaml', EXPERIMENT);
  const store = join(dir, 'store');
  writeNpy(join(dir, 'late.npy'), new Float64Array(416 * 2).map((_, i) => Math.cos(i)), [416, 2]);
  const plan = await planExperiment(parseExperiment(EXPERIMENT, exp, dir));
  assert.equal(plan.jobs.length, 52);
  const good = plan.jobs.filter((j) => !j.features.startsWith('file'));
  const bad = plan.jobs.filter((j) => j.features.startsWith('file'));

  // Enqueue twice: the second time adds nothing (job id = store key).
  const e1 = brainmap(['run', exp, '--store', store, '--queue', redis.url, '--attempts', '3', '--backoff', '100']);
  assert.equal(e1.status, 0, e1.stderr);
  assert.match(e1.stdout, /queue-test: 52 jobs — 0 already in the store, 52 enqueued, 0 already queued/);
  const e2 = brainmap(['run', exp, '--store', store, '--queue', redis.url]);
  assert.equal(e2.status, 0, e2.stderr);
  assert.match(e2.stdout, /queue-test: 52 jobs — 0 already in the store, 0 enqueued, 52 already queued/);
  writeNpy(join(dir, 'late.npy'), new Float64Array(416 * 2).map((_, i) => Math.sin(i)), [416, 2]);

  const workerArgs = ['worker', '--queue', redis.url, '--store', store, '--workers', '1', '--lock-duration', '2000', '--stalled-interval', '1000', '--exit-when-drained'];
  const a = brainmapChild(workerArgs);
  const b = brainmapChild(workerArgs);
  children.push(a, b);

  // Kill worker A while it computes an OASM job (about a second each).
  let victim: SweepJob | undefined;
  await waitFor('worker A to hold an OASM job', () => {
    const held = lockOwners(store).find((l) => l.pid === a.pid && plan.jobs.find((j) => j.key === l.key)?.features.startsWith('oasm'));
    if (held) victim = plan.jobs.find((j) => j.key === held.key);
    return victim !== undefined || a.exitCode !== null;
  }, 120_000, 10);
  a.kill('SIGKILL');
  await exited(a);
  assert.ok(victim, `worker A never held an OASM job:\n${a.out()}`);
  assert.ok(!doneKeys(store).includes(victim.key), 'A was killed before finishing its job');

  // B finishes everything (including A's job, after its lock expires) and exits by itself.
  const rb = await exited(b);
  assert.equal(rb.code, 0, b.out());
  assert.deepEqual(doneKeys(store), good.map((j) => j.key).sort(), 'every good job is in the store');
  const victimRecord = JSON.parse(readFileSync(join(store, 'jobs', victim.key, 'job.json'), 'utf8')) as { computed: { pid: number } };
  assert.equal(victimRecord.computed.pid, b.pid, "the killed worker's job was retried by the other worker");
  assert.deepEqual(readdirSync(join(store, 'locks')), []);

  // Results are correct: the killed job and two others equal an in-process fit (to float32
  // rounding: the regressions' products run in float32, and BLAS kernels may round differently
  // with another thread layout or buffer alignment).
  const backend = getBackend();
  backend.setThreads(1);
  const dataset = await loadDataset('sim:fedorenko:units=0.2');
  for (const j of [victim, good[10], good[good.length - 1]]) {
    const stored = JSON.parse(readFileSync(join(store, 'jobs', j.key, 'score.json'), 'utf8')) as ReturnType<typeof specScoreToJson>;
    const direct = specScoreToJson(await scoreSpec(dataset, j.features, { split: j.split, seed: j.seed, estimator: j.estimator, alphas: j.alphas, backend }));
    assert.equal(stored.features, j.features);
    assert.equal(stored.settings.split, j.split);
    assert.ok(Math.abs(stored.dataset.r2 - direct.dataset.r2) < 1e-6, `${j.features} ${j.split}: R² ${stored.dataset.r2} vs ${direct.dataset.r2}`);
    // r is undefined (null in JSON, NaN in memory) where a fold's prediction is constant (OASM, contiguous).
    stored.subjects.forEach((s, i) => assert.ok(s.r === null ? Number.isNaN(direct.subjects[i].r) : Math.abs(s.r - direct.subjects[i].r) < 1e-6, `${j.features} ${j.split} subject ${i}: r ${s.r} vs ${direct.subjects[i].r}`));
  }

  // Status: the queue's counts, the store's, and the dead letters with their last error.
  const st = brainmap(['status', exp, '--store', store, '--queue', redis.url]);
  assert.equal(st.status, 0, st.stderr);
  assert.match(st.stdout, /store .*: 50 jobs done, 0 being computed, 2 failed/);
  assert.match(st.stdout, /experiment queue-test: 50\/52 done, 2 pending/);
  assert.match(st.stdout, /waiting 0, active 0, delayed \(retry backoff\) 0, completed 50, failed 2;/);
  for (const j of bad) {
    assert.match(st.stdout, new RegExp(`${j.key} +sim:fedorenko +file:\\S+late\\.npy +${j.split} +1 +\\S+ +\\S+late\\.npy: features: content differs from the planned file`));
  }
  // Re-enqueueing skips what is done and leaves the dead letters alone unless asked (with the
  // planned content back in late.npy, so that those are the same jobs).
  writeNpy(join(dir, 'late.npy'), new Float64Array(416 * 2).map((_, i) => Math.cos(i)), [416, 2]);
  const e3 = brainmap(['run', exp, '--store', store, '--queue', redis.url]);
  assert.match(e3.stdout, /queue-test: 52 jobs — 50 already in the store, 0 enqueued, 0 already queued, 2 in the failed set \(--retry-failed to run them again\)/);

  // Graceful shutdown: SIGTERM stops an idle worker cleanly.
  const c = brainmapChild(['worker', '--queue', redis.url, '--store', store, '--workers', '1']);
  children.push(c);
  await waitFor('worker C to start', () => /worker \S+ on redis:/.test(c.out()) || c.exitCode !== null, 60_000);
  c.kill('SIGTERM');
  const rc = await exited(c);
  assert.equal(rc.code, 0, c.out());
  assert.match(c.out(), /stopping after the running jobs[\s\S]*stopped: 0 jobs completed, 0 failed attempts/);
  t.diagnostic(`queue test took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

test('queue: an unreachable Redis fails fast with a clear message (run --queue, worker, status)', { timeout: 600_000 }, async () => {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const dir = tmp('noredis');
  const exp = writeExperiment(dir, 'e.yaml', 'datasets: [sim:fedorenko:units=0.2]\nfeatures: [sl]\n');
  const expected = `error: ${url}: queue: cannot connect to Redis (connect ECONNREFUSED 127.0.0.1:${port}); is redis-server running there and reachable from this machine?\n`;
  for (const args of [['run', exp, '--store', join(dir, 's'), '--queue', url], ['worker', '--queue', url, '--store', join(dir, 's')], ['status', '--store', join(dir, 's'), '--queue', url]]) {
    const r = brainmap(args, { timeout: 180_000 });
    assert.equal(r.status, 2, `${args[0]}: ${r.stderr}`);
    assert.equal(r.stderr, expected);
  }
  const bad = brainmap(['worker', '--queue', 'localhost:6379', '--store', join(dir, 's')]);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'error: localhost:6379: queue: expected redis://host:port (or rediss://host:port for TLS), e.g. redis://127.0.0.1:6379\n');
});
