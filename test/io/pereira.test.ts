import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../../src/data/dataset.js';
import { loadDataset } from '../../src/io/dataset.js';
import { readNetcdfAssembly, type NetcdfAssembly } from '../../src/io/netcdf.js';
import { pereiraFromAssembly } from '../../src/io/pereira.js';
import { getDatasetNotes } from '../../src/io/notes.js';
import { foldLabels, planFolds } from '../../src/regression/splits.js';
import { tempDir, writeAssembly, type CoordSpec, rejects, edited } from './helpers.js';

const FIX = fileURLToPath(new URL('../fixtures/datasets/', import.meta.url));
const LANG = join(FIX, 'pereira2018-language-profileB.nc');
const ALL = join(FIX, 'pereira2018-allatlas-profileC.nc');
const SHARED = fileURLToPath(new URL('../../../shared/data/pereira2018/', import.meta.url));
const ORDERED = join(SHARED, 'sentences_ordered.txt');

function foldSizes(d: Dataset, exp: string): { sizes: number[]; inner: number[] } {
  const { labels } = foldLabels(d, 'contiguous', 42).get(exp)!;
  const folds = planFolds(d.design, labels, exp);
  return { sizes: folds.map((f) => f.test.length), inner: folds.map((f) => f.inner.length) };
}

function recorded(d: Dataset, exp: string): number {
  const rows = d.samples.experiment.map((e, r) => (e === exp ? r : -1)).filter((r) => r >= 0);
  let n = 0;
  for (let j = 0; j < d.y.cols; j++) if (rows.every((r) => Number.isFinite(d.y.data[r * d.y.cols + j]))) n++;
  return n;
}

const coord = (a: NetcdfAssembly, dim: string, name: string) => a.coords[dim].find((c) => c.name === name)!;
const ro = (spec: string, stimuli?: string) => ({ spec, options: new Map<string, string>(), stimuli });

test('pereira2018: the Pereira2018.language fixture (profile B, interleaved rows) in analysis order', async () => {
  const d = await loadDataset(`pereira2018:${LANG}`);
  assert.equal(d.name, 'pereira2018');
  assert.equal(d.y.rows, 627);
  assert.equal(d.y.cols, 80);
  assert.equal(new Set(d.samples.block).size, 168);
  assert.deepEqual([...new Set(d.samples.experiment)], ['243', '384']);
  assert.equal(d.samples.experiment.filter((e) => e === '243').length, 243);
  assert.deepEqual(d.shuffleOrder, ['384', '243']);
  assert.deepEqual(d.design, { kind: 'labels' });
  // Appendix A: astronaut = rows 0-3, 4-6, 7-9; beekeeping-0 = rows 10-13.
  assert.deepEqual(d.samples.block.slice(0, 14), [
    ...Array(4).fill('243-astronaut-0'), ...Array(3).fill('243-astronaut-1'), ...Array(3).fill('243-astronaut-2'), ...Array(4).fill('243-beekeeping-0'),
  ]);
  assert.deepEqual(Array.from(d.samples.position.slice(0, 8)), [0, 1, 2, 3, 0, 1, 2, 0]);
  assert.deepEqual(d.samples.fold?.slice(0, 2), ['0-fh', '0-fh']);
  assert.equal(d.samples.text[0], 'Astronauts train a long time for their spacewalks.');
  assert.equal(d.samples.stimulusId[10], '243sentences.0');
  assert.equal(d.samples.text[243], 'Cats are small furry animals with four legs and a tail.');
  assert.ok(d.samples.text.includes('The reason he came to law school in the first place was cliché.'), 'UTF-8 text survives');
  // Fold sizes (REFERENCE_VALUES §L).
  assert.deepEqual(foldSizes(d, '384'), { sizes: Array(8).fill(48), inner: Array(8).fill(7) });
  assert.deepEqual(foldSizes(d, '243'), { sizes: [47, 46, 38, 38, 37, 37], inner: Array(6).fill(5) });
  // Units: 10 subjects × 8 voxels; 6 subjects did 243, 9 did 384.
  assert.equal(recorded(d, '243'), 48);
  assert.equal(recorded(d, '384'), 72);
  assert.deepEqual([...new Set(d.units.subject)], ['018', '199', '215', '288', '289', '296', '343', '366', '407', '426']);
  assert.ok(d.units.network.every((x) => x === 'language'));
  assert.equal(d.units.coords?.rows, 80);
  const notes = getDatasetNotes(d)!;
  assert.deepEqual(notes.dropped, [
    { experiment: '243', reason: "NaN in the experiment's first row (not recorded)", count: 32 },
    { experiment: '384', reason: "NaN in the experiment's first row (not recorded)", count: 8 },
  ]);
  // Values follow their rows: compare with the file by stimulus id and neuroid id.
  const a = await readNetcdfAssembly(LANG);
  const ids = coord(a, 'presentation', 'stimulus_id').values as string[];
  const nids = coord(a, 'neuroid', 'neuroid_id').values as string[];
  for (const r of [0, 100, 300, 626]) {
    const fr = ids.indexOf(d.samples.stimulusId[r]);
    for (const c of [0, 17, 79]) {
      const fc = nids.indexOf(d.units.id[c]);
      assert.ok(Object.is(d.y.data[r * 80 + c], a.data.data[fr * a.data.cols + fc]) || (Number.isNaN(d.y.data[r * 80 + c]) && Number.isNaN(a.data.data[fr * a.data.cols + fc])));
    }
  }
  // The bare path is recognised by its layout.
  const bare = await loadDataset(LANG);
  assert.deepEqual(bare.samples.block, d.samples.block);
});

