import { test } from 'node:test';
import assert from 'node:assert/strict';
import { omega, partitionUnit } from '../../src/scoring/partition.js';
import { averageByLabel, combineSeeds, correctedColumn, unitSignificance, type ErrorMatrix } from '../../src/scoring/significance.js';

test('Ω by hand (METHODS §5.7): the simple model explains all, half, none of the model\'s variance', () => {
  // simple 0.10, model 0.08, joint 0.10 → the model adds nothing: Ω = 100.
  assert.equal(omega(0.1, 0.08, 0.1), 100);
  // simple 0.04, model 0.08, joint 0.08 → the model adds 0.04 of its 0.08: Ω = 50.
  assert.ok(Math.abs(omega(0.04, 0.08, 0.08) - 50) < 1e-12);
  // simple 0, model 0.08, joint 0.08 → Ω = 0.
  assert.equal(omega(0, 0.08, 0.08), 0);
  // joint below the model is raised to it; a model at 0 gives 100.
  assert.ok(Math.abs(omega(0.02, 0.08, 0.05) - 25) < 1e-12);
  assert.equal(omega(0.1, 0, 0.1), 100);
  // An intercept-only fit's R² of 1e-16 is rounding noise, not explained variance: still 100.
  assert.equal(omega(0, 1.1102230246251565e-16, 0), 100);
  // more than all of it (joint < simple): clipped to 100.
  assert.equal(omega(0.2, 0.05, 0.1), 100);
});

test('unit-wise partition: unique and shared parts add up to the joint R²', () => {
  const p = partitionUnit(0.1, 0.08, 0.14);
  assert.ok(Math.abs(p.uniqueA - 0.06) < 1e-15 && Math.abs(p.uniqueB - 0.04) < 1e-15 && Math.abs(p.shared - 0.04) < 1e-15);
  assert.ok(Math.abs(p.uniqueA + p.uniqueB + p.shared - p.joint) < 1e-15);
  const q = partitionUnit(-0.02, NaN, -0.01);
  assert.deepEqual([q.a, q.b, q.joint], [0, 0, 0]);
  // The joint value is the banded fit's own (clipped), the one Ω averages — not raised to max(A, B).
  const r = partitionUnit(0.1, 0.08, 0.05);
  assert.equal(r.joint, 0.05);
  assert.ok(Math.abs(r.uniqueA + 0.03) < 1e-15 && Math.abs(r.uniqueB + 0.05) < 1e-15 && Math.abs(r.shared - 0.13) < 1e-15);
});

const em = (rows: number[][]): ErrorMatrix => ({ rows: rows.length, units: rows[0].length, data: Float32Array.from(rows.flat()) });

test('significance helpers: the lowest-mean candidate, block means in sorted label order, mean (not sum) over seeds', () => {
  const int = em([[1, 1], [1, 1]]);
  const model = em([[0.5, 3], [0.7, 3]]);
  assert.deepEqual(Array.from(correctedColumn([int, model], 0)), [0.5, 0.699999988079071]);
  assert.deepEqual(Array.from(correctedColumn([int, model], 1)), [1, 1]);
  assert.deepEqual(Array.from(averageByLabel([1, 2, 3, 5], ['b', 'a', 'b', 'a'])), [3.5, 2]);
  assert.deepEqual(Array.from(combineSeeds([em([[2]]), em([[4]])], 'mean').data), [3]);
  assert.deepEqual(Array.from(combineSeeds([em([[2]]), em([[4]])], 'sum').data), [6]);
});

test('unit-wise test: a model that lowers every error is significant; one that does not is not (p = 1 when identical)', () => {
  const n = 40;
  const rows = (f: (i: number) => [number, number]) => em(Array.from({ length: n }, (_, i) => f(i)));
  const intercept = rows(() => [1, 1]);
  const simple = rows((i) => [0.9 + 0.01 * (i % 5), 0.9]);
  const model = rows((i) => [0.6 + 0.01 * (i % 7), 0.95]);
  const joint = rows((i) => [0.5 + 0.01 * (i % 3), 0.9]);
  const res = unitSignificance({
    experiments: [{ intercept, simple, model, joint, rowBlocks: Array.from({ length: n }, (_, i) => String(Math.floor(i / 4))), unitIndex: [0, 1] }],
    subjectOf: () => 's1',
    blocking: 'none',
  });
  assert.ok(res.units[0].p < 1e-10, `unit 0 p ${res.units[0].p}`);
  assert.equal(res.units[1].p, 1);
  assert.equal(res.subjects[0].percentSignificant, 50);
  const blocked = unitSignificance({
    experiments: [{ intercept, simple, model, joint, rowBlocks: Array.from({ length: n }, (_, i) => String(Math.floor(i / 4))), unitIndex: [0, 1] }],
    subjectOf: () => 's1',
    blocking: 'block',
  });
  assert.equal(blocked.units[0].n, 10, 'the test runs on the 10 block means');
});

test("blocking 'block' groups rows by their own labels; 'paper' applies original-order labels to fold-ordered rows (the §6.1 quirk)", () => {
  // Rows in fold order belong to blocks x, y, x, y; in the original order the labels were x, x, y, y.
  const rows = (v: number[]) => em(v.map((x) => [x]));
  const base = { intercept: rows([1, 1, 1, 1]), simple: rows([1, 1, 1, 1]), model: rows([0.5, 0.9, 0.5, 0.9]), joint: rows([0.5, 0.9, 0.5, 0.9]), unitIndex: [0] };
  const input = (blocking: 'block' | 'paper') => ({
    experiments: [{ ...base, rowBlocks: ['x', 'y', 'x', 'y'], originalBlocks: ['x', 'x', 'y', 'y'] }],
    subjectOf: () => 's', blocking,
  });
  // Correct blocking: block means 0.5 (x) and 0.9 (y) vs 1 and 1 → 2 pairs, both lower.
  assert.equal(unitSignificance(input('block')).units[0].n, 2);
  const correct = unitSignificance(input('block')).units[0].p;
  assert.ok(correct > 0.05 && correct < 0.5, `p ${correct}`);
  // The quirk averages rows 0,1 and 2,3 instead: means 0.7 and 0.7 — identical differences, sd 0,
  // t = −∞: an over-confident p = 0 from mixing blocks.
  assert.equal(unitSignificance(input('paper')).units[0].p, 0);
});
