import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseExperiment } from '../../src/pipeline/sweep/experiment.js';
import { planExperiment } from '../../src/pipeline/sweep/plan.js';
import { brainmap, brainmapChild, doneKeys, exited, queueTestSetup, tmp, waitFor, writeExperiment } from './helpers.js';

// One grid job (two σ, selected per fold), its 20 units in chunks of 8 (3 chunks), fitted in unit
// batches of 8 everywhere.
const EXPERIMENT = `
name: chunked-queue
datasets: [sim:fedorenko:units=0.2]
features: ['wp:sigma=0.5,2']
unit_chunk: 8
`;

/** Chunk numbers (1-based, as the worker logs them) a worker's log says it computed. */
function computedChunks(log: string, key: string): number[] {
  return [...log.matchAll(new RegExp(`${key} chunk (\\d+) of \\d+ computed`, 'g'))].map((m) => Number(m[1]));
}

test('queue: one fit in 3 unit chunks — a worker SIGKILLed mid-chunk loses nothing (its chunk is retried elsewhere, its finished chunk is not computed again), and 3 workers merge the same score.json and units.csv as a local run', { timeout: 900_000 }, async (t) => {
  const { redis, children } = await queueTestSetup(t);
  const dir = tmp('queue-chunks');
  const exp = writeExperiment(dir, 'chunked.yaml', EXPERIMENT);
  const [job] = (await planExperiment(parseExperiment(EXPERIMENT, exp, dir))).jobs;
  assert.deepEqual(job.chunks, { size: 8, count: 3 });

  // The reference: the same experiment run here, whole.
  const local = brainmap(['run', exp, '--store', join(dir, 'local'), '--workers', '1', '--unit-batch', '8'], { timeout: 600_000 });
  assert.equal(local.status, 0, `${local.stdout}${local.stderr}`);

  const store = join(dir, 'store');
  const e = brainmap(['run', exp, '--store', store, '--queue', redis.url, '--unit-batch', '8']);
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, /chunked-queue: 1 jobs — 0 already in the store, 3 enqueued/);
  assert.match(e.stdout, /1 job split into 3 chunks of 8 units\n/);

  // Worker A computes chunk 1 (and the decompositions), then stops in chunk 2 until killed.
  const hold = join(dir, 'hold');
  mkdirSync(hold);
  const workerArgs = ['worker', '--queue', redis.url, '--store', store, '--workers', '1', '--unit-batch', '8', '--lock-duration', '2000', '--stalled-interval', '1000'];
  const a = brainmapChild(workerArgs, { BRAINMAP_TEST_HOLD_CHUNK: `1:${hold}` });
  children.push(a);
  await waitFor('worker A to hold chunk 2', () => readdirSync(hold).some((f) => f.startsWith('held-')) || a.exitCode !== null, 300_000);
  assert.equal(a.exitCode, null, a.out());
  const part0 = join(store, 'chunks', job.key, 'part-0.json');
  assert.ok(existsSync(part0), a.out());
  assert.ok(!existsSync(join(store, 'chunks', job.key, 'part-1.json')));
  assert.ok(existsSync(join(store, 'chunks', job.key, 'factors-g1', 'done')), 'the decompositions of both grid values are in the store');
  assert.ok(existsSync(join(store, 'locks', `${job.key}.c1.lock`)), 'chunk 2 is claimed by worker A');
  a.kill('SIGKILL');
  await exited(a);
  assert.deepEqual(computedChunks(a.out(), job.key), [1]);

  // Three more workers finish the job: the killed worker's chunk is taken back and computed.
  const others = [0, 1, 2].map(() => brainmapChild([...workerArgs, '--exit-when-drained']));
  children.push(...others);
  for (const w of others) {
    const r = await exited(w);
    assert.equal(r.code, 0, w.out());
  }
  const logs = others.map((w) => w.out()).join('\n');
  assert.deepEqual(computedChunks(logs, job.key).sort(), [2, 3], logs);
  assert.deepEqual(doneKeys(store), [job.key]);
  // Merged from its chunks (a merge whose queue lock lapsed on a loaded machine may be taken up
  // again by another worker, which then finds it in the store: no log count here).
  const record = JSON.parse(readFileSync(join(store, 'jobs', job.key, 'job.json'), 'utf8')) as { computed: { chunks?: number; unit_chunk?: number } };
  assert.equal(record.computed.chunks, 3);
  assert.equal(record.computed.unit_chunk, 8);
  assert.equal(statSync(part0, { throwIfNoEntry: false }), undefined, 'the chunks are removed once merged');

  for (const f of ['score.json', 'units.csv']) {
    assert.equal(readFileSync(join(store, 'jobs', job.key, f), 'utf8'), readFileSync(join(dir, 'local', 'jobs', job.key, f), 'utf8'), f);
  }
  assert.ok(!existsSync(join(store, 'chunks', job.key)));
  assert.deepEqual(readdirSync(join(store, 'locks')), []);
});
