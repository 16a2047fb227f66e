import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brainScoreLinearShuffle, brainScorePearson, brainScoreSplits, publishedCeiling, shuffleSplits } from '../../src/pipeline/brainscore.js';
import { simulateDataset } from '../../src/data/simulate.js';
import { loadDataset } from '../../src/io/dataset.js';
import { getBackend } from '../../src/linalg/index.js';
import { fromRows, takeCols } from '../../src/linalg/matrix.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (name: string) => `${root}test/fixtures/datasets/${name}`;

test('ShuffleSplit(10, train 0.9, random_state=1) reproduces scikit-learn\'s test sets (REFERENCE_VALUES §J)', () => {
  const sorted10 = (a: Int32Array) => Array.from(a).sort((x, y) => x - y).slice(0, 10);
  const cases: Array<[number, number, number[], number[]]> = [
    [243, 25, [4, 27, 34, 51, 58, 67, 89, 93, 107, 116], [3, 4, 15, 20, 24, 31, 34, 47, 74, 77]],
    [384, 39, [4, 5, 6, 62, 90, 95, 98, 102, 106, 117], [2, 19, 55, 64, 73, 87, 90, 117, 127, 135]],
    [416, 42, [4, 5, 6, 17, 29, 58, 62, 67, 80, 81], [2, 6, 8, 17, 56, 73, 81, 90, 94, 100]],
    [1317, 132, [12, 19, 49, 56, 60, 65, 75, 81, 88, 101], [4, 6, 28, 40, 54, 74, 79, 81, 86, 96]],
  ];
  for (const [n, nTest, split0, split1] of cases) {
    const s = shuffleSplits(n);
    assert.equal(s.length, 10);
    assert.equal(s[0].test.length, nTest);
    assert.equal(s[0].train.length, n - nTest);
    assert.deepEqual(sorted10(s[0].test), split0, `n=${n} split 0`);
    assert.deepEqual(sorted10(s[1].test), split1, `n=${n} split 1`);
  }
});

test("splits are drawn over the assembly's presentation order, not brainmap's re-sorted rows (scikit-learn on the files read with xarray)", async () => {
  // scripts/reference/brainscore_splits.py: stimulus ids of the test sets, in ShuffleSplit's order.
  const ref = JSON.parse(readFileSync(`${root}test/fixtures/reference/brainscore_splits.json`, 'utf8')) as {
    fixtures: Record<string, Record<string, { n: number; n_test: number; test: Record<string, string[]> }>>;
  };
  for (const [name, experiments] of Object.entries(ref.fixtures)) {
    const d = await loadDataset(fixture(name));
    // The fixtures interleave experiments/stories in the file; brainmap sorts its rows differently.
    assert.ok(d.assembly, `${name}: reader records the presentation order`);
    for (const [experiment, want] of Object.entries(experiments)) {
      const { rows, order, splits } = brainScoreSplits(d, experiment);
      assert.equal(order, 'assembly');
      assert.equal(rows.length, want.n);
      for (const [k, ids] of Object.entries(want.test)) {
        assert.deepEqual(Array.from(splits[Number(k)].test, (i) => d.samples.stimulusId[rows[i]]), ids, `${name} experiment ${experiment || '(single)'} split ${k}`);
      }
    }
  }
});

test('Brain-Score correlation: Σ (x̃/(‖x̃‖+1e-8))·(ỹ/(‖ỹ‖+1e-8))', () => {
  const r = brainScorePearson(fromRows([[1], [2], [4]]), fromRows([[2], [4], [8]]));
  assert.ok(Math.abs(r[0] - 1) < 1e-7 && r[0] < 1);
  assert.equal(brainScorePearson(fromRows([[1], [1]]), fromRows([[0], [3]]))[0], 0);
});

