/**
 * Noise ceilings (docs/method.md §9) against closed forms and against scripts/make-ceiling-fixtures.py,
 * a numpy re-implementation run on simulated datasets with a known ceiling (test/fixtures/ceiling/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDatasetFolder } from '../../src/io/folder.js';
import { getBackend } from '../../src/linalg/index.js';
import { computeCeilings, normaliseScores } from '../../src/pipeline/ceiling.js';
import type { ScoreResult } from '../../src/pipeline/score.js';
import { combinations, extrapolateUnit, fitSaturating, halfSplits, saturating, spearmanBrown, splitHalfReliability } from '../../src/scoring/ceiling.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'ceiling');
interface SplitHalfRef { n_stimuli: number; n_repeats: number; n_splits: number; r_half: number[]; reliability: number[]; ceiling: number[] }
const REF = JSON.parse(readFileSync(join(FIX, 'reference.json'), 'utf8')) as {
  split_half: { a: SplitHalfRef; b: SplitHalfRef; true_ceiling: number[]; true_reliability_one: number[]; subjects: string[] };
  subject_pool: { subjects: string[]; sizes: number[]; mean_score: number[][]; n_scores: number[][]; ceiling: number[]; true_ceiling: number; first_unit_v0: number[] };
  fit_exact: { xs: number[]; ys: number[]; v0: number; tau: number; numpy_v0: number; numpy_tau: number };
};

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

test('Spearman–Brown: closed forms', () => {
  close(spearmanBrown(0.5, 2), 2 / 3, 1e-15, 'SB(0.5, 2)');
  close(spearmanBrown(0.6, 1), 0.6, 1e-15, 'k = 1 is the identity');
  // Down and up again: SB(SB(r, 1/2), 2) = r.
  close(spearmanBrown(spearmanBrown(0.7, 0.5), 2), 0.7, 1e-15, 'round trip');
  // One presentation of reliability ρ1, mean of m: SB(ρ1, m) = mρ1/(1+(m−1)ρ1).
  close(spearmanBrown(0.25, 4), 1 / 1.75, 1e-15, 'SB(0.25, 4)');
});

test('half splits: all unordered splits when few (3 for 4 repeats, 15 for 5), seeded random ones when many', () => {
  const four = halfSplits(4);
  assert.deepEqual(four.map((s) => [Array.from(s.a), Array.from(s.b)]), [[[0, 1], [2, 3]], [[0, 2], [1, 3]], [[0, 3], [1, 2]]]);
  assert.equal(halfSplits(5).length, 15);
  assert.equal(halfSplits(2).length, 1);
  assert.equal(combinations(5, 2).length, 10);
  const many = halfSplits(11);
  assert.equal(many.length, 100);
  for (const { a, b } of many) {
    assert.equal(a.length, 5);
    assert.equal(b.length, 5);
    assert.ok(Array.from(a).every((i) => !b.includes(i)));
  }
});

test('split-half by hand: two repeats of three stimuli, r between the repeats, ceiling √r', () => {
  // rows: stimulus s, repeat q at row s·2 + q; one unit.
  const y = { rows: 6, cols: 1, data: Float64Array.from([1, 2, 2, 2, 3, 5]) };
  const [u] = splitHalfReliability(y, Int32Array.from([0, 1, 2, 3, 4, 5]), 2, halfSplits(2));
  // halves (1, 2, 3) and (2, 2, 5): r = 3/√(2·6) = √3/2.
  close(u.rHalf, Math.sqrt(3) / 2, 1e-15, 'r');
  close(u.reliability, Math.sqrt(3) / (1 + Math.sqrt(3) / 2), 1e-15, 'SB');
  close(u.reliabilityOne, u.rHalf, 1e-15, 'one presentation of two = one half');
  close(u.ceiling, Math.sqrt(u.rHalf), 1e-15, 'ceiling');
  // Anti-correlated halves: reliability < 0 → no ceiling.
  const [v] = splitHalfReliability({ rows: 6, cols: 1, data: Float64Array.from([1, 3, 2, 2, 3, 1]) }, Int32Array.from([0, 1, 2, 3, 4, 5]), 2, halfSplits(2));
  assert.ok(Number.isNaN(v.ceiling));
});

test('split-half on the simulated folder equals numpy to 1e-9 and recovers the known ceiling within sampling error', async () => {
  const dataset = readDatasetFolder(join(FIX, 'split-half'));
  const res = await computeCeilings(dataset);
  assert.equal(res.method, 'split-half');
  assert.deepEqual(res.experiments.map((e) => e.experiment), ['a', 'b']);
  for (const e of res.experiments) {
    const ref = REF.split_half[e.experiment as 'a' | 'b'];
    assert.equal(e.nStimuli, ref.n_stimuli);
    assert.equal(e.nRepeats, ref.n_repeats);
    assert.equal(e.nSplits, ref.n_splits);
    for (let j = 0; j < 12; j++) {
      close(e.rHalf![j], ref.r_half[j], 1e-9, `${e.experiment} r_half[${j}]`);
      close(e.reliability![j], ref.reliability[j], 1e-9, `${e.experiment} reliability[${j}]`);
      close(e.ceiling[j], ref.ceiling[j], 1e-9, `${e.experiment} ceiling[${j}]`);
    }
  }
  // Experiment a: 200 stimuli, 4 repeats. The split-half r estimates SB(ρ1, 2) for the known
  // single-presentation reliability ρ1 = 1/(1 + σ²); its Fisher z has SE ≤ 1/√(S − 3) (averaging
  // over splits only lowers it). The true ceiling lies within 4 SE, mapped through SB and √.
  const a = res.experiments[0];
  for (let j = 0; j < 12; j++) {
    const z = Math.atanh(a.rHalf![j]);
    const se = 1 / Math.sqrt(200 - 3);
    const toCeiling = (r: number) => Math.sqrt(Math.max(0, spearmanBrown(r, 1 / 2)));
    const lo = toCeiling(Math.tanh(z - 4 * se));
    const hi = toCeiling(Math.tanh(z + 4 * se));
    const truth = REF.split_half.true_ceiling[j];
    assert.ok(lo <= truth && truth <= hi, `unit ${j}: true ceiling ${truth} outside [${lo}, ${hi}] (estimate ${a.ceiling[j]})`);
  }
  // Per subject: the median over its units (both experiments).
  assert.deepEqual(res.subjects.map((s) => s.subject), ['1', '2', '3']);
  for (const s of res.subjects) {
    const mine = REF.split_half.subjects.flatMap((x, j) => (x === s.subject ? [REF.split_half.a.ceiling[j], REF.split_half.b.ceiling[j]] : [])).filter((c) => c > 0).sort((p, q) => p - q);
    close(s.ceiling, (mine[3] + mine[4]) / 2, 1e-9, `subject ${s.subject} median`);
  }
});

test('the saturating fit recovers an exact curve and equals the numpy profile fit', () => {
  const { xs, ys, v0, tau, numpy_v0, numpy_tau } = REF.fit_exact;
  const fit = fitSaturating(xs, ys)!;
  close(fit.v0, v0, 1e-7, 'v0');
  close(fit.tau, tau, 1e-6, 'τ');
  close(fit.v0, numpy_v0, 1e-9, 'v0 vs numpy');
  close(fit.tau, numpy_tau, 1e-9 * numpy_tau, 'τ vs numpy');
  close(saturating(1e9, 0.4, 2), 0.4, 1e-15, 'asymptote');
  // A flat curve: τ → small, v0 = the mean; values above 1 are clipped to v0 = 1.
  close(fitSaturating([2, 3, 4], [0.3, 0.3, 0.3])!.v0, 0.3, 1e-12, 'flat');
  assert.equal(fitSaturating([2, 3, 4], [2, 2, 2])!.v0, 1);
  assert.equal(fitSaturating([2], [0.3]), null);
});

test('bootstrap extrapolation: one legacy MT19937(0) stream, numpy choice draws (equal scores give their value)', () => {
  const { ceiling, v0 } = extrapolateUnit([2, 3, 4], [[0.5, 0.5], [0.5], [0.5, 0.5, 0.5]]);
  close(ceiling, 0.5, 1e-12, 'flat ceiling');
  assert.equal(v0.length, 100);
  assert.ok(Number.isNaN(extrapolateUnit([2, 3], [[0.5], []]).ceiling), 'one size is not a curve');
});

test("subject-pool (Brain-Score's extrapolation) on the simulated folder equals numpy to 1e-9", async () => {
  const dataset = readDatasetFolder(join(FIX, 'subject-pool'));
  const res = await computeCeilings(dataset, { backend: getBackend('auto') });
  assert.equal(res.method, 'subject-pool');
  const [e] = res.experiments;
  assert.deepEqual(e.poolSizes, REF.subject_pool.sizes);
  for (let j = 0; j < 15; j++) for (let k = 0; k < 4; k++) close(e.meanScores![j][k], REF.subject_pool.mean_score[j][k], 1e-9, `mean score [${j}][${k}]`);
  for (let j = 0; j < 15; j++) close(e.ceiling[j], REF.subject_pool.ceiling[j], 1e-9, `ceiling[${j}]`);
  // The asymptote sits below the true √0.5 (OLS from a finite pool at 108 training samples) but above half of it.
  assert.ok(res.ceiling > REF.subject_pool.true_ceiling / 2 && res.ceiling < REF.subject_pool.true_ceiling, `median ${res.ceiling}`);
});

test('normalising: r / ceiling, R² / ceiling², units without a ceiling left out and counted', async () => {
  const dataset = readDatasetFolder(join(FIX, 'split-half'));
  const ceilings = await computeCeilings(dataset, { experiments: ['a'] });
  const c = ceilings.experiments[0].ceiling;
  c[3] = NaN; // a unit whose reliability is ≤ 0
  const r = Float64Array.from({ length: 12 }, (_, j) => 0.1 + 0.02 * j);
  const r2 = Float64Array.from(r, (v) => v * v);
  const result = { experiments: [{ experiment: 'a', unitIndex: Int32Array.from({ length: 12 }, (_, j) => j), subjects: REF.split_half.subjects, r, r2 }] } as unknown as ScoreResult;
  const n = normaliseScores(result, ceilings);
  assert.equal(n.nExcluded, 1);
  close(n.experiments[0].r[0], r[0] / c[0], 1e-15, 'r');
  close(n.experiments[0].r2[5], r2[5] / (c[5] * c[5]), 1e-15, 'R²');
  const s1 = [0, 1, 2].map((j) => r[j] / c[j]).reduce((p, q) => p + q, 0) / 3;
  close(n.r.subjects[0].value, s1, 1e-15, 'subject 1 mean over its units with a ceiling');
  assert.equal(n.subjectCeilings[0].nExcluded, 1);
});

test('samples.csv repeat column: a stimulus may repeat with distinct repeat labels; bad input is one error line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ceil-'));
  cpSync(join(FIX, 'split-half'), dir, { recursive: true });
  const csv = readFileSync(join(dir, 'samples.csv'), 'utf8').split('\n');
  // A duplicated repeat label for one stimulus.
  const dup = csv.slice();
  dup[201] = dup[201].replace(/,2$/, ',1');
  writeFileSync(join(dir, 'samples.csv'), dup.join('\n'));
  assert.throws(() => readDatasetFolder(dir), { message: `${dir}/samples.csv: repeat: stimulus 's0' of experiment 'a' has repeat '1' on lines 2 and 202; expected each repeat of a stimulus once` });
  const empty = csv.slice();
  empty[5] = empty[5].replace(/,1$/, ',');
  writeFileSync(join(dir, 'samples.csv'), empty.join('\n'));
  assert.throws(() => readDatasetFolder(dir), { message: `${dir}/samples.csv: repeat: line 6 has an empty repeat label` });
});

test('split-half needs the same repeats for every stimulus', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ceil-'));
  cpSync(join(FIX, 'split-half'), dir, { recursive: true });
  const csv = readFileSync(join(dir, 'samples.csv'), 'utf8').split('\n');
  csv[201] = csv[201].replace(/,2$/, ',7');
  writeFileSync(join(dir, 'samples.csv'), csv.join('\n'));
  await assert.rejects(computeCeilings(readDatasetFolder(dir)), { message: `${dir}/samples.csv: repeat: stimulus 's1' of experiment 'a' has repeats 1, 2, 3, 4; expected the same repeats as stimulus 's0' (1, 3, 4, 7)` });
});

test('the library exports the ceiling calls (src/index.ts)', async () => {
  const lib = await import('../../src/index.js');
  assert.equal(lib.computeCeilings, computeCeilings);
  assert.equal(lib.normaliseScores, normaliseScores);
  assert.equal(lib.spearmanBrown, spearmanBrown);
  assert.equal(typeof lib.ceilingsToJson, 'function');
});
