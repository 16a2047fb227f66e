/**
 * Issue 12 point 8: an unusable output location (a file, a path under a file, a folder where a
 * file must go) is found before anything is computed; if writing still fails at the end, the
 * result is printed and the failure is one error line; no temporary files are left behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertUsageError, brainmap, tmp } from './cli-helpers.js';
import { tinyDataset } from '../tiny-dataset.js';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('--out that is a file or lies under a file fails before computing, on every command that writes', async () => {
  const dir = tmp('out');
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const under = join(file, 'sub');
  const cases: Array<[string[], RegExp]> = [
    [['score', '--dataset', 'sim:fedorenko', '--features', 'sl', '--out', file], new RegExp(`^error: ${esc(file)}: --out: exists and is a file; expected a folder for the results`)],
    [['score', '--dataset', 'sim:fedorenko', '--features', 'sl', '--out', under], new RegExp(`^error: ${esc(under)}: --out: cannot create the folder: ${esc(file)} is a file, not a folder$`)],
    [['partition', '--dataset', 'sim:fedorenko', '--a', 'sl', '--b', 'sl', '--out', join(under, 'deeper')], new RegExp(`^error: ${esc(join(under, 'deeper'))}: --out: cannot create the folder: ${esc(file)} is a file, not a folder$`)],
    [['audit', '--dataset', 'sim:fedorenko', '--features', 'sl', '--out', file], new RegExp(`^error: ${esc(file)}: --out: exists and is a file`)],
    [['demo', '--out', under], new RegExp(`^error: ${esc(under)}: --out: cannot create the folder: ${esc(file)} is a file, not a folder$`)],
    [['features', 'lm', '--model', 'gpt2-untrained', '--dataset', 'sim:fedorenko', '--out', file], new RegExp(`^error: ${esc(file)}: --out: exists and is a file`)],
    [['report', dir, '--out', dir], new RegExp(`^error: ${esc(dir)}: --out: is a folder; expected a file path$`)],
    [['report', dir, '--out', join(under, 'r.html')], new RegExp(`^error: ${esc(join(under, 'r.html'))}: --out: cannot create the file: ${esc(file)} is a file, not a folder$`)],
    [['report', dir, '--figures', under], new RegExp(`^error: ${esc(under)}: --figures: cannot create the folder: ${esc(file)} is a file, not a folder$`)],
  ];
  const results = await Promise.all(cases.map(([args]) => brainmap(args)));
  results.forEach((r, i) => {
    assertUsageError(r, cases[i][1]);
    assert.equal(r.stdout, '', `${cases[i][0].join(' ')}: nothing is computed or printed`);
  });
  // No temporary files (report used to leave <dir>.tmp-<pid> beside a folder given as --out).
  assert.deepEqual(readdirSync(dir), ['a-file']);
  assert.ok(!readdirSync(join(dir, '..')).some((n) => n.startsWith(`${dir.split('/').pop()}.tmp-`)));
});

test('score: when writing fails at the end, the result is still printed and the failure is one line, with no temp files', async () => {
  const dir = tmp('late');
  const text = join(dir, 'text');
  const json = join(dir, 'json');
  // score.json is a folder: the location passes the check, the final rename cannot replace it.
  mkdirSync(join(text, 'score.json'), { recursive: true });
  mkdirSync(join(json, 'score.json'), { recursive: true });
  const [t, j] = await Promise.all([
    brainmap(['score', '--dataset', 'sim:fedorenko', '--features', 'wp:sigma=4.7', '--out', text]),
    brainmap(['score', '--dataset', 'sim:fedorenko', '--features', 'wp:sigma=4.7', '--out', json, '--json']),
  ]);
  assertUsageError(t, new RegExp(`^error: ${esc(join(text, 'score.json'))}: --out: cannot write the results \\(is a directory, expected a file\\); they are printed above instead$`));
  assert.match(t.stdout, /\ndataset {2}R² 0\.\d{4} ± /);
  assertUsageError(j, new RegExp(`^error: ${esc(join(json, 'score.json'))}: --out: cannot write the results`));
  assert.equal(typeof (JSON.parse(j.stdout) as { dataset: { r2: number } }).dataset.r2, 'number');
  assert.deepEqual(readdirSync(text), ['score.json']);
  assert.deepEqual(readdirSync(json), ['score.json']);
});

test('partition and audit: a late write failure still prints the result, one error line, no temp files', async () => {
  const dir = tmp('late2');
  const p = join(dir, 'p');
  const a = join(dir, 'a');
  mkdirSync(join(p, 'partition.json'), { recursive: true });
  mkdirSync(join(a, 'audit.json'), { recursive: true });
  const data = tinyDataset(join(dir, 'data'));
  const [rp, ra] = await Promise.all([
    // A tiny dataset and one band-weight sample: what is checked is the writing at the end.
    brainmap(['partition', '--dataset', data, '--a', 'sl', '--b', 'sp', '--n-iter', '1', '--out', p]),
    brainmap(['audit', '--dataset', data, '--features', 'sl', '--simple', 'sp', '--oasm', 'oasm:sigma=2', '--n-iter', '1', '--no-brainscore', '--out', a, '--json']),
  ]);
  assertUsageError(rp, new RegExp(`^error: ${esc(join(p, 'partition.json'))}: --out: cannot write the results`));
  assert.match(rp.stdout, /mean Ω /);
  assert.deepEqual(readdirSync(p), ['partition.json']);
  assertUsageError(ra, new RegExp(`^error: ${esc(join(a, 'audit.json'))}: --out: cannot write the results`));
  assert.equal((JSON.parse(ra.stdout) as { kind: string }).kind, 'audit');
  assert.ok(!readdirSync(a).some((n) => n.includes('.tmp-')), readdirSync(a).join(', '));
});