test('published ceilings apply only to the data they were computed on (REFERENCE_VALUES §K), otherwise the reason is given', async () => {
  const origin = (identifier: string | null, note?: string) => ({ identifier, note, presentationRow: new Int32Array(0) });
  // The Brain-Score assemblies at their published sizes.
  assert.equal(publishedCeiling(origin('Pereira2018.language'), 'pereira2018', '243', 243, 8031).ceiling, 0.35378928);
  assert.equal(publishedCeiling(origin('Pereira2018.language'), 'pereira2018', '384', 384, 12155).ceiling, 0.36343748);
  assert.equal(publishedCeiling(origin('Blank2014.fROI'), 'blank2014', '', 1317, 60).ceiling, 0.21026591);
  const fed = await loadDataset(`${root}../shared/data/fedorenko2016/fedorenko2016.nc`);
  const f = publishedCeiling(fed.assembly, fed.name, '', 416, 97);
  assert.equal(f.ceiling, 0.225257);
  assert.match(f.note, /third-party script, not authoritative/);
  // Not the data: other sizes, a network=all selection, the MATLAB release, a simulation.
  const lang = await loadDataset(fixture('pereira2018-language-profileB.nc'));
  assert.equal(lang.assembly?.identifier, 'Pereira2018.language');
  const small = publishedCeiling(lang.assembly, lang.name, '243', 243, 64);
  assert.equal(small.ceiling, null);
  assert.match(small.note, /computed on 243 samples × 8031 neuroids; these data have 243 × 64/);
  const all = await loadDataset(`${fixture('pereira2018-allatlas-profileC.nc')}::network=all`);
  assert.equal(all.assembly?.identifier, null);
  assert.match(publishedCeiling(all.assembly, all.name, '243', 243, 8031).note, /not Pereira2018\.language's language network alone/);
  const mat = await loadDataset(`pereira2018-mat:${fixture('pereira-mat-atlases')}`);
  assert.equal(publishedCeiling(mat.assembly, mat.name, '243', 243, 8031).ceiling, null);
  assert.match(publishedCeiling(mat.assembly, mat.name, '243', 243, 8031).note, /MATLAB release/);
  const sim = simulateDataset('fedorenko', { units: 0.1 });
  assert.match(publishedCeiling(sim.assembly, sim.name, '', 416, 97).note, /not read from a Brain-Score assembly/);
});

test('feeding the responses back as features scores 1 (raw); no published ceiling for simulated data', async () => {
  const d = simulateDataset('fedorenko', { units: 0.1 });
  const backend = getBackend('auto');
  // The first 5 units as features: those units are predicted exactly.
  const x = takeCols(d.y, [0, 1, 2, 3, 4]);
  const own = await brainScoreLinearShuffle({ ...d, y: x }, x, { backend, ceiling: null });
  assert.ok(Math.abs(own.raw - 1) < 1e-6, `raw ${own.raw}`);
  assert.equal(own.experiments[0].splitOrder, 'dataset');
  const published = await brainScoreLinearShuffle({ ...d, name: 'fedorenko2016' }, x, { backend });
  assert.equal(published.experiments[0].ceiling, null, 'a dataset named fedorenko2016 is not the assembly');
  assert.equal(published.score, published.raw);
});

test('the real Fedorenko2016 assembly: raw score, per-split medians and the ceiling-normalised score equal scikit-learn\'s', async () => {
  // scripts/reference/brainscore_fedorenko.py: one-hot word position (word_num 1…7) per file row,
  // ShuffleSplit(10, train_size=0.9, random_state=1) over the file's rows, LinearRegression, Brain-Score's
  // Pearson, median over neuroids, mean over splits; normalised = clip(raw / ceiling, 0, 1).
  const perSplit = [0.23728365372482652, 0.2457075306605748, 0.21165520404103713, 0.17015696708995973, 0.15873259370425538, 0.14030872090730237, 0.22560363802006533, 0.21028005329984797, 0.18778558688724276, 0.17418846238104363];
  const d = await loadDataset(`${root}../shared/data/fedorenko2016/fedorenko2016.nc`);
  const n = d.y.rows;
  const x = { rows: n, cols: 7, data: new Float64Array(n * 7) };
  for (let r = 0; r < n; r++) if (d.samples.position[r] > 0) x.data[r * 7 + d.samples.position[r] - 1] = 1;
  const backend = getBackend('auto');
  const published = await brainScoreLinearShuffle(d, x, { backend });
  const e = published.experiments[0];
  e.perSplit.forEach((v, k) => assert.ok(Math.abs(v - perSplit[k]) < 1e-9, `split ${k}: ${v} vs ${perSplit[k]}`));
  assert.ok(Math.abs(published.raw - 0.19617024107161557) < 1e-9, `raw ${published.raw}`);
  assert.equal(e.ceiling, 0.225257);
  assert.ok(Math.abs(published.score - 0.8708730075940617) < 1e-8, `normalised ${published.score}`); // clip(raw / 0.225257, 0, 1)
  const given = await brainScoreLinearShuffle(d, x, { backend, ceiling: 0.2 });
  assert.ok(Math.abs(given.score - 0.9808512053580778) < 1e-8, `ceiling 0.2: ${given.score}`);
  const clipped = await brainScoreLinearShuffle(d, x, { backend, ceiling: 0.01 });
  assert.equal(clipped.score, 1.0); // clip(19.6, 0, 1)
});