test('pereira2018: --stimuli sentences_ordered.txt gives the authors\' row order and text', async () => {
  const d = await loadDataset(`pereira2018:${LANG}`, { stimuli: ORDERED });
  const lines = readFileSync(ORDERED, 'utf8').split('\n').filter((l) => l !== '');
  assert.deepEqual(d.samples.text, lines);
  assert.equal(new Set(d.samples.block).size, 168);
  assert.deepEqual(foldSizes(d, '384').sizes, Array(8).fill(48));
  assert.deepEqual(foldSizes(d, '243').sizes, [47, 46, 38, 38, 37, 37]);
  const plain = await loadDataset(`pereira2018:${LANG}`);
  // Exp 243 is the same either way; 6 exp-384 categories order their passages differently.
  assert.deepEqual(d.samples.stimulusId.slice(0, 243), plain.samples.stimulusId.slice(0, 243));
  assert.notDeepEqual(d.samples.stimulusId.slice(243), plain.samples.stimulusId.slice(243));
  const crime = d.samples.block.indexOf('384-crime-0');
  assert.equal(d.samples.text[crime], 'Drunk driving is the act of driving under the effects of alcohol.');
  assert.match(getDatasetNotes(d)!.text, /623 exact, 2 up to whitespace, 2 within 3 edits/);
  // The same stimulus has the same responses in both orders.
  const r2 = plain.samples.stimulusId.indexOf(d.samples.stimulusId[crime]);
  assert.deepEqual(d.y.data.subarray(crime * 80, crime * 80 + 80), plain.y.data.subarray(r2 * 80, r2 * 80 + 80));
  // Same via the spec option.
  const viaSpec = await loadDataset(`pereira2018:${LANG}::stimuli=${ORDERED}`);
  assert.deepEqual(viaSpec.samples.stimulusId, d.samples.stimulusId);
});

