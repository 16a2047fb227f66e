import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoStack, brainmapWithFault, doneKeys, faultLog, tmp, writeExperiment } from './helpers.js';

// Six jobs of a fraction of a second each.
const EXPERIMENT = `
name: full-disk
datasets: [sim:fedorenko:units=0.2]
features:
  - spec: wp:sigma=0,0.5,1,1.5,2,2.5
    expand: true
`;

test('store full (ENOSPC): the run stops at the first failed write with one error line and leaves no temporary files; the same command resumes once there is space', { timeout: 300_000 }, () => {
  const dir = tmp('enospc');
  const exp = writeExperiment(dir, 'full.yaml', EXPERIMENT);
  const store = join(dir, 'store');
  const log = join(dir, 'faults.log');
  // The disk fills up once the run has started: results and failure records no longer fit (the
  // store's start-up probe, the manifest and the locks still did).
  const fault = { code: 'ENOSPC' as const, paths: [join(store, 'tmp'), join(store, 'failed')], log, spare: /\/tmp\/probe-/ };
  const r = brainmapWithFault(['run', exp, '--store', store, '--workers', '1'], fault);
  assertNoStack(r.stderr);
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], new RegExp(`^error: ${store.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: store: cannot write the result of job [0-9a-f]{32}: no space left on the device \\(ENOSPC\\); the run stopped \\(0 of 6 jobs are in the store; `));
  assert.doesNotMatch(r.stderr, /^failed /m, 'no per-job failure lines: the run stopped at the first');
  assert.equal(faultLog(log).length, 1, `one failed write, then the run stopped:\n${faultLog(log).join('\n')}`);
  assert.deepEqual(readdirSync(join(store, 'tmp')), [], 'no temporary result folders');
  assert.deepEqual(readdirSync(join(store, 'failed')), [], 'no failure records or their temporary files');
  assert.deepEqual(readdirSync(join(store, 'locks')), [], 'claims released');

  // With space again, the same command computes everything.
  const again = brainmapWithFault(['run', exp, '--store', store, '--workers', '1'], null);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /full-disk: 6 jobs — computed 6, already in the store 0, failed 0/);
  assert.equal(doneKeys(store).length, 6);
});
