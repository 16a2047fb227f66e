import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assertNoStack, brainmapWithFault, faultLog, snapshot, tmp, writeExperiment } from './helpers.js';

const EXPERIMENT = `
name: ro
datasets: [sim:fedorenko:units=0.2]
features: [sl, wp:sigma=1]
`;

test('a read-only store can be inspected: status and run --dry-run write nothing (no probe file, no folders) and work under EROFS', { timeout: 300_000 }, () => {
  const dir = tmp('readonly');
  const exp = writeExperiment(dir, 'ro.yaml', EXPERIMENT);
  const store = join(dir, 'store');
  const made = brainmapWithFault(['run', exp, '--store', store, '--workers', '1'], null);
  assert.equal(made.status, 0, made.stderr);
  const before = snapshot(store);

  // The store's file system is read-only: every change under it fails with EROFS.
  const log = join(dir, 'faults.log');
  const fault = { code: 'EROFS' as const, paths: [store], log };
  const st = brainmapWithFault(['status', '--store', store], fault);
  assertNoStack(st.stderr);
  assert.equal(st.status, 0, st.stderr);
  assert.match(st.stdout, new RegExp(`^store ${store}: 2 jobs done, 0 being computed, 0 failed$`, 'm'));
  assert.match(st.stdout, /experiment ro: 2\/2 done/);

  const stExp = brainmapWithFault(['status', exp, '--store', store], fault);
  assert.equal(stExp.status, 0, stExp.stderr);
  assert.match(stExp.stdout, /experiment ro: 2\/2 done/);

  const dry = brainmapWithFault(['run', exp, '--dry-run', '--store', store], fault);
  assertNoStack(dry.stderr);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /ro: 2 jobs, 2 done, 0 pending/);

  assert.deepEqual(faultLog(log), [], 'inspecting tried no write');
  assert.deepEqual(snapshot(store), before, 'the store is byte-identical, with the same mtimes');

  // A real run on the read-only store fails with one line naming the store.
  const run = brainmapWithFault(['run', exp, '--store', store], fault);
  assertNoStack(run.stderr);
  assert.equal(run.status, 2);
  assert.match(run.stderr, new RegExp(`^error: ${store}: store: cannot be used as a results store: read-only file system \\(EROFS\\)\\n$`));
});
