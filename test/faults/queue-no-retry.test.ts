import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { assertNoStack, brainmap, cliChild, exitsWithin, startRedis, tmp, writeExperiment } from './helpers.js';

test('queue: a deterministic input error fails the job at once instead of being retried --attempts times', { timeout: 600_000 }, async (t) => {
  const redis = await startRedis();
  const dir = tmp('no-retry');
  const children: ReturnType<typeof cliChild>[] = [];
  t.after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await redis.stop();
  });
  const features = join(dir, 'x.npy');
  writeNpy(features, new Float64Array(416 * 2).map((_, i) => Math.cos(i)), [416, 2]);
  const exp = writeExperiment(dir, 'x.yaml', 'name: x\ndatasets: [sim:fedorenko:units=0.2]\nfeatures: [file:x.npy]\n');
  const store = join(dir, 'store');
  const e = brainmap(['run', exp, '--store', store, '--queue', redis.url, '--attempts', '3', '--backoff', '100']);
  assert.equal(e.status, 0, e.stderr);
  // The file changes after planning: every attempt would read the same wrong content.
  writeNpy(features, new Float64Array(416 * 2).map((_, i) => Math.sin(i)), [416, 2]);
  const w = cliChild(['worker', '--queue', redis.url, '--store', store, '--workers', '1', '--exit-when-drained']);
  children.push(w);
  const r = await exitsWithin(w, 400_000);
  assert.notEqual(r, 'alive', w.stderr_());
  assertNoStack(w.stderr_());
  assert.match(w.stderr_(), /failed \(attempt 1 of 3, not retried: the same input gives the same error; see brainmap status\): \S+x\.npy: features: content differs from the planned file/);
  assert.doesNotMatch(w.stderr_(), /will retry/);
  const st = brainmap(['status', exp, '--store', store, '--queue', redis.url]);
  assert.equal(st.status, 0, st.stderr);
  assert.match(st.stdout, /failed 1;/);
  assert.match(st.stdout, /^[0-9a-f]{32} +sim:fedorenko +file:\S+x\.npy +contiguous +1 +\S+ +\S+x\.npy: features: content differs/m, 'one attempt, in the dead-letter list');
});