test('pereira2018: options network= and halves=', async () => {
  const lang = await loadDataset(`pereira2018:${LANG}::network=language`);
  assert.equal(lang.y.cols, 80);
  await rejects(loadDataset(`pereira2018:${LANG}::network=language,MD`), `pereira2018:${LANG}::network=language,MD: network: ${LANG} has no atlas coordinate (it holds one network), so network=language,MD cannot be selected; give one name, which labels its units`);
  await rejects(loadDataset(`pereira2018:${LANG}::atlas=MD`), `pereira2018:${LANG}::atlas=MD: dataset: option 'atlas' is not known; the Pereira2018 reader takes network=, halves=, stimuli=`);
  await rejects(loadDataset(`pereira2018:${LANG}::network`), `pereira2018:${LANG}::network: dataset: option 'network' is not key=value (options follow the path as ::key=value)`);
  const dir = tempDir();
  const halves = join(dir, 'halves.csv');
  const cats243 = ['astronaut', 'beekeeping', 'blindness', 'bone_fracture', 'castle', 'computer_graphics', 'dreams', 'gambling', 'hurricane', 'ice_cream', 'infection', 'law_school', 'lawn_mower', 'opera', 'owl', 'painter', 'pharmacist', 'polar_bear', 'pyramid', 'rock_climbing', 'skiing', 'stress', 'taste', 'tuxedo'];
  const cats384 = ['animal', 'appliance', 'bird', 'body_part', 'building_part', 'clothing', 'crime', 'disaster', 'drink_non_alcoholic', 'dwelling', 'fish', 'fruit', 'furniture', 'human', 'insect', 'kitchen_utensil', 'landscape', 'music', 'place', 'profession', 'tool', 'vegetable', 'vehicles_transport', 'weapon'];
  const rows = [...cats243.map((c, k) => `${c},${k < 12 ? 'fh' : 'sh'}`), ...cats384.map((c, k) => `${c},${k % 2 ? 'fh' : 'sh'}`)];
  writeFileSync(halves, `category,half\n${rows.join('\n')}\n`);
  const h = await loadDataset(`pereira2018:${LANG}::halves=${halves}`);
  assert.deepEqual(foldSizes(h, '384').sizes, Array(8).fill(48));
  assert.deepEqual(foldSizes(h, '243').sizes, [47, 46, 39, 37, 36, 38]); // alphabetical halves, from Appendix A
  assert.equal(h.samples.fold?.[h.samples.block.indexOf('384-animal-0')], '0-sh');
  writeFileSync(halves, `category,half\n${rows.slice(1).join('\n')}\n`);
  await rejects(loadDataset(`pereira2018:${LANG}::halves=${halves}`), `${halves}: category: 'astronaut' (experiment 243) is not listed; expected a half (fh or sh) for every category`);
});

test('pereira2018: the all-atlas variant (profile C): atlas selection, string filter_strategy, isolated NaN, no text', async () => {
  const d = await loadDataset(ALL);
  assert.equal(d.y.cols, 11); // 3 subjects × 4 language voxels, less one NminusS voxel
  assert.ok(d.samples.text.every((t) => t === ''));
  assert.deepEqual(getDatasetNotes(d)!.dropped, [
    { experiment: '243', reason: "NaN in the experiment's first row (not recorded)", count: 4 },
    { experiment: '384', reason: "NaN in the experiment's first row (not recorded)", count: 4 },
    { experiment: '384', reason: 'NaN in some rows of the experiment (excluded from it, as dropna)', count: 1 },
  ]);
  assert.equal(recorded(d, '384'), 6);
  const all = await loadDataset(`${ALL}::network=all`);
  assert.equal(all.y.cols, 20);
  assert.deepEqual([...new Set(all.units.network)].sort(), ['MD', 'language']);
  assert.ok(all.units.id.every((id, j) => id.startsWith(`${all.units.network[j]}.`)));
  const md = await loadDataset(`${ALL}::network=md`);
  assert.equal(md.y.cols, 9);
  await rejects(loadDataset(`${ALL}::network=visual`), `${ALL}::network=visual: network: 'visual' is not a network of ${ALL}; it has MD, language (or network=all)`);
  // No text: the stimuli file lists each experiment's sentences in presentation (stimulus_num) order.
  const dir = tempDir();
  const pres = join(dir, 'presentation-order.txt');
  writeFileSync(pres, readFileSync(join(SHARED, 'stimuli_243sentences.txt'), 'utf8') + readFileSync(join(SHARED, 'stimuli_384sentences.txt'), 'utf8'));
  const t = await loadDataset(ALL, { stimuli: pres });
  assert.equal(t.samples.text[t.samples.stimulusId.indexOf('243sentences.121')], 'The concert pianist went blind in adulthood.');
  assert.equal(t.samples.text[t.samples.stimulusId.indexOf('384sentences.0')], 'An accordion is a portable musical instrument with two keyboards.');
});

