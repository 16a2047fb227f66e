import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNetcdfAssembly } from '../../src/io/netcdf.js';
import { readAssembly } from '../../src/io/assemblies.js';
import { InputError } from '../../src/data/errors.js';
import type { Dataset } from '../../src/data/dataset.js';
import { fedorenkoSpec, SENTENCES, tempDir, writeAssembly, type AssemblySpec, rejects } from './helpers.js';

const REAL = fileURLToPath(new URL('../../../shared/data/fedorenko2016/fedorenko2016.nc', import.meta.url));
const FIX = fileURLToPath(new URL('../fixtures/io/', import.meta.url));
const PROFILE_B = join(FIX, 'fedorenko-s3-profileB.nc');
const PROFILE_A = join(FIX, 'fedorenko-profileA-transposed.nc');

/** numpy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src, PW_BLOCKSIZE 128). */
function pairwiseSum(a: ArrayLike<number>, off: number, n: number): number {
  if (n < 8) {
    let r = 0;
    for (let i = 0; i < n; i++) r += a[off + i];
    return r;
  }
  if (n <= 128) {
    const r = Array.from({ length: 8 }, (_, j) => a[off + j]);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[off + i + j];
    let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[off + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, off, n2) + pairwiseSum(a, off + n2, n - n2);
}

test('netcdf: the real Fedorenko2016 file, generic view (profile C)', async () => {
  const a = await readNetcdfAssembly(REAL);
  assert.equal(a.dataName, 'data');
  assert.deepEqual(a.dims, ['presentation', 'neuroid']);
  assert.deepEqual(a.attrs, {
    class_module: 'brainio_base.assemblies',
    class_name: 'NeuroidAssembly',
    stimulus_set_name: 'Fedorenko2016.ecog',
  });
  assert.deepEqual(a.coords.presentation.map((c) => c.name), ['stimulus_id', 'word', 'word_num', 'sentence_id']);
  assert.deepEqual(a.coords.neuroid.map((c) => c.name), ['electrode', 'neuroid_id', 'subject_UID']);
  assert.deepEqual(a.coords.presentation[0].values.slice(0, 3), [0, 1, 2]);
  assert.deepEqual(a.scalars, []);
  assert.equal(a.data.rows, 416);
  assert.equal(a.data.cols, 97);
});

test('fedorenko2016: the real file loads with the values of DATASETS.md §2.1', async () => {
  const d = await readAssembly(REAL);
  assert.equal(d.name, 'fedorenko2016');
  assert.equal(d.source, REAL);
  assert.equal(d.y.rows, 416);
  assert.equal(d.y.cols, 97);
  const y = d.y.data;
  assert.deepEqual(Array.from(y.subarray(0, 3)), [0.06285949525470777, -0.6085227452459987, -0.5529325686101975]);
  assert.deepEqual(Array.from(y.subarray(y.length - 3)), [0.1085174830518318, -0.09552786934170096, 0.46055083835014593]);
  // The documented sum is numpy's pairwise sum of the flattened array.
  assert.equal(pairwiseSum(y, 0, y.length), 7306.060126317192);
  assert.equal(Math.min(...y), -1.3271525762699268);
  assert.equal(Math.max(...y), 7.851808578820367);

  // Units: 5 subjects with 47/8/9/15/18 electrodes, contiguous.
  const counts = new Map<string, number>();
  for (const s of d.units.subject) counts.set(s, (counts.get(s) ?? 0) + 1);
  assert.deepEqual([...counts], [['1', 47], ['2', 8], ['3', 9], ['4', 15], ['5', 18]]);
  assert.deepEqual(d.units.id, Array.from({ length: 97 }, (_, c) => String(c)));
  assert.ok(d.units.network.every((n) => n === 'language'));
  assert.equal(d.units.coords, null);

  // Samples: 52 blocks × 8 positions, sentence-major.
  const blocks = [...new Set(d.samples.block)];
  assert.equal(blocks.length, 52);
  assert.deepEqual(blocks.slice(0, 3), ['s0', 's1', 's2']);
  for (let r = 0; r < 416; r++) {
    assert.equal(d.samples.block[r], `s${Math.floor(r / 8)}`);
    assert.equal(d.samples.position[r], r % 8);
    assert.equal(d.samples.stimulusId[r], String(r));
  }
  // The paper's text (sentences_ordered.txt), rebuilt from the upper-case words (test/io/fedorenko-text.test.ts).
  assert.equal(d.samples.text.slice(0, 8).join(' '), 'Alex was tired so he took a nap.');
  assert.equal(d.samples.text.slice(408).join(' '), 'When John came home his dad was there.');
  assert.equal(new Set(d.samples.text.map((t) => t.replace(/\.$/, '').toUpperCase())).size, 255);
  assert.ok(d.samples.experiment.every((e) => e === ''));
  assert.equal(d.samples.fold, null);
  assert.deepEqual(d.design, { kind: 'blocks', outerSize: 32, innerSize: 48 });
  assert.deepEqual(d.shuffleOrder, []);
});

/** `presentationRow`: the file row of each dataset row (identity when the file is in sentence order). */
function expectedFixtureDataset(source: string, presentationRow: Int32Array = Int32Array.from({ length: 24 }, (_, r) => r)): Dataset {
  const spec = fedorenkoSpec();
  const words = SENTENCES.flatMap((s) => s.split(' '));
  // The paper's casing and final period (METHODS §1.2), written out by hand.
  const text = ['Alex was tired so he took a nap.', 'Alex wore a wool sweater to keep warm.', "Ann baked a cake for her mom's birthday."].flatMap((s) => s.split(' '));
  return {
    name: 'fedorenko2016',
    source,
    y: { rows: 24, cols: 7, data: spec.data },
    samples: {
      stimulusId: words.map((_, r) => String(r)),
      text,
      block: words.map((_, r) => `s${Math.floor(r / 8)}`),
      position: Int32Array.from(words, (_, r) => r % 8),
      experiment: words.map(() => ''),
      fold: null,
    },
    units: {
      id: ['0', '1', '2', '3', '4', '5', '6'],
      subject: ['1', '1', '1', '2', '2', '3', '3'],
      network: new Array<string>(7).fill('language'),
      coords: null,
    },
    design: { kind: 'blocks', outerSize: 32, innerSize: 48 },
    shuffleOrder: [],
    assembly: { identifier: 'Fedorenko2016.language', presentationRow },
  };
}

test('netcdf: Brain-Score S3 layout fixture (profile B, written by h5py)', async () => {
  const a = await readNetcdfAssembly(PROFILE_B);
  assert.equal(a.dataName, 'data');
  assert.deepEqual(a.attrs, {});
  assert.deepEqual(a.coords.presentation.map((c) => c.name), ['stimulus_id', 'stimulus', 'word', 'word_num', 'sentence_id']);
  assert.deepEqual(a.coords.neuroid.map((c) => c.name), ['electrode', 'neuroid_id', 'subject_UID']);
  // No stimulus_set_name: recognised by its coordinates, or named explicitly.
  assert.deepEqual(await readAssembly(PROFILE_B), expectedFixtureDataset(PROFILE_B));
  assert.deepEqual(await readAssembly(`fedorenko2016:${PROFILE_B}`), expectedFixtureDataset(PROFILE_B));
});

test('netcdf: profile A fixture stored (neuroid, presentation) with permuted rows', async () => {
  const a = await readNetcdfAssembly(PROFILE_A);
  assert.equal(a.dataName, '__xarray_dataarray_variable__');
  assert.deepEqual(a.dims, ['presentation', 'neuroid']);
  assert.equal(a.data.rows, 24);
  assert.equal(a.attrs.stimulus_set_name, 'Fedorenko2016.ecog');
  // Rows are sorted back into (sentence_id, word_num) order; text falls back to `word`; each row
  // remembers its place in the file (Brain-Score's presentation order).
  const fileIds = a.coords.presentation.find((c) => c.name === 'stimulus_id')!.values.map(String);
  const fileRow = Int32Array.from({ length: 24 }, (_, r) => fileIds.indexOf(String(r)));
  assert.notDeepEqual(Array.from(fileRow), Array.from({ length: 24 }, (_, r) => r), 'the fixture permutes its rows');
  assert.deepEqual(await readAssembly(PROFILE_A), expectedFixtureDataset(PROFILE_A, fileRow));
});

test('netcdf: files written by h5wasm: DIMENSION_LIST and its fallbacks', async () => {
  const dir = tempDir();
  const attrs = { stimulus_set_name: 'Fedorenko2016.language' };
  const variants: Array<[string, Partial<AssemblySpec>]> = [
    ['dimlist.nc', {}],
    ['dimid.nc', { attach: false, netcdf4Coordinates: true }], // fallback 1: _Netcdf4Coordinates ↔ _Netcdf4Dimid
    ['lengths.nc', { attach: false }], // fallback 2: lengths
    ['noscales.nc', { scales: false }], // plain HDF5: presentation × neuroid, coordinates by length
  ];
  for (const [name, opts] of variants) {
    const p = join(dir, name);
    await writeAssembly(p, { ...fedorenkoSpec(), attrs, ...opts });
    const a = await readNetcdfAssembly(p);
    assert.deepEqual(a.dims, ['presentation', 'neuroid'], name);
    assert.deepEqual(a.coords.presentation.map((c) => c.name), ['stimulus_id', 'stimulus', 'word', 'word_num', 'sentence_id'], name);
    assert.deepEqual(a.coords.neuroid.map((c) => c.name), ['electrode', 'neuroid_id', 'subject_UID'], name);
    assert.deepEqual(await readAssembly(p), expectedFixtureDataset(p), name);
  }
});

test('netcdf: equal dimension lengths without DIMENSION_LIST are ambiguous', async () => {
  const p = join(tempDir(), 'square.nc');
  const spec = fedorenkoSpec();
  // 24 × 24: make the neuroid dimension as long as the presentation one.
  const m = 24;
  const data = new Float64Array(24 * m);
  spec.coords = spec.coords.map((c) => (c.dim === 'neuroid' ? { ...c, values: Array.from({ length: m }, (_, k) => (c.name === 'subject_UID' ? 1 : k)) } : c));
  await writeAssembly(p, { ...spec, nNeuroid: m, data, attach: false });
  await rejects(readNetcdfAssembly(p), `${p}: data: cannot tell the dimension of axis 0: no DIMENSION_LIST, and dimensions 'presentation' and 'neuroid' both have length 24`);
  // _Netcdf4Coordinates on data resolves the data's axes, but the 1-D coordinates stay ambiguous.
  await writeAssembly(p, { ...spec, nNeuroid: m, data, attach: false, netcdf4Coordinates: true });
  await rejects(readNetcdfAssembly(p), `${p}: stimulus_id: cannot tell the dimension of axis 0: no DIMENSION_LIST, and dimensions 'presentation' and 'neuroid' both have length 24`);
});

test('netcdf: unreadable and non-HDF5 files', async () => {
  const dir = tempDir();
  const text = join(dir, 'text.nc');
  writeFileSync(text, 'this is not a netcdf file\n'.repeat(40));
  await rejects(readNetcdfAssembly(text), `${text}: file: not an HDF5/NetCDF-4 file (no HDF5 signature found)`);
  await rejects(readAssembly(text), `${text}: file: not an HDF5/NetCDF-4 file (no HDF5 signature found)`);
  const empty = join(dir, 'empty.nc');
  writeFileSync(empty, '');
  await rejects(readNetcdfAssembly(empty), `${empty}: file: not an HDF5/NetCDF-4 file (no HDF5 signature found; the file is empty)`);
  const nc3 = join(dir, 'classic.nc');
  writeFileSync(nc3, Buffer.from([0x43, 0x44, 0x46, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]));
  await rejects(readNetcdfAssembly(nc3), `${nc3}: file: is a NetCDF-3 (classic) file; only NetCDF-4 (HDF5-based) files are supported, re-save it with format="NETCDF4"`);
  const truncated = join(dir, 'truncated.nc');
  writeFileSync(truncated, Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]));
  await assert.rejects(readNetcdfAssembly(truncated), (e: unknown) =>
    e instanceof InputError && e.message.startsWith(`${truncated}: file: cannot open as HDF5/NetCDF-4 (`));
  const missing = join(dir, 'missing.nc');
  await rejects(readNetcdfAssembly(missing), `${missing}: file: no such file or directory`);
  await rejects(readNetcdfAssembly(dir), `${dir}: file: is a directory, expected a NetCDF-4 (.nc) file`);
});

