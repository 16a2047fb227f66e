import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { assertNoStack, brainmap, tmp, writeExperiment } from './helpers.js';

test('two experiment files with the same default name keep their own manifests; status shows both', { timeout: 300_000 }, () => {
  const dir = tmp('twins');
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  const a = writeExperiment(join(dir, 'a'), 'exp.yaml', 'datasets: [sim:fedorenko:units=0.2]\nfeatures: [sl]\n');
  const b = writeExperiment(join(dir, 'b'), 'exp.yaml', 'datasets: [sim:fedorenko:units=0.2]\nfeatures: [wp:sigma=1, wp:sigma=2]\n');
  const store = join(dir, 'store');
  for (const e of [a, b]) {
    const r = brainmap(['run', e, '--store', store, '--workers', '1']);
    assert.equal(r.status, 0, r.stderr);
  }
  assert.equal(readdirSync(join(store, 'experiments')).length, 2);
  const st = brainmap(['status', '--store', store]);
  assertNoStack(st.stderr);
  assert.equal(st.status, 0, st.stderr);
  assert.match(st.stdout, /: 3 jobs done, 0 being computed, 0 failed$/m);
  assert.match(st.stdout, new RegExp(`^  experiment exp \\(${a}\\): 1/1 done$`, 'm'));
  assert.match(st.stdout, new RegExp(`^  experiment exp \\(${b}\\): 2/2 done$`, 'm'));
});

test('status: the lock of a process that is gone is a stale lock, not a job being computed', { timeout: 120_000 }, () => {
  const dir = tmp('stalelock');
  const exp = writeExperiment(dir, 'e.yaml', 'datasets: [sim:fedorenko:units=0.2]\nfeatures: [sl]\n');
  const store = join(dir, 'store');
  const r = brainmap(['run', exp, '--store', store, '--workers', '1']);
  assert.equal(r.status, 0, r.stderr);
  // A process that has exited: its pid is free (as after a SIGKILL mid-job).
  const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
  const key = 'c'.repeat(32);
  writeFileSync(join(store, 'locks', `${key}.lock`), JSON.stringify({ pid: gone, host: hostname(), time: new Date().toISOString(), token: 't' }) + '\n');
  // A live one (this test process) stays "being computed".
  const live = 'd'.repeat(32);
  writeFileSync(join(store, 'locks', `${live}.lock`), JSON.stringify({ pid: process.pid, host: hostname(), time: new Date().toISOString(), token: 'u' }) + '\n');
  const st = brainmap(['status', '--store', store]);
  assertNoStack(st.stderr);
  assert.equal(st.status, 0, st.stderr);
  assert.match(st.stdout, /: 1 jobs done, 1 being computed, 0 failed, 1 stale lock \(owner gone; taken over by the next run\)$/m);
  const running = st.stdout.split('stale locks')[0];
  assert.match(running, new RegExp(`^${live} `, 'm'));
  assert.doesNotMatch(running, new RegExp(key));
  assert.match(st.stdout, new RegExp(`^${key} +${hostname()} +${gone} +\\S+ +its process ${gone} on ${hostname()} is gone$`, 'm'));
});
