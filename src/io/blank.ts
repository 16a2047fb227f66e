/**
 * Blank2014 (Brain-Score `Blank2014.fROI`) → Dataset: 1317 TRs of 8 stories, 60 fROIs
 * (5 subjects × 12 language fROIs). METHODS §1.3, DATASETS §4.
 *
 * Rows: stories in alphabetical order, each contiguous; within a story by
 * (sentence_number_in_story, part_number_in_sentence) (else by timepoint_value), which is
 * chronological. Each story must have its published number of TRs (Aqua 143, Boar 153, Elvis 135,
 * HighSchool 157, KingOfBirds 181, MatchstickSeller 181, MrSticky 189, Tulips 178).
 * Block = fold = story (leave one story out), position = TR index in the story, one experiment ('').
 *
 * Text: the assembly's `stimulus` (else `stimulus_sentence`) coordinate, or a stimuli file given
 * with --stimuli / `::stimuli=`: an .npz with one array of per-TR strings per story (as
 * `story_data_dict.npz`), whose lengths must equal the story's TR counts; the file's text wins.
 *
 * Units: a unit (fROI of a subject) with NaN on any row is removed (Blank2014 has one experiment,
 * so "not recorded" is not expressible per story); a subject left without units is an error.
 */
import type { Dataset } from '../data/dataset.js';
import { inputError } from '../data/errors.js';
import {
  intValues, optionalCoord, requireCoord, requirePresentationNeuroid, textValues,
} from './assembly-coords.js';
import type { NetcdfAssembly } from './netcdf.js';
import { setDatasetNotes, type DroppedUnits } from './notes.js';
import { readNpz } from './npy.js';
import { checkOptionKeys, stimuliOption, type ReaderOptions } from './spec-options.js';
import { validateDataset } from './validate.js';

/** TRs per story in Blank2014.fROI (REFERENCE_VALUES §L). */
export const BLANK_STORY_TRS: Readonly<Record<string, number>> = {
  Aqua: 143, Boar: 153, Elvis: 135, HighSchool: 157, KingOfBirds: 181, MatchstickSeller: 181, MrSticky: 189, Tulips: 178,
};

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Per-story TR text from an .npz (one 1-D string array per story). */
export function readStoryText(path: string): Map<string, string[]> {
  const npz = readNpz(path);
  const out = new Map<string, string[]>();
  for (const [key, arr] of npz) {
    if (!Array.isArray(arr.data)) throw inputError(path, key, `has dtype ${arr.dtype}, expected strings (one per TR)`);
    if (arr.shape.length !== 1) throw inputError(path, key, `has shape (${arr.shape.join(', ')}), expected a 1-D array of per-TR strings`);
    out.set(key, arr.data);
  }
  return out;
}

