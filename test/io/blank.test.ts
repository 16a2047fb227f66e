import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { blankFromAssembly, readStoryText } from '../../src/io/blank.js';
import { loadDataset } from '../../src/io/dataset.js';
import { readNetcdfAssembly, type NetcdfAssembly } from '../../src/io/netcdf.js';
import { getDatasetNotes } from '../../src/io/notes.js';
import { foldLabels, planFolds } from '../../src/regression/splits.js';
import { tempDir, rejects, edited } from './helpers.js';

const FIX = fileURLToPath(new URL('../fixtures/datasets/', import.meta.url));
const BLANK = join(FIX, 'blank2014-fROI-profileB.nc');
const NPZ = fileURLToPath(new URL('../../../shared/data/blank2014/story_data_dict.npz', import.meta.url));
const STORIES: Array<[string, number]> = [['Aqua', 143], ['Boar', 153], ['Elvis', 135], ['HighSchool', 157], ['KingOfBirds', 181], ['MatchstickSeller', 181], ['MrSticky', 189], ['Tulips', 178]];

/** Keeps the presentation rows `keep` of an assembly. */
function rowsOf(a: NetcdfAssembly, keep: number[]): NetcdfAssembly {
  const m = a.data.cols;
  const data = new Float64Array(keep.length * m);
  keep.forEach((r, k) => data.set(a.data.data.subarray(r * m, (r + 1) * m), k * m));
  return {
    ...a,
    data: { rows: keep.length, cols: m, data },
    coords: { ...a.coords, presentation: a.coords.presentation.map((c) => ({ name: c.name, values: keep.map((r) => c.values[r]) as string[] | number[] })) },
  };
}