test('pereira2018: structural problems fail with precise messages', async () => {
  const a = await readNetcdfAssembly(LANG);
  const stimIds = coord(a, 'presentation', 'stimulus_id').values as string[];
  // A sentence that matches nothing in the stimuli file.
  const r = stimIds.indexOf('243sentences.5');
  const bad = edited(a, (b) => { (coord(b, 'presentation', 'stimulus').values as string[])[r] = 'Nothing like this was ever shown to anyone.'; });
  await rejects(() => pereiraFromAssembly(bad, ro('x', ORDERED)), `${LANG}: stimulus: 'Nothing like this was ever shown to anyone.' (243sentences.5, experiment 243) matches no line of ${ORDERED}; expected every sentence of the experiment among its lines 1–243 (exactly, up to whitespace, or within 3 character edits)`);
  // Duplicated stimulus ids.
  const r7 = stimIds.indexOf('384sentences.7');
  const dup = edited(a, (b) => { (coord(b, 'presentation', 'stimulus_id').values as string[])[r7] = '384sentences.6'; });
  const r6 = stimIds.indexOf('384sentences.6');
  await rejects(() => pereiraFromAssembly(dup, ro('x')), `${LANG}: stimulus_id: '384sentences.6' is used by rows ${Math.min(r6, r7)} and ${Math.max(r6, r7)}; expected unique stimulus ids`);
  // A subject with no units (every value of subject 199 missing).
  const subj = coord(a, 'neuroid', 'subject').values as string[];
  const none = edited(a, (b) => { for (let i = 0; i < b.data.rows; i++) subj.forEach((s, j) => { if (s === '199') b.data.data[i * b.data.cols + j] = NaN; }); });
  await rejects(() => pereiraFromAssembly(none, ro('x')), `${LANG}: data: subject '199' has no units with responses (its 8 columns are NaN in every experiment); expected every subject to be recorded in at least one experiment`);
  // Mislabelled: one sentence of a passage carries another category.
  const rr = stimIds.indexOf('243sentences.1');
  const cats = coord(a, 'presentation', 'passage_category').values as string[];
  const mis = edited(a, (b) => { (coord(b, 'presentation', 'passage_category').values as string[])[rr] = 'owl'; });
  const rr0 = stimIds.indexOf('243sentences.0');
  assert.equal(cats[rr0], 'beekeeping');
  await rejects(() => pereiraFromAssembly(mis, ro('x')), `${LANG}: passage_category: passage 1 of experiment 243 has category '${rr0 < rr ? 'beekeeping' : 'owl'}' at row ${Math.min(rr0, rr)} and '${rr0 < rr ? 'owl' : 'beekeeping'}' at row ${Math.max(rr0, rr)}; expected one category per passage`);
  // Stimuli file of the wrong length.
  const dir = tempDir();
  const short = join(dir, 'short.txt');
  writeFileSync(short, readFileSync(ORDERED, 'utf8').split('\n').slice(1).join('\n'));
  await rejects(loadDataset(`pereira2018:${LANG}`, { stimuli: short }), `${short}: lines: has 626 sentences, expected 627 (one per row of ${LANG}: 243 of experiment 243, then 384 of experiment 384)`);
  // A coordinate of the wrong length, in a file.
  const coords: CoordSpec[] = [];
  for (const dim of ['presentation', 'neuroid'] as const) {
    for (const c of a.coords[dim]) if (c.name !== 'filter_strategy') coords.push({ name: c.name, dim, values: c.values });
  }
  const pi = coords.find((c) => c.name === 'passage_index')!;
  pi.values = (pi.values as number[]).slice(0, 626);
  const wrong = join(dir, 'wrong-length.nc');
  await writeAssembly(wrong, { nPresentation: 627, nNeuroid: 80, coords, data: a.data.data });
  await rejects(loadDataset(`pereira2018:${wrong}`), `${wrong}: passage_index: has 626 values, but its dimension 'presentation' has length 627`);
  // A truncated file.
  const trunc = join(dir, 'truncated.nc');
  writeFileSync(trunc, readFileSync(LANG).subarray(0, 100000));
  await rejects(loadDataset(`pereira2018:${trunc}`), `${trunc}: file: cannot open as HDF5/NetCDF-4 (File has been truncated)`);
  // Missing coordinate.
  const noExp = edited(a, (b) => { b.coords.presentation = b.coords.presentation.filter((c) => c.name !== 'experiment'); });
  await rejects(() => pereiraFromAssembly(noExp, ro('x')), `${LANG}: experiment: missing presentation coordinate (experiment of each sentence, '243sentences' or '384sentences'); the file's presentation coordinates are: stimulus_num, sentence, stimulus, passage_index, passage_label, passage_category, stimulus_id, story`);
});