/** Blank2014 assembly → Dataset. Options: `stimuli=<npz>` (same as --stimuli). */
export function blankFromAssembly(a: NetcdfAssembly, ro: ReaderOptions): Dataset {
  checkOptionKeys(ro, ['stimuli'], 'Blank2014');
  requirePresentationNeuroid(a);
  const path = a.path;
  const n = a.data.rows;
  const m = a.data.cols;
  const story = textValues(a, requireCoord(a, 'presentation', 'story', 'story of each TR'), 'a story name');
  const sn = optionalCoord(a, 'presentation', 'sentence_number_in_story');
  const pn = optionalCoord(a, 'presentation', 'part_number_in_sentence');
  const tv = optionalCoord(a, 'presentation', 'timepoint_value');
  let key: (r: number) => [number, number];
  let orderNote: string;
  if (sn !== undefined && pn !== undefined) {
    const s = intValues(a, sn, 'sentence numbers');
    const p = intValues(a, pn, 'part numbers');
    key = (r) => [s[r], p[r]];
    orderNote = 'stories alphabetical; within a story by (sentence_number_in_story, part_number_in_sentence)';
  } else if (tv !== undefined) {
    const t = intValues(a, tv, 'times in seconds');
    key = (r) => [t[r], 0];
    orderNote = 'stories alphabetical; within a story by timepoint_value';
  } else {
    requireCoord(a, 'presentation', 'sentence_number_in_story', 'with part_number_in_sentence or timepoint_value: the order of TRs within a story');
    throw new Error('unreachable');
  }
  const sidCoord = optionalCoord(a, 'presentation', 'stimulus_id');
  const order = Array.from({ length: n }, (_, r) => r).sort((p, q) => {
    const kp = key(p);
    const kq = key(q);
    return cmp(story[p], story[q]) || kp[0] - kq[0] || kp[1] - kq[1] || p - q;
  });
  const stimulusId = sidCoord !== undefined ? textValues(a, sidCoord, 'a stimulus id')
    : Array.from({ length: n }, (_, r) => `${story[r]}.${key(r)[0]}.${key(r)[1]}`);
  const firstRow = new Map<string, number>();
  stimulusId.forEach((id, r) => {
    const prev = firstRow.get(id);
    if (prev !== undefined) throw inputError(path, sidCoord?.name ?? 'stimulus_id', `'${id}' is used by rows ${prev} and ${r}; expected unique stimulus ids`);
    firstRow.set(id, r);
  });
  for (let k = 1; k < n; k++) {
    const p = order[k - 1];
    const q = order[k];
    if (story[p] === story[q] && key(p)[0] === key(q)[0] && key(p)[1] === key(q)[1]) {
      throw inputError(path, sn !== undefined ? 'part_number_in_sentence' : 'timepoint_value', `rows ${Math.min(p, q)} and ${Math.max(p, q)} of story ${story[q]} have the same position (${key(q).join(', ')}); expected one TR per position`);
    }
  }
  // Stories and TR counts.
  const counts = new Map<string, number>();
  for (const s of story) counts.set(s, (counts.get(s) ?? 0) + 1);
  const stories = [...counts.keys()].sort(cmp);
  for (const s of stories) {
    const want = BLANK_STORY_TRS[s];
    if (want === undefined) throw inputError(path, 'story', `'${s}' is not one of the 8 Blank2014 stories (${Object.keys(BLANK_STORY_TRS).join(', ')})`);
    if (counts.get(s) !== want) throw inputError(path, 'story', `story ${s} has ${counts.get(s)} TRs, expected ${want} (Blank2014.fROI)`);
  }
  const missing = Object.keys(BLANK_STORY_TRS).filter((s) => !counts.has(s));
  if (missing.length > 0) throw inputError(path, 'story', `has no TRs of ${missing.join(', ')}; expected all 8 stories (1317 TRs)`);

  // Text.
  const stimuli = stimuliOption(ro);
  let text: string[];
  let textNote: string;
  if (stimuli !== undefined) {
    const byStory = readStoryText(stimuli);
    for (const s of byStory.keys()) if (!counts.has(s)) throw inputError(stimuli, s, `is not a story of ${path} (it has ${stories.join(', ')})`);
    const next = new Map<string, number>();
    text = order.map((r) => {
      const s = story[r];
      const arr = byStory.get(s);
      if (arr === undefined) throw inputError(stimuli, s, `missing; expected one array of per-TR strings for every story (${stories.join(', ')})`);
      if (arr.length !== counts.get(s)) throw inputError(stimuli, s, `has ${arr.length} TRs, expected ${counts.get(s)} (the TRs of story ${s} in ${path})`);
      const k = next.get(s) ?? 0;
      next.set(s, k + 1);
      return arr[k];
    });
    textNote = `${stimuli} (per-story arrays, in TR order)`;
  } else {
    const tc = optionalCoord(a, 'presentation', 'stimulus', 'stimulus_sentence');
    const values = tc !== undefined ? textValues(a, tc, 'the TR text', true) : null;
    text = values !== null ? order.map((r) => values[r]) : new Array<string>(n).fill('');
    textNote = tc !== undefined ? `assembly coordinate '${tc.name}'` : 'none (the data has no TR text; give --stimuli story_data_dict.npz)';
  }

  // Units.
  const subject = textValues(a, requireCoord(a, 'neuroid', 'subject_id', 'subject of each fROI'), 'a subject id');
  const nid = optionalCoord(a, 'neuroid', 'neuroid_id');
  const froi = optionalCoord(a, 'neuroid', 'fROI_area');
  const froiName = froi !== undefined ? textValues(a, froi, 'an fROI name') : null;
  const ids = nid !== undefined ? textValues(a, nid, 'a neuroid id') : Array.from({ length: m }, (_, j) => `${subject[j]}.${froiName !== null ? froiName[j] : j}`);
  const bad = new Uint8Array(m);
  let allNaN = 0;
  let someNaN = 0;
  for (let j = 0; j < m; j++) {
    let nans = 0;
    for (let r = 0; r < n; r++) if (Number.isNaN(a.data.data[r * m + j])) nans++;
    if (nans === n) { bad[j] = 1; allNaN++; } else if (nans > 0) { bad[j] = 1; someNaN++; }
  }
  for (const s of [...new Set(subject)]) {
    const cols = subject.map((x, j) => (x === s ? j : -1)).filter((j) => j >= 0);
    if (cols.every((j) => bad[j])) throw inputError(path, 'data', `subject '${s}' has no units with responses (all ${cols.length} of its fROIs have NaN); expected every subject to have at least one fROI`);
  }
  const keep: number[] = [];
  for (let j = 0; j < m; j++) if (!bad[j]) keep.push(j);
  const mk = keep.length;
  const y = new Float64Array(n * mk);
  order.forEach((r, k) => { for (let c = 0; c < mk; c++) y[k * mk + c] = a.data.data[r * m + keep[c]]; });
  const dropped: DroppedUnits[] = [];
  if (allNaN) dropped.push({ experiment: '', reason: 'NaN on every TR (not recorded; removed)', count: allNaN });
  if (someNaN) dropped.push({ experiment: '', reason: 'NaN on some TRs (removed)', count: someNaN });

  const position = new Int32Array(n);
  order.forEach((r, k) => { position[k] = k > 0 && story[order[k - 1]] === story[r] ? position[k - 1] + 1 : 0; });
  const dataset: Dataset = {
    name: 'blank2014',
    source: path,
    y: { rows: n, cols: mk, data: y },
    samples: {
      stimulusId: order.map((r) => stimulusId[r]),
      text,
      block: order.map((r) => story[r]),
      position,
      experiment: new Array<string>(n).fill(''),
      fold: order.map((r) => story[r]),
    },
    units: {
      id: keep.map((j) => ids[j]),
      subject: keep.map((j) => subject[j]),
      network: new Array<string>(mk).fill('language'),
      coords: null,
    },
    design: { kind: 'labels' },
    shuffleOrder: [],
    assembly: { identifier: 'Blank2014.fROI', presentationRow: Int32Array.from(order) },
  };
  validateDataset(dataset, path);
  setDatasetNotes(dataset, {
    reader: 'Blank2014 assembly (Brain-Score NetCDF)',
    text: textNote,
    order: orderNote,
    units: `every fROI${froiName !== null ? ` (${new Set(froiName).size} fROI areas)` : ''}, network 'language'`,
    dropped,
    remarks: [],
  });
  return dataset;
}
