import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertNoStack, brainmap, doneKeys, tmp, writeExperiment } from './helpers.js';

const EXPERIMENT = `
name: broken
datasets: [sim:fedorenko:units=0.2]
features: [sl, wp:sigma=1, wp:sigma=2]
`;

test('broken store entries (truncated or empty score.json, a folder without `done`) are named, counted by status, moved to quarantine/ and recomputed', { timeout: 300_000 }, () => {
  const dir = tmp('broken');
  const exp = writeExperiment(dir, 'broken.yaml', EXPERIMENT);
  const store = join(dir, 'store');
  const first = brainmap(['run', exp, '--store', store, '--workers', '1']);
  assert.equal(first.status, 0, first.stderr);
  const keys = doneKeys(store);
  assert.equal(keys.length, 3);
  const [truncated, empty, unfinished] = keys;
  const score = (k: string) => join(store, 'jobs', k, 'score.json');
  const good = readFileSync(score(truncated), 'utf8');
  truncateSync(score(truncated), Math.floor(good.length / 2));
  writeFileSync(score(empty), '');
  rmSync(join(store, 'jobs', unfinished, 'done'));

  // status reads only: it counts and names the broken entries instead of calling them done.
  const st = brainmap(['status', '--store', store]);
  assertNoStack(st.stderr);
  assert.equal(st.status, 0, st.stderr);
  assert.match(st.stdout, /: 0 jobs done, 0 being computed, 0 failed, 3 broken \(the next run moves them to quarantine\/ and computes them again\)/);
  assert.match(st.stdout, new RegExp(`${truncated} +score\\.json is not valid JSON \\(truncated\\?\\)`));
  assert.match(st.stdout, new RegExp(`${empty} +score\\.json is empty`));
  assert.match(st.stdout, new RegExp(`${unfinished} +no \`done\` marker`));
  const dry = brainmap(['run', exp, '--dry-run', '--store', store]);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /broken: 3 jobs, 0 done, 3 pending \(3 of them broken in the store\)/);

  // The run names each one, moves it aside and computes it again (no SyntaxError, no ENOTEMPTY).
  const second = brainmap(['run', exp, '--store', store, '--workers', '1']);
  assertNoStack(second.stderr);
  assert.equal(second.status, 0, second.stderr);
  for (const k of [truncated, empty, unfinished]) {
    assert.match(second.stderr, new RegExp(`^${store}/jobs/${k}: broken result \\(.+\\); moved to ${store}/quarantine/${k}\\.\\S+ and computed again$`, 'm'));
  }
  assert.match(second.stdout, /broken: 3 jobs — computed 3, already in the store 0, failed 0/);
  assert.equal(readFileSync(score(truncated), 'utf8'), good, 'recomputed to the same result');
  assert.deepEqual(doneKeys(store), keys);
  const q = readdirSync(join(store, 'quarantine'));
  assert.equal(q.length, 3);
  for (const f of q) assert.ok(existsSync(join(store, 'quarantine', f, 'QUARANTINED')), `${f} says why it is there`);
  assert.deepEqual(readdirSync(join(store, 'tmp')), []);

  const after = brainmap(['status', '--store', store]);
  assert.equal(after.status, 0, after.stderr);
  assert.match(after.stdout, /: 3 jobs done, 0 being computed, 0 failed, 3 in quarantine\//);
  const third = brainmap(['run', exp, '--store', store, '--workers', '1']);
  assert.equal(third.status, 0, third.stderr);
  assert.match(third.stdout, /broken: 3 jobs — computed 0, already in the store 3, failed 0/);
});