test('netcdf: a Fedorenko-like assembly with a coordinate of the wrong length', async () => {
  const p = join(tempDir(), 'bad.nc');
  const spec = fedorenkoSpec();
  spec.coords.find((c) => c.name === 'word')!.values = (spec.coords.find((c) => c.name === 'word')!.values as string[]).slice(1);
  await writeAssembly(p, spec);
  await rejects(readAssembly(p), `${p}: word: has 23 values, but its dimension 'presentation' has length 24`);
});

test('netcdf: no data variable, data not 2-D', async () => {
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  const dir = tempDir();
  const noData = join(dir, 'nodata.nc');
  let f = new h5wasm.File(noData, 'w');
  f.create_dataset({ name: 'x', data: new Float64Array(3) });
  f.close();
  await rejects(readNetcdfAssembly(noData), `${noData}: data: no data variable: expected a 2-D variable named 'data' or '__xarray_dataarray_variable__'`);
  const threeD = join(dir, '3d.nc');
  f = new h5wasm.File(threeD, 'w');
  f.create_dataset({ name: 'data', data: new Float64Array(24), shape: [2, 3, 4] });
  f.close();
  await rejects(readNetcdfAssembly(threeD), `${threeD}: data: has 3 dimensions (shape 2 × 3 × 4), expected 2 (presentation × neuroid)`);
});