/** A 1-D '<U' .npy (numpy format 1.0). */
function npyStrings(xs: string[]): Uint8Array {
  const w = Math.max(1, ...xs.map((s) => [...s].length));
  let header = `{'descr': '<U${w}', 'fortran_order': False, 'shape': (${xs.length},), }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + xs.length * w * 4);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  const dv = new DataView(out.buffer);
  xs.forEach((s, i) => [...s].forEach((ch, k) => dv.setUint32(10 + header.length + (i * w + k) * 4, ch.codePointAt(0)!, true)));
  return out;
}

const ro = (spec: string, stimuli?: string) => ({ spec, options: new Map<string, string>(), stimuli });

test('blank2014: the Blank2014.fROI fixture: 1317 TRs in 8 alphabetical, contiguous stories; 60 fROIs', async () => {
  const d = await loadDataset(`blank2014:${BLANK}`);
  assert.equal(d.name, 'blank2014');
  assert.equal(d.y.rows, 1317);
  assert.equal(d.y.cols, 60);
  const runs: Array<[string, number]> = [];
  for (const b of d.samples.block) {
    if (runs.length && runs[runs.length - 1][0] === b) runs[runs.length - 1][1]++;
    else runs.push([b, 1]);
  }
  assert.deepEqual(runs, STORIES);
  assert.deepEqual(d.samples.fold, d.samples.block);
  assert.ok(d.samples.experiment.every((e) => e === ''));
  assert.deepEqual(Array.from(d.samples.position.slice(140, 146)), [140, 141, 142, 0, 1, 2]);
  assert.deepEqual([...new Set(d.units.subject)], ['061', '085', '088', '090', '098']);
  assert.ok(d.units.subject.every((s) => d.units.subject.filter((x) => x === s).length === 12));
  assert.equal(d.units.id[0], '061.01_LH_PostTemp');
  // Text: the assembly's equals story_data_dict.npz, TR by TR.
  const npz = readStoryText(NPZ);
  assert.deepEqual(d.samples.text, STORIES.flatMap(([s]) => npz.get(s)!));
  const boar = d.samples.block.indexOf('Boar');
  assert.equal(d.samples.text.slice(boar, boar + 10).join(''), 'If you were to journey to the North of England, you would come to a valley that is surrounded by moors as high as mountains. It is in this valley where you would find the city of Bradford, where once a thousand spinning jennies that hummed and clattered spun wool into money for the long-bearded mill owners. That all mill owners were generally busy as beavers ');
  assert.equal(d.samples.text[d.samples.block.indexOf('KingOfBirds')], 'Once upon a ');
  // Leave-one-story-out folds: 8 outer, 7 inner.
  const { labels } = foldLabels(d, 'contiguous', 42).get('')!;
  const folds = planFolds(d.design, labels, 'blank');
  assert.deepEqual(folds.map((f) => f.test.length), STORIES.map(([, n]) => n));
  assert.ok(folds.every((f) => f.inner.length === 7));
  // Rows keep their values: the file's row of a stimulus id.
  const a = await readNetcdfAssembly(BLANK);
  const ids = a.coords.presentation.find((c) => c.name === 'stimulus_id')!.values as string[];
  for (const r of [0, 500, 1316]) {
    const fr = ids.indexOf(d.samples.stimulusId[r]);
    assert.deepEqual(d.y.data.subarray(r * 60, r * 60 + 60), a.data.data.subarray(fr * 60, fr * 60 + 60));
  }
  // Recognised by layout as a bare path; --stimuli gives the same text.
  const bare = await loadDataset(BLANK, { stimuli: NPZ });
  assert.deepEqual(bare.samples.text, d.samples.text);
  assert.match(getDatasetNotes(bare)!.text, /story_data_dict\.npz/);
});

test('blank2014: missing fROIs are dropped and reported; structural problems fail precisely', async () => {
  const a = await readNetcdfAssembly(BLANK);
  const m = a.data.cols;
  // One all-NaN fROI column: removed and reported.
  const nan1 = edited(a, (b) => { for (let r = 0; r < b.data.rows; r++) b.data.data[r * m + 7] = NaN; });
  const d = blankFromAssembly(nan1, ro('x'));
  assert.equal(d.y.cols, 59);
  assert.deepEqual(getDatasetNotes(d)!.dropped, [{ experiment: '', reason: 'NaN on every TR (not recorded; removed)', count: 1 }]);
  // A subject with no units.
  const subj = a.coords.neuroid.find((c) => c.name === 'subject_id')!.values as string[];
  const none = edited(a, (b) => { for (let r = 0; r < b.data.rows; r++) subj.forEach((s, j) => { if (s === '088') b.data.data[r * m + j] = NaN; }); });
  await rejects(() => blankFromAssembly(none, ro('x')), `${BLANK}: data: subject '088' has no units with responses (all 12 of its fROIs have NaN); expected every subject to have at least one fROI`);
  // Wrong TR count (a truncated story).
  const story = a.coords.presentation.find((c) => c.name === 'story')!.values as string[];
  const lastBoar = story.lastIndexOf('Boar');
  const short = rowsOf(a, story.map((_, r) => r).filter((r) => r !== lastBoar));
  await rejects(() => blankFromAssembly(short, ro('x')), `${BLANK}: story: story Boar has 152 TRs, expected 153 (Blank2014.fROI)`);
  // Duplicated stimulus ids.
  const ids = a.coords.presentation.find((c) => c.name === 'stimulus_id')!.values as string[];
  const dup = edited(a, (b) => { (b.coords.presentation.find((c) => c.name === 'stimulus_id')!.values as string[])[9] = ids[4]; });
  await rejects(() => blankFromAssembly(dup, ro('x')), `${BLANK}: stimulus_id: '${ids[4]}' is used by rows 4 and 9; expected unique stimulus ids`);
  // A stimuli file with the wrong number of TRs for a story.
  const npz = readStoryText(NPZ);
  const dir = tempDir();
  const bad = join(dir, 'stories.npz');
  const entries: Record<string, Uint8Array> = {};
  for (const [s] of STORIES) entries[`${s}.npy`] = npyStrings(s === 'Elvis' ? npz.get(s)!.slice(1) : npz.get(s)!);
  writeFileSync(bad, zipSync(entries));
  await rejects(loadDataset(`blank2014:${BLANK}`, { stimuli: bad }), `${bad}: Elvis: has 134 TRs, expected 135 (the TRs of story Elvis in ${BLANK})`);
  // No way to order the TRs of a story.
  const noOrder = edited(a, (b) => { b.coords.presentation = b.coords.presentation.filter((c) => !['sentence_number_in_story', 'timepoint_value'].includes(c.name)); });
  await rejects(() => blankFromAssembly(noOrder, ro('x')), `${BLANK}: sentence_number_in_story: missing presentation coordinate (with part_number_in_sentence or timepoint_value: the order of TRs within a story); the file's presentation coordinates are: stimulus_sentence, story, stimulus_id, meta_sentence, part_number_in_sentence, stimulus`);
  // Fedorenko's stimuli file is text (one sentence per line), not an .npz.
  const fed = fileURLToPath(new URL('../../../shared/data/fedorenko2016/fedorenko2016.nc', import.meta.url));
  await rejects(loadDataset(`fedorenko2016:${fed}`, { stimuli: NPZ }), `${NPZ}: file: is not valid UTF-8 text`);
});
