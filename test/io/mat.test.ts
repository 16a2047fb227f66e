import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../../src/io/dataset.js';
import { readMatFile } from '../../src/io/mat.js';
import { getDatasetNotes } from '../../src/io/notes.js';
import { foldLabels, planFolds } from '../../src/regression/splits.js';
import { tempDir, rejects } from './helpers.js';

const FIX = fileURLToPath(new URL('../fixtures/datasets/', import.meta.url));
const MAT = join(FIX, 'pereira-mat');
const ATLASES = join(FIX, 'pereira-mat-atlases');
const BAD = join(FIX, 'pereira-mat-bad');
const CHECKS = JSON.parse(readFileSync(join(MAT, 'checks.json'), 'utf8')) as Record<string, { shape: number[]; first_row: number[]; last_row: number[]; col_to_coord_0: number[]; col_to_coord_last: number[] }>;

test('mat: Level-5 (mat-for-js) and v7.3 (h5wasm) files read to the same values', async () => {
  const v5 = await readMatFile(join(MAT, 'P01', 'examples_243sentences.mat'));
  const v73 = await readMatFile(join(MAT, 'M03', 'examples_243sentences.mat'));
  for (const v of [v5, v73]) {
    assert.equal((v.keySentences as string[]).length, 243);
    assert.equal((v.keyPassageCategory as string[]).length, 24);
    assert.equal((v.labelsPassageForEachSentence as number[]).length, 243);
  }
  assert.deepEqual(v73.keySentences, v5.keySentences);
  assert.deepEqual(v73.labelsPassageCategory, v5.labelsPassageCategory);
  assert.equal((v5.keySentences as string[])[121], 'The concert pianist went blind in adulthood.');
  await rejects(readMatFile(join(FIX, 'blank2014-fROI-profileB.nc')), `${join(FIX, 'blank2014-fROI-profileB.nc')}: file: is not a MATLAB Level-5 or v7.3 MAT file (no MAT header)`);
});

test('mat: pereira2018-mat:<folder>::network=all maps the public-release layout into the Pereira Dataset', async () => {
  const d = await loadDataset(`pereira2018-mat:${MAT}::network=all`);
  assert.equal(d.y.rows, 627);
  assert.equal(d.y.cols, 18); // M03, M08, P01 × 6 voxels
  assert.deepEqual([...new Set(d.units.subject)], ['M03', 'M08', 'P01']);
  assert.equal(new Set(d.samples.block).size, 168);
  assert.deepEqual(d.samples.block.slice(0, 4), Array(4).fill('243-astronaut-0'));
  assert.equal(d.samples.text[0], 'Astronauts train a long time for their spacewalks.');
  const sizes = (e: string) => planFolds(d.design, foldLabels(d, 'contiguous', 42).get(e)!.labels, e).map((f) => f.test.length);
  assert.deepEqual(sizes('243'), [47, 46, 38, 38, 37, 37]);
  assert.deepEqual(sizes('384'), Array(8).fill(48));
  const rec = (e: string) => d.units.id.filter((_, j) => d.samples.experiment.every((x, r) => x !== e || Number.isFinite(d.y.data[r * d.y.cols + j]))).length;
  assert.equal(rec('243'), 12);
  assert.equal(rec('384'), 12);
  // Orientation: values and coordinates as the script wrote them (checks.json).
  for (const [key, c] of Object.entries(CHECKS)) {
    const [subject, exp] = key.split('/');
    const first = d.samples.stimulusId.indexOf(`${exp}sentences.0`);
    const last = d.samples.stimulusId.indexOf(`${exp}sentences.${c.shape[0] - 1}`);
    const col = (v: number) => d.units.id.indexOf(`${subject}.${v}`);
    assert.deepEqual([0, 1, 2].map((v) => d.y.data[first * d.y.cols + col(v)]), c.first_row, key);
    assert.deepEqual([3, 4, 5].map((v) => d.y.data[last * d.y.cols + col(v)]), c.last_row, key);
    assert.deepEqual(Array.from(d.units.coords!.data.subarray(col(0) * 3, col(0) * 3 + 3)), c.col_to_coord_0, key);
    assert.deepEqual(Array.from(d.units.coords!.data.subarray(col(5) * 3, col(5) * 3 + 3)), c.col_to_coord_last, key);
  }
  assert.ok(d.units.network.every((x) => x === ''));
  assert.match(getDatasetNotes(d)!.reader, /Pereira2018 MAT files \(4 files, 3 subjects\)/);
});

test('mat: network selection with meta.atlases; errors are precise', async () => {
  const lang = await loadDataset(`pereira2018-mat:${ATLASES}`);
  assert.deepEqual(lang.units.id, ['M02.0', 'M02.1', 'M02.3']);
  assert.equal(lang.y.rows, 384);
  const md = await loadDataset(`pereira2018-mat:${ATLASES}::network=MD`);
  assert.deepEqual(md.units.id, ['M02.2', 'M02.3', 'M02.4']);
  const all = await loadDataset(`pereira2018-mat:${ATLASES}::network=all`);
  assert.deepEqual(all.units.id, ['MD.M02.2', 'MD.M02.3', 'MD.M02.4', 'language.M02.0', 'language.M02.1', 'language.M02.3']);
  await rejects(loadDataset(`pereira2018-mat:${MAT}`), `${join(MAT, 'M03', 'examples_243sentences.mat')}: meta.atlases: missing, so network language cannot be selected (the public release has whole-brain voxels with AAL/Gordon ROIs only); give pereira2018-mat:${MAT}::network=all to use every voxel`);
  await rejects(loadDataset(`pereira2018-mat:${BAD}::network=all`), `${join(BAD, 'S01', 'examples_243sentences.mat')}: keySentences: has 242 entries, expected 243 (one sentence per row of examples)`);
  await rejects(loadDataset(`pereira2018-mat:${FIX}`), `${FIX}: dataset: has no <subject>/examples_243sentences.mat or <subject>/examples_384sentences.mat files; expected the per-subject folders of Pereira et al. 2018 (e.g. P01/examples_384sentences.mat)`);
  // A file that is not a MAT file where one is expected.
  const dir = tempDir();
  const sub = join(dir, 'X01');
  (await import('node:fs')).mkdirSync(sub);
  writeFileSync(join(sub, 'examples_384sentences.mat'), 'not a mat file');
  await rejects(loadDataset(`pereira2018-mat:${dir}::network=all`), `${join(sub, 'examples_384sentences.mat')}: file: has 14 bytes; expected a MAT file (128-byte header, then data)`);
});