test('fedorenko2016: broken designs and bad values fail precisely', async () => {
  const dir = tempDir();
  let k = 0;
  const write = async (edit: (s: AssemblySpec) => void): Promise<string> => {
    const spec = fedorenkoSpec();
    edit(spec);
    const p = join(dir, `f${k++}.nc`);
    await writeAssembly(p, spec);
    return p;
  };
  const coord = (s: AssemblySpec, name: string) => s.coords.find((c) => c.name === name)!.values as number[];

  let p = await write((s) => { s.data[5 * 7 + 3] = NaN; });
  await rejects(readAssembly(`fedorenko2016:${p}`), `${p}: data: row 5 (presentation), column 3 (neuroid) is NaN; expected finite values (Fedorenko2016 has no missing values)`);
  p = await write((s) => { s.data[23 * 7 + 6] = Infinity; });
  await rejects(readAssembly(`fedorenko2016:${p}`), `${p}: data: row 23 (presentation), column 6 (neuroid) is Infinity; expected finite values (Fedorenko2016 has no missing values)`);
  p = await write((s) => { coord(s, 'word_num')[12] = 3; });
  await rejects(readAssembly(`fedorenko2016:${p}`), `${p}: word_num: rows 11 and 12 are both word 3 of sentence 1; expected each (sentence_id, word_num) once`);
  p = await write((s) => { coord(s, 'sentence_id')[15] = 2; coord(s, 'word_num')[15] = 0; coord(s, 'word_num')[16] = 7; coord(s, 'word_num')[23] = 7; });
  await rejects(readAssembly(`fedorenko2016:${p}`), `${p}: word_num: rows 16 and 23 are both word 7 of sentence 2; expected each (sentence_id, word_num) once`);
  p = await write((s) => { coord(s, 'sentence_id')[15] = 3; coord(s, 'word_num')[15] = 0; });
  await rejects(readAssembly(`fedorenko2016:${p}`), `${p}: sentence_id: sentence 1 has 7 words (word_num 0, 1, 2, 3, 4, 5, 6), expected 8 (word_num 0..7)`);
  p = await write((s) => { coord(s, 'word_num')[4] = 8; });
  await rejects(readAssembly(`fedorenko2016:${p}`), `${p}: word_num: row 4 has word_num 8, expected 0..7`);
  p = await write((s) => { s.coords = s.coords.filter((c) => c.name !== 'sentence_id'); });
  await rejects(readAssembly(`fedorenko2016:${p}`), `${p}: sentence_id: missing presentation coordinate (sentence index per word); the file's presentation coordinates are: stimulus_id, stimulus, word, word_num`);
  p = await write((s) => { s.coords = s.coords.filter((c) => c.name !== 'word' && c.name !== 'stimulus'); });
  await rejects(readAssembly(`fedorenko2016:${p}`), `${p}: stimulus: missing presentation coordinate (the word of each row; 'word' is accepted too); the file's presentation coordinates are: stimulus_id, word_num, sentence_id`);
  p = await write((s) => { coord(s, 'neuroid_id')[6] = 0; });
  await rejects(readAssembly(`fedorenko2016:${p}`), `${p}: units.id: '0' is used by units 0 and 6; expected unique unit ids`);
});

