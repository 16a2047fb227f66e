/**
 * `brainmap ceiling`, `score --normalise ceiling` and the report's ceiling table, on the simulated
 * folders of test/fixtures/ceiling (numpy values from scripts/make-ceiling-fixtures.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CeilingJson } from '../../src/pipeline/ceiling.js';
import type { ScoreJson } from '../../src/pipeline/results.js';
import { cliEntry } from '../cli-entry.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const FIX = join(root, 'test', 'fixtures', 'ceiling');
const REF = JSON.parse(readFileSync(join(FIX, 'reference.json'), 'utf8')) as {
  split_half: { a: { ceiling: number[] }; b: { ceiling: number[] }; subjects: string[] };
};

function brainmap(...args: string[]) {
  return spawnSync(process.execPath, [...cliEntry(), ...args], { encoding: 'utf8', cwd: root });
}

const median = (v: number[]) => { const s = [...v].sort((p, q) => p - q); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const close = (a: number | null, b: number, tol: number, what: string) => assert.ok(a !== null && Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('brainmap ceiling --json: per-subject medians of the numpy unit ceilings; no repeats → one error line, exit 2', () => {
  const r = brainmap('ceiling', '--dataset', join(FIX, 'split-half'), '--json');
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout) as CeilingJson;
  assert.equal(json.method, 'split-half');
  for (const s of json.subjects) {
    const mine = REF.split_half.subjects.flatMap((x, j) => (x === s.subject ? [REF.split_half.a.ceiling[j], REF.split_half.b.ceiling[j]] : []));
    close(s.ceiling, median(mine), 1e-9, `subject ${s.subject}`);
  }
  close(json.ceiling, median([...REF.split_half.a.ceiling, ...REF.split_half.b.ceiling]), 1e-9, 'dataset');
  const bad = brainmap('ceiling', '--dataset', join(FIX, 'subject-pool'), '--method', 'split-half');
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, `error: ${join(FIX, 'subject-pool')}: repeat: the split-half ceiling needs repeated presentations: a repeat column in samples.csv\n`);
});

test('score --normalise ceiling: subject r/c and R²/c² from units.csv and the numpy ceilings; the report shows the ceiling table', () => {
  const out = mkdtempSync(join(tmpdir(), 'ceil-score-'));
  const r = brainmap('score', '--dataset', join(FIX, 'split-half'), '--features', 'sp', '--estimator', 'ols', '--normalise', 'ceiling', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout) as ScoreJson;
  assert.ok(json.ceiling, 'score.json has a ceiling block');
  assert.equal(json.ceiling.method, 'split-half');
  assert.equal(json.ceiling.n_units_excluded, 0);
  // Independent aggregation: per (subject, experiment) mean over units of r/c, clipped at 0, mean over experiments.
  // Columns by name (units.csv starts with dataset, features, split, estimator since issue 16.6).
  const [header, ...lines] = readFileSync(join(out, 'units.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const rows = lines;
  const at = (name: string) => { const i = header.indexOf(name); assert.ok(i >= 0, `units.csv has a ${name} column`); return i; };
  const [iExp, iUnit, iSubject] = [at('experiment'), at('unit'), at('subject')];
  const cOf = (exp: string, unit: string) => REF.split_half[exp as 'a' | 'b'].ceiling[Number(unit.slice(1))];
  for (const s of json.ceiling.subjects) {
    for (const [metric, col, pow] of [['r', at('r'), 1], ['r2', at('r2'), 2]] as const) {
      const perExp = ['a', 'b'].map((e) => {
        const v = rows.filter((x) => x[iExp] === e && x[iSubject] === s.subject).map((x) => Number(x[col]) / cOf(e, x[iUnit]) ** pow);
        return Math.max(0, v.reduce((p, q) => p + q, 0) / v.length);
      });
      close(s[metric], (perExp[0] + perExp[1]) / 2, 1e-9, `subject ${s.subject} ${metric}`);
    }
  }
  assert.equal(readFileSync(join(out, 'ceilings.csv'), 'utf8').split('\n')[0], 'experiment,unit,subject,ceiling,r_half,reliability');
  const rep = brainmap('report', out, '--out', join(out, 'report.html'));
  assert.equal(rep.status, 0, rep.stderr);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.ok(html.includes('Noise ceiling (split-half) and ceiling-normalised scores'), 'the report has the ceiling table');
  assert.ok(html.includes(json.ceiling.subjects[0].ceiling!.toFixed(3)), 'with the subject ceiling');
});
