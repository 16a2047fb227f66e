import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { manifestFileName } from '../../src/pipeline/sweep/store.js';
import { brainmap, brainmapChild, doneKeys, exited, tmp, waitFor, writeExperiment } from './helpers.js';

// 12 jobs of a fraction of a second each: WP at 6 σ (one job per σ) × 2 split schemes.
const EXPERIMENT = `
name: resume
datasets: [sim:fedorenko:units=0.2]
features:
  - spec: wp:sigma=0,0.5,1,1.5,2,2.5
    expand: true
splits: [shuffled, contiguous]
`;

function jobJson(store: string, key: string): { computed: { pid: number; run: string } } {
  return JSON.parse(readFileSync(join(store, 'jobs', key, 'job.json'), 'utf8')) as { computed: { pid: number; run: string } };
}

test('a local run killed midway resumes: the rerun computes only the missing jobs, and results equal an uninterrupted run', { timeout: 600_000 }, async (t) => {
  const dir = tmp('resume');
  const exp = writeExperiment(dir, 'resume.yaml', EXPERIMENT);
  const store = join(dir, 'store');
  const t0 = Date.now();

  // 1. Start, and SIGKILL once a few jobs are done.
  const first = brainmapChild(['run', exp, '--store', store, '--workers', '2']);
  t.after(() => { if (first.exitCode === null && first.signalCode === null) first.kill('SIGKILL'); });
  await waitFor('4 finished jobs', () => doneKeys(store).length >= 4 || first.exitCode !== null, 90_000);
  first.kill('SIGKILL');
  const { signal } = await exited(first);
  assert.equal(signal, 'SIGKILL', `the first run ended before it was killed:\n${first.out()}`);
  const doneBefore = doneKeys(store);
  assert.ok(doneBefore.length >= 4 && doneBefore.length < 12, `killed midway (${doneBefore.length} of 12 done)`);
  for (const k of doneBefore) assert.equal(jobJson(store, k).computed.pid, first.pid);

  // 2. Rerun: only the missing jobs are computed.
  const second = brainmapChild(['run', exp, '--store', store, '--workers', '2']);
  const r2 = await exited(second);
  assert.equal(r2.code, 0, second.out());
  const missing = 12 - doneBefore.length;
  assert.match(second.out(), new RegExp(`resume: 12 jobs — computed ${missing}, already in the store ${doneBefore.length}, failed 0`));
  const doneAfter = doneKeys(store);
  assert.equal(doneAfter.length, 12);
  const recomputed = doneAfter.filter((k) => jobJson(store, k).computed.pid === second.pid);
  assert.deepEqual(recomputed, doneAfter.filter((k) => !doneBefore.includes(k)), 'the rerun computed exactly the jobs the killed run had not finished');
  assert.deepEqual(readdirSync(join(store, 'locks')), [], 'no locks left');
  assert.deepEqual(readdirSync(join(store, 'tmp')), [], 'partial writes of the killed run are cleaned up');

  // 3. A third run computes nothing.
  const third = brainmap(['run', exp, '--store', store, '--workers', '2']);
  assert.equal(third.status, 0, third.stderr);
  assert.match(third.stdout, /resume: 12 jobs — computed 0, already in the store 12, failed 0/);

  // 4. An uninterrupted run into another store gives byte-identical results.
  const ref = join(dir, 'reference');
  const full = brainmap(['run', exp, '--store', ref, '--workers', '2']);
  assert.equal(full.status, 0, full.stderr);
  assert.deepEqual(doneKeys(ref), doneAfter);
  for (const k of doneAfter) {
    for (const f of ['score.json', 'units.csv']) {
      assert.equal(readFileSync(join(store, 'jobs', k, f), 'utf8'), readFileSync(join(ref, 'jobs', k, f), 'utf8'), `${k}/${f}`);
    }
  }
  assert.ok(existsSync(join(store, 'experiments', manifestFileName('resume', exp))));
  // The results table lists every job with its score.
  assert.match(full.stdout, /^sim:fedorenko +wp:sigma=2\.5 +contiguous +ridge +42 +-?\d\.\d{4} +-?\d\.\d{4} +[0-9a-f]{12}$/m);
  t.diagnostic(`kill-and-resume test took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});