test('assemblies: dispatch by prefix and stimulus_set_name', async () => {
  const dir = tempDir();
  await rejects(readAssembly('pereira2018:/x/assy_Pereira2018_language.nc'), '/x/assy_Pereira2018_language.nc: file: no such file or directory');
  await rejects(readAssembly('blank2014:/x/b.nc'), '/x/b.nc: file: no such file or directory');
  const p = join(dir, 'pereira.nc');
  await writeAssembly(p, { ...fedorenkoSpec(), attrs: { stimulus_set_name: 'Pereira2018' } });
  await rejects(readAssembly(p), `${p}: experiment: missing presentation coordinate (experiment of each sentence, '243sentences' or '384sentences'); the file's presentation coordinates are: stimulus_id, stimulus, word, word_num, sentence_id`);
  const q = join(dir, 'other.nc');
  await writeAssembly(q, { ...fedorenkoSpec(), attrs: { stimulus_set_name: 'Futrell2018' } });
  await rejects(readAssembly(q), `${q}: stimulus_set_name: 'Futrell2018' is not a known dataset; prefix the path with one of fedorenko2016:, pereira2018:, blank2014: to choose a reader`);
  // An explicit prefix overrides the attribute.
  assert.equal((await readAssembly(`fedorenko2016:${q}`)).y.rows, 24);
});
