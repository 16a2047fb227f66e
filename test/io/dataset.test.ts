import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset, registerDatasetSource } from '../../src/io/dataset.js';
import { validateDataset } from '../../src/io/validate.js';
import { writeNpy } from '../../src/io/npy.js';
import { InputError } from '../../src/data/errors.js';
import type { Dataset } from '../../src/data/dataset.js';
import { tempDir, rejects } from './helpers.js';

const REAL = fileURLToPath(new URL('../../../shared/data/fedorenko2016/fedorenko2016.nc', import.meta.url));
const PROFILE_B = fileURLToPath(new URL('../fixtures/io/fedorenko-s3-profileB.nc', import.meta.url));

function toyDataset(): Dataset {
  return {
    name: 'toy',
    source: 'toy',
    y: { rows: 4, cols: 2, data: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]) },
    samples: {
      stimulusId: ['a', 'b', 'c', 'd'],
      text: ['', '', '', ''],
      block: ['x', 'x', 'y', 'y'],
      position: Int32Array.from([0, 1, 0, 1]),
      experiment: ['', '', '', ''],
      fold: ['x', 'x', 'y', 'y'],
    },
    units: { id: ['u0', 'u1'], subject: ['s', 's'], network: ['', ''], coords: null },
    design: { kind: 'labels' },
    shuffleOrder: [],
  };
}

test('loadDataset: folder, .nc auto-detect, name:path', async () => {
  const dir = join(tempDir(), 'folder');
  mkdirSync(dir);
  writeNpy(join(dir, 'y.npy'), Float64Array.from([1, 2, 3, 4]), [2, 2]);
  writeFileSync(join(dir, 'samples.csv'), 'block\na\nb\n');
  const f = await loadDataset(dir);
  assert.equal(f.name, 'folder');
  assert.deepEqual(f.samples.fold, ['a', 'b']);
  const real = await loadDataset(REAL);
  assert.equal(real.name, 'fedorenko2016');
  assert.equal(real.y.rows, 416);
  const named = await loadDataset(`fedorenko2016:${PROFILE_B}`);
  assert.equal(named.y.rows, 24);
  assert.equal(named.source, PROFILE_B);
});

test('loadDataset: missing paths, unknown prefixes, unsupported files', async () => {
  const dir = tempDir();
  const missing = join(dir, 'nothing-here');
  await rejects(loadDataset(missing), `${missing}: dataset: no such file or directory`);
  await rejects(loadDataset(`fedorenko2016:${missing}.nc`), `${missing}.nc: file: no such file or directory`);
  await rejects(loadDataset('foo:bar'), "foo:bar: dataset: no such file or directory, and 'foo:' is not a known dataset source (known: sim:, pereira2018-mat:, fedorenko2016:, pereira2018:, blank2014:)");
  const csv = join(dir, 'y.csv');
  writeFileSync(csv, 'a\n');
  await rejects(loadDataset(csv), `${csv}: dataset: is a file but not a .nc assembly; expected a dataset folder (y.npy + samples.csv), a .nc file, or <name>:<path>`);
  await rejects(loadDataset(''), '<dataset>: dataset: empty dataset spec; expected a folder, a .nc file, or <name>:<path>');
});

test('loadDataset: sim:, missing Pereira files, registered sources', async () => {
  await rejects(loadDataset('sim:nowhere'), 'sim:nowhere: dataset: unknown simulated dataset "nowhere"; expected sim:pereira, sim:fedorenko or sim:blank');
  assert.equal((await loadDataset('sim:fedorenko')).y.rows, 416);
  await rejects(loadDataset('pereira2018:/data/p.nc'), '/data/p.nc: file: no such file or directory');
  registerDatasetSource('toy', (rest, spec) => {
    assert.equal(rest, 'a=1');
    assert.equal(spec, 'toy:a=1');
    return toyDataset();
  });
  assert.deepEqual(await loadDataset('toy:a=1'), toyDataset());
  registerDatasetSource('broken', () => ({ ...toyDataset(), source: 'broken' , samples: { ...toyDataset().samples, block: ['x', 'y', 'x', 'y'] } }));
  await rejects(loadDataset('broken:'), "broken:: samples.block: block 'x' reappears at row 2 after other blocks; the rows of a block must be contiguous");
});

test('validateDataset: table lengths, finiteness, design requirements', () => {
  const ok = toyDataset();
  validateDataset(ok, 'src');
  const bad = (edit: (d: Dataset) => void, message: string) => {
    const d = toyDataset();
    edit(d);
    assert.throws(() => validateDataset(d, 'src'), (e: unknown) => e instanceof InputError && e.message === message);
  };
  bad((d) => { d.samples.text = ['']; }, 'src: samples.text: has 1 entries, expected 4 (one per row of y)');
  bad((d) => { d.units.subject = ['s']; }, 'src: units.subject: has 1 entries, expected 2 (one per column of y)');
  bad((d) => { d.y.data[3] = Infinity; }, 'src: y: row 1, column 1 is Infinity; expected finite values (rows and columns count from 0)');
  bad((d) => { d.samples.position[2] = -1; }, 'src: samples.position: row 2 has position -1, expected an integer ≥ 0');
  bad((d) => { d.samples.fold = null; }, "src: samples.fold: is missing; design 'labels' needs a fold label per row");
  bad((d) => { d.samples.fold = ['x', 'x', 'x', 'x']; }, 'src: samples.fold: has 1 distinct label, expected at least 2 (one outer fold per label)');
  bad((d) => { d.samples.stimulusId[3] = 'a'; }, "src: samples.stimulusId: 'a' is used by rows 0 and 3; expected unique stimulus ids within an experiment");
  bad((d) => { d.units.coords = { rows: 2, cols: 2, data: new Float64Array(4) }; }, 'src: units.coords: has shape 2 × 2, expected 2 × 3 (x, y, z per column of y)');
  bad((d) => { d.design = { kind: 'blocks', outerSize: 0, innerSize: 48 }; }, 'src: design.outerSize: is 0, expected a positive integer');
  bad((d) => { (d as { y: unknown }).y = { rows: 4, cols: 2, data: new Float64Array(7) }; }, 'src: y: storage has 7 values, expected 4 × 2 = 8');
});
