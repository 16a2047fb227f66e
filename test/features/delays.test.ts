import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delayColumns } from '../../src/features/delays.js';
import { parseFeatureSpec } from '../../src/features/spec.js';
import { expandGrid } from '../../src/features/grid.js';
import { buildFeatureSpec } from '../../src/features/registry.js';
import { registerBuiltinFeatures } from '../../src/features/builtin.js';
import { writeNpy } from '../../src/io/npy.js';
import { simulateDataset } from '../../src/data/simulate.js';

registerBuiltinFeatures();

interface DelayerFixture { x: number[][]; blocks: string[]; cases: { delays: number[]; expected: number[][] }[] }
const fixture = JSON.parse(readFileSync(new URL('../fixtures/reference/delayer.json', import.meta.url), 'utf8')) as DelayerFixture;

test('delays equal a numpy re-implementation of the Delayer applied per block (scripts/reference/delayer_reference.py)', () => {
  const n = fixture.x.length;
  const p = fixture.x[0].length;
  const x = { rows: n, cols: p, data: Float64Array.from(fixture.x.flat()) };
  for (const c of fixture.cases) {
    const out = delayColumns(x, fixture.blocks, c.delays);
    assert.deepEqual([out.rows, out.cols], [n, p * c.delays.length], `delays ${c.delays}`);
    assert.deepEqual(Array.from(out.data), c.expected.flat(), `delays ${c.delays}`);
  }
});

test('delays= parses on any term and is taken out of its arguments; bad values fail with one clear line', () => {
  const t = parseFeatureSpec('oasm:sigma=1.8:delays=1,2,3,4').bands[0].terms[0];
  assert.deepEqual([t.params, t.delays], [{ sigma: '1.8' }, [1, 2, 3, 4]]);
  const f = parseFeatureSpec('file:a/b.npy:delays=0,2').bands[0].terms[0];
  assert.deepEqual([f.params, f.positional, f.delays], [{ path: 'a/b.npy' }, ['a/b.npy'], [0, 2]]);
  assert.equal(parseFeatureSpec('sl').bands[0].terms[0].delays, undefined);
  assert.throws(() => parseFeatureSpec('sl:delays=1,-2'), { message: '--features: "sl:delays=1,-2": delays=1,-2: "-2" is not a non-negative integer (samples); expected e.g. delays=1,2,3,4' });
  assert.throws(() => parseFeatureSpec('sl:delays=1.5'), { message: '--features: "sl:delays=1.5": delays=1.5: "1.5" is not a non-negative integer (samples); expected e.g. delays=1,2,3,4' });
  assert.throws(() => parseFeatureSpec('sl:delays=1,,2'), { message: '--features: "sl:delays=1,,2": delays=1,,2 has an empty item; expected non-negative integers separated by commas, e.g. delays=1,2,3,4' });
  assert.throws(() => parseFeatureSpec('sl:delays=1,2,1'), { message: '--features: "sl:delays=1,2,1": delays=1,2,1: delay 1 is listed twice' });
  assert.throws(() => parseFeatureSpec('sl:delays=1:delays=2'), { message: '--features: "sl:delays=1:delays=2": argument "delays" given twice' });
  assert.throws(() => parseFeatureSpec('file:a.npy:delays=x'), /"x" is not a non-negative integer/);
});

test('a delayed term built on a dataset shifts within each block (sentence), zero at block starts; grids keep the modifier', async () => {
  const d = simulateDataset('fedorenko', { units: 0.1 });
  const n = d.y.rows;
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-delays-'));
  const path = join(dir, 'X.npy');
  writeNpy(path, Float64Array.from({ length: n * 2 }, (_, i) => i + 1), [n, 2]);
  const [x] = await buildFeatureSpec(parseFeatureSpec(`file:${path}:delays=0,3`), { dataset: d });
  assert.deepEqual([x.rows, x.cols], [n, 4]);
  const pos = d.samples.position;
  for (let r = 0; r < n; r++) {
    assert.deepEqual(Array.from(x.data.subarray(r * 4, r * 4 + 2)), [2 * r + 1, 2 * r + 2]);
    // position within the block: the sample 3 earlier is in the same block iff position ≥ 3.
    const expected = pos[r] >= 3 ? [2 * (r - 3) + 1, 2 * (r - 3) + 2] : [0, 0];
    assert.deepEqual(Array.from(x.data.subarray(r * 4 + 2, r * 4 + 4)), expected, `row ${r}`);
  }
  const [sl] = await buildFeatureSpec(parseFeatureSpec('sl:delays=1,2'), { dataset: d });
  assert.equal(sl.cols, 2);
  const g = expandGrid(parseFeatureSpec('oasm:sigma=1,2:delays=1,2'));
  assert.deepEqual(g.specs.map((s) => [s.text, s.bands[0].terms[0].delays]), [['oasm:sigma=1:delays=1,2', [1, 2]], ['oasm:sigma=2:delays=1,2', [1, 2]]]);
});
