/**
 * Pereira2018 → Dataset: both experiments in one Dataset, in the analysis row order of the paper
 * (docs/method.md §1.1): experiment 243 first, then 384; within an experiment categories in alphabetical
 * (code-point) order, passages in ascending passage number, sentences in presentation order.
 *
 * Row order and passage numbers come from one of two places:
 *
 * - **the file's own coordinates** (default): passage number = rank of `passage_index` among the
 *   category's passages, sentence order = `stimulus_num`. For experiment 243 this is exactly the
 *   authors' order. For experiment 384 it differs in 6 of 24 categories (crime, fruit, furniture,
 *   insect, vehicles_transport, weapon), whose passages the authors' `sentences_ordered.txt` lists in
 *   an order that is not `passage_index` order (found by matching that file against Pereira's
 *   stimulus lists, shared/data/pereira2018). Fold *sizes* are identical either way.
 * - **a stimuli file** (`--stimuli`, or `::stimuli=`): one sentence per line in the analysis order,
 *   e.g. `sentences_ordered.txt` (627 lines: the 243 lines of experiment 243, then the 384 of 384).
 *   Each row of the file is matched to a line by (experiment, sentence text): exactly, else up to
 *   whitespace, else within 3 character edits when the nearest line is unique (this absorbs
 *   "bunchs"/"bunches"-like fixes between Pereira's lists and the authors' file). Rows are put in the
 *   file's order, the passage number is the rank of the passage among its category's passages in
 *   that order, and the text is the file's. When the dataset has no sentence text (the all-atlas
 *   variant), nothing can be matched: the file must then list each experiment's sentences in
 *   presentation (stimulus_num) order, e.g. `cat stimuli_243sentences.txt stimuli_384sentences.txt`,
 *   and the rows keep the coordinate order.
 *
 * Folds: label "{passageNumber}-{half}" (src/data/pereira-design.ts), block
 * "{exp}-{category}-{passageNumber}", position = sentence index in the passage. Halves: exp 243 the
 * recovered grouping; exp 384 (and any other experiment) the alphabetically first half of its
 * categories; or a CSV `category,half` given with `::halves=<csv>`.
 *
 * Missing values (docs/method.md §1.1, Brain-Score dropna): per experiment, a unit that is NaN in the
 * experiment's first row was not recorded there; a unit with any other NaN in the experiment is
 * excluded from it as well. Either way the unit becomes NaN on all of that experiment's rows (the
 * Dataset convention for "not recorded"); a unit recorded in no experiment is removed.
 */
import type { Dataset } from '../data/dataset.js';
import { inputError } from '../data/errors.js';
import { PEREIRA_243_FIRST_HALF, PEREIRA_384_FIRST_HALF, pereiraPassages } from '../data/pereira-design.js';
import type { Matrix64 } from '../linalg/matrix.js';
import {
  intValues, optionalCoord, optionalTextValues, requireCoord, requirePresentationNeuroid, textValues,
} from './assembly-coords.js';
import { csvColumn, readCsv } from './csv.js';
import { readText } from './fsutil.js';
import type { NetcdfAssembly } from './netcdf.js';
import { setDatasetNotes, type DroppedUnits } from './notes.js';
import { checkOptionKeys, stimuliOption, type ReaderOptions } from './spec-options.js';
import { validateDataset } from './validate.js';

/** Presentation metadata of a Pereira dataset in file order (one entry per row of `y`). */
export interface PereiraRowsInput {
  /** File named in messages about these rows. */
  source: string;
  /** Experiment per row, normalised ('243', '384'). */
  experiment: string[];
  /** 0-based sentence index within the experiment (= row of the source matrix). */
  stimulusNum: number[];
  stimulusId: string[];
  /** 1-based passage index within the experiment. */
  passageIndex: number[];
  category: string[];
  /** Sentence text per row, or null when the source has none. */
  text: string[] | null;
  /** Name of the text field in messages (e.g. 'sentence', 'keySentences'). */
  textField: string;
}

/** Unit metadata (one entry per column of `y`). */
export interface PereiraUnitsInput {
  id: string[];
  subject: string[];
  network: string[];
  /** units × 3 voxel grid coordinates, or null. */
  coords: Matrix64 | null;
}

export interface PereiraBuildOptions {
  /** Dataset.source (path as given). */
  source: string;
  /** Stimuli file (text in the analysis order), if any. */
  stimuli?: string;
  /** CSV `category,half` overriding the default halves, if any. */
  halves?: string;
  /** Reader description for the notes (e.g. 'Pereira2018 assembly (NetCDF)'). */
  reader: string;
  /** Unit selection description for the notes. */
  unitsNote: string;
  /** Where the text came from when no stimuli file is given (e.g. "assembly coordinate 'stimulus'"). */
  textNote: string;
  /** Which Brain-Score assembly the rows and units are (Dataset.assembly; rows are in file order). */
  assembly: { identifier: string | null; note?: string };
}

/** '243sentences' → '243'; '384' stays. */
export function pereiraExperimentName(raw: string, source: string, field: string, index: number): string {
  const m = /^([0-9]+)(sentences)?$/.exec(raw);
  if (m === null) throw inputError(source, field, `value '${raw}' at index ${index} is not an experiment name; expected '243sentences' or '384sentences'`);
  return m[1];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Experiments in analysis order: numerically ascending (243 before 384). */
function experimentOrder(exps: Iterable<string>): string[] {
  return [...new Set(exps)].sort((a, b) => Number(a) - Number(b) || cmp(a, b));
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** Levenshtein distance, stopping early above `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length];
}

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Lines of a text file, one sentence per line; a final newline is allowed, empty lines are not. */
export function readSentenceLines(path: string): string[] {
  const text = readText(path, 'file');
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((l, k) => {
    if (l.trim() === '') throw inputError(path, `line ${k + 1}`, 'is empty; expected one sentence per line');
  });
  return lines;
}

const MAX_EDITS = 3;

/**
 * Matches the stimuli file to the rows (see the module comment). Returns the dataset rows in file
 * order (`order[k]` = input row of line k) and a description of the matching.
 */
function matchStimuli(rows: PereiraRowsInput, coordOrder: number[], exps: string[], stimuli: string): { order: number[]; text: string[]; note: string } {
  const lines = readSentenceLines(stimuli);
  const counts = exps.map((e) => rows.experiment.filter((x) => x === e).length);
  const total = counts.reduce((a, b) => a + b, 0);
  if (lines.length !== total) {
    throw inputError(stimuli, 'lines', `has ${plural(lines.length, 'sentence')}, expected ${total} (one per row of ${rows.source}: ${exps.map((e, k) => `${counts[k]} of experiment ${e}`).join(', then ')})`);
  }
  const order: number[] = new Array(total);
  const text = lines.slice();
  let start = 0;
  if (rows.text === null) {
    // No text to match: line k of an experiment's block is its stimulus_num k (presentation order).
    const out = new Array<string>(rows.experiment.length);
    exps.forEach((e, ei) => {
      const rs = rows.experiment.map((x, r) => (x === e ? r : -1)).filter((r) => r >= 0).sort((p, q) => rows.stimulusNum[p] - rows.stimulusNum[q]);
      rs.forEach((r, k) => { out[r] = lines[start + k]; });
      start += counts[ei];
    });
    return { order: coordOrder, text: coordOrder.map((r) => out[r]), note: `${stimuli}, assigned by position: line k of an experiment's block is its stimulus_num k (the data has no sentence text)` };
  }
  const src = rows.text;
  let exact = 0;
  let spaced = 0;
  let edited = 0;
  exps.forEach((e, ei) => {
    const n = counts[ei];
    const lineIdx = Array.from({ length: n }, (_, k) => start + k);
    const rowIdx = coordOrder.filter((r) => rows.experiment[r] === e);
    // Duplicate sentences make the matching ambiguous.
    const seenRow = new Map<string, number>();
    for (const r of rowIdx) {
      const p = seenRow.get(src[r]);
      if (p !== undefined) throw inputError(rows.source, rows.textField, `'${src[r]}' is the text of both ${rows.stimulusId[p]} and ${rows.stimulusId[r]} (experiment ${e}); expected each sentence once per experiment`);
      seenRow.set(src[r], r);
    }
    const seenLine = new Map<string, number>();
    for (const k of lineIdx) {
      const p = seenLine.get(lines[k]);
      if (p !== undefined) throw inputError(stimuli, `line ${k + 1}`, `repeats line ${p + 1} ('${lines[k]}'); expected each sentence once per experiment`);
      seenLine.set(lines[k], k);
    }
    const lineOf = new Map<number, number>(); // row → line
    const rowOfLine = new Map<number, number>();
    const link = (r: number, k: number) => { lineOf.set(r, k); rowOfLine.set(k, r); };
    for (const r of rowIdx) {
      const k = seenLine.get(src[r]);
      if (k !== undefined) { link(r, k); exact++; }
    }
    const bySquash = new Map<string, number[]>();
    for (const k of lineIdx) if (!rowOfLine.has(k)) bySquash.set(squash(lines[k]), [...(bySquash.get(squash(lines[k])) ?? []), k]);
    for (const r of rowIdx) {
      if (lineOf.has(r)) continue;
      const ks = bySquash.get(squash(src[r]));
      if (ks !== undefined && ks.length === 1 && !rowOfLine.has(ks[0])) { link(r, ks[0]); spaced++; }
    }
    const restRows = rowIdx.filter((r) => !lineOf.has(r));
    const restLines = lineIdx.filter((k) => !rowOfLine.has(k));
    if (restRows.length > 0 && restRows.length <= 20) {
      for (const r of restRows) {
        let best = -1; let bestD = MAX_EDITS + 1; let tie = false;
        for (const k of restLines) {
          if (rowOfLine.has(k)) continue;
          const d = editDistance(squash(src[r]), squash(lines[k]), MAX_EDITS);
          if (d < bestD) { best = k; bestD = d; tie = false; } else if (d === bestD) tie = true;
        }
        if (best >= 0 && bestD <= MAX_EDITS && !tie) { link(r, best); edited++; }
      }
    }
    for (const r of rowIdx) {
      if (!lineOf.has(r)) {
        throw inputError(rows.source, rows.textField, `'${src[r]}' (${rows.stimulusId[r]}, experiment ${e}) matches no line of ${stimuli}; expected every sentence of the experiment among its lines ${start + 1}–${start + n} (exactly, up to whitespace, or within ${MAX_EDITS} character edits)`);
      }
    }
    for (const k of lineIdx) order[k] = rowOfLine.get(k) as number;
    start += n;
  });
  const how = [`${exact} exact`, spaced ? `${spaced} up to whitespace` : '', edited ? `${edited} within ${MAX_EDITS} edits` : ''].filter((x) => x).join(', ');
  return { order, text, note: `${stimuli} (matched by experiment and sentence text: ${how})` };
}

/** Category → half for every category of the dataset. */
function categoryHalves(categoriesByExp: Map<string, string[]>, halvesFile: string | undefined, source: string): { half: Map<string, 'fh' | 'sh'>; note: string } {
  const half = new Map<string, 'fh' | 'sh'>();
  if (halvesFile !== undefined) {
    const t = readCsv(halvesFile);
    const cat = csvColumn(t, 'category');
    const h = csvColumn(t, 'half');
    if (cat === null || h === null) throw inputError(halvesFile, cat === null ? 'category' : 'half', `required column is missing (columns found: ${t.header.join(', ')}); expected columns category,half`);
    const all = new Set([...categoriesByExp.values()].flat());
    const given = new Map<string, 'fh' | 'sh'>();
    cat.forEach((c, k) => {
      const v = h[k];
      if (v !== 'fh' && v !== 'sh') throw inputError(halvesFile, 'half', `line ${t.lines[k]} has '${v}', expected fh or sh`);
      if (!all.has(c)) throw inputError(halvesFile, 'category', `line ${t.lines[k]} names '${c}', which is not a category of ${source}`);
      if (given.has(c)) throw inputError(halvesFile, 'category', `'${c}' is listed twice (line ${t.lines[k]})`);
      given.set(c, v);
    });
    for (const [e, cats] of categoriesByExp) {
      for (const c of cats) {
        const v = given.get(c);
        if (v === undefined) throw inputError(halvesFile, 'category', `'${c}' (experiment ${e}) is not listed; expected a half (fh or sh) for every category`);
        half.set(c, v);
      }
    }
    return { half, note: `halves from ${halvesFile}` };
  }
  const known = new Map<string, Set<string>>();
  for (const p of pereiraPassages()) {
    if (!known.has(p.experiment)) known.set(p.experiment, new Set());
    known.get(p.experiment)!.add(p.category);
  }
  const notes: string[] = [];
  for (const [e, cats] of categoriesByExp) {
    if (e === '243') {
      for (const c of cats) {
        if (!known.get('243')!.has(c)) {
          throw inputError(source, 'passage_category', `experiment 243 has category '${c}', which is not one of the 24 exp-243 topics whose halves were recovered (docs/method.md §1.1); give the halves with ::halves=<csv with columns category,half>`);
        }
        half.set(c, PEREIRA_243_FIRST_HALF.includes(c) ? 'fh' : 'sh');
      }
      notes.push('exp 243: recovered fh/sh grouping');
    } else if (e === '384' && cats.every((c) => known.get('384')!.has(c))) {
      for (const c of cats) half.set(c, PEREIRA_384_FIRST_HALF.includes(c) ? 'fh' : 'sh');
      notes.push('exp 384: alphabetically first 12 categories = fh (the authors\' grouping is unpublished)');
    } else {
      const sorted = [...cats].sort(cmp);
      const k = Math.floor(sorted.length / 2);
      sorted.forEach((c, i) => half.set(c, i < k ? 'fh' : 'sh'));
      notes.push(`exp ${e}: alphabetically first ${k} categories = fh`);
    }
  }
  return { half, note: notes.join('; ') };
}

/**
 * Builds the Pereira2018 Dataset from rows (presentation metadata), units and responses y (rows ×
 * units, NaN = missing), in any row order. Used by the NetCDF and the MAT readers.
 */
export function buildPereiraDataset(rows: PereiraRowsInput, units: PereiraUnitsInput, y: Matrix64, opts: PereiraBuildOptions): Dataset {
  const src = rows.source;
  const n = y.rows;
  const m = y.cols;
  // Identity and consistency of rows.
  const ids = new Map<string, number>();
  rows.stimulusId.forEach((id, r) => {
    const p = ids.get(id);
    if (p !== undefined) throw inputError(src, 'stimulus_id', `'${id}' is used by rows ${p} and ${r}; expected unique stimulus ids`);
    ids.set(id, r);
  });
  const nums = new Map<string, number>();
  for (let r = 0; r < n; r++) {
    const key = `${rows.experiment[r]}\u0000${rows.stimulusNum[r]}`;
    const p = nums.get(key);
    if (p !== undefined) throw inputError(src, 'stimulus_num', `rows ${p} and ${r} are both stimulus ${rows.stimulusNum[r]} of experiment ${rows.experiment[r]}; expected each stimulus_num once per experiment`);
    nums.set(key, r);
  }
  const passageCat = new Map<string, { cat: string; row: number }>();
  for (let r = 0; r < n; r++) {
    if (!Number.isInteger(rows.passageIndex[r]) || rows.passageIndex[r] < 1) {
      throw inputError(src, 'passage_index', `row ${r} has ${rows.passageIndex[r]}, expected a passage number ≥ 1`);
    }
    const key = `${rows.experiment[r]}\u0000${rows.passageIndex[r]}`;
    const p = passageCat.get(key);
    if (p === undefined) passageCat.set(key, { cat: rows.category[r], row: r });
    else if (p.cat !== rows.category[r]) {
      throw inputError(src, 'passage_category', `passage ${rows.passageIndex[r]} of experiment ${rows.experiment[r]} has category '${p.cat}' at row ${p.row} and '${rows.category[r]}' at row ${r}; expected one category per passage`);
    }
  }
  units.subject.forEach((s, j) => {
    if (s === '') throw inputError(src, 'subject', `unit ${j} (${units.id[j]}) has an empty subject`);
  });

  // Row order.
  const exps = experimentOrder(rows.experiment);
  const expRank = new Map(exps.map((e, k) => [e, k]));
  const coordOrder = Array.from({ length: n }, (_, r) => r).sort((p, q) =>
    (expRank.get(rows.experiment[p])! - expRank.get(rows.experiment[q])!) || cmp(rows.category[p], rows.category[q]) ||
    rows.passageIndex[p] - rows.passageIndex[q] || rows.stimulusNum[p] - rows.stimulusNum[q]);
  let order = coordOrder;
  let text: string[] = coordOrder.map((r) => (rows.text === null ? '' : rows.text[r]));
  let textNote = rows.text === null ? 'none (the data has no sentence text; give --stimuli)' : opts.textNote;
  let orderNote = 'from the data: experiment, category (alphabetical), passage_index, stimulus_num';
  const remarks: string[] = [];
  const remark384 = "passage numbers follow passage_index; the authors' sentences_ordered.txt orders the passages of 6 exp-384 categories (crime, fruit, furniture, insect, vehicles_transport, weapon) differently: give --stimuli sentences_ordered.txt to use its order";
  if (opts.stimuli !== undefined) {
    const matched = matchStimuli(rows, coordOrder, exps, opts.stimuli);
    order = matched.order;
    text = matched.text;
    textNote = matched.note;
    if (rows.text !== null) {
      const moved = order.filter((r, k) => r !== coordOrder[k]).length;
      orderNote = `from ${opts.stimuli} (${moved === 0 ? 'the same as' : `${plural(moved, 'row')} differ from`} the order of the data's passage_index)`;
    } else if (exps.includes('384')) remarks.push(remark384.replace(': give --stimuli sentences_ordered.txt to use its order', ' (the data has no text to match that file against)'));
  } else if (exps.includes('384')) {
    remarks.push(remark384);
  }

  // Passage numbers (rank within category, in row order) and positions.
  const passageNumber = new Map<string, number>();
  const perCategory = new Map<string, number>();
  const position = new Int32Array(n);
  const seenInPassage = new Map<string, number>();
  for (const r of order) {
    const pkey = `${rows.experiment[r]}\u0000${rows.passageIndex[r]}`;
    if (!passageNumber.has(pkey)) {
      const ckey = `${rows.experiment[r]}\u0000${rows.category[r]}`;
      const k = perCategory.get(ckey) ?? 0;
      passageNumber.set(pkey, k);
      perCategory.set(ckey, k + 1);
    }
  }
  order.forEach((r, k) => {
    const pkey = `${rows.experiment[r]}\u0000${rows.passageIndex[r]}`;
    const c = seenInPassage.get(pkey) ?? 0;
    position[k] = c;
    seenInPassage.set(pkey, c + 1);
  });
  const categoriesByExp = new Map<string, string[]>();
  for (const e of exps) categoriesByExp.set(e, [...new Set(order.filter((r) => rows.experiment[r] === e).map((r) => rows.category[r]))].sort(cmp));
  const { half, note: halvesNote } = categoryHalves(categoriesByExp, opts.halves, src);

  // Responses in row order; per-experiment missing values.
  const data = new Float64Array(n * m);
  order.forEach((r, k) => data.set(y.data.subarray(r * m, (r + 1) * m), k * m));
  const experiment = order.map((r) => rows.experiment[r]);
  const recorded = new Uint8Array(m);
  const dropped: DroppedUnits[] = [];
  for (const e of exps) {
    const eRows: number[] = [];
    experiment.forEach((x, k) => { if (x === e) eRows.push(k); });
    let firstRow = 0;
    let isolated = 0;
    for (let j = 0; j < m; j++) {
      const first = Number.isNaN(data[eRows[0] * m + j]);
      let any = first;
      for (let k = 1; k < eRows.length && !any; k++) any = Number.isNaN(data[eRows[k] * m + j]);
      if (!any) { recorded[j] = 1; continue; }
      if (first) firstRow++; else isolated++;
      for (const k of eRows) data[k * m + j] = NaN;
    }
    if (firstRow) dropped.push({ experiment: e, reason: "NaN in the experiment's first row (not recorded)", count: firstRow });
    if (isolated) dropped.push({ experiment: e, reason: 'NaN in some rows of the experiment (excluded from it, as dropna)', count: isolated });
  }
  const bySubject = new Map<string, number[]>();
  units.subject.forEach((s, j) => bySubject.set(s, [...(bySubject.get(s) ?? []), j]));
  for (const [s, cols] of bySubject) {
    if (cols.every((j) => !recorded[j])) {
      throw inputError(src, 'data', `subject '${s}' has no units with responses (its ${plural(cols.length, 'column')} are NaN in every experiment); expected every subject to be recorded in at least one experiment`);
    }
  }
  const keep: number[] = [];
  for (let j = 0; j < m; j++) if (recorded[j]) keep.push(j);
  if (keep.length < m) dropped.push({ experiment: '', reason: 'recorded in no experiment (removed)', count: m - keep.length });
  const mk = keep.length;
  const yk = new Float64Array(n * mk);
  for (let k = 0; k < n; k++) for (let c = 0; c < mk; c++) yk[k * mk + c] = data[k * m + keep[c]];
  let coords: Matrix64 | null = null;
  if (units.coords !== null) {
    const cd = new Float64Array(mk * 3);
    keep.forEach((j, c) => cd.set(units.coords!.data.subarray(j * 3, j * 3 + 3), c * 3));
    coords = { rows: mk, cols: 3, data: cd };
  }

  const pn = (r: number) => passageNumber.get(`${rows.experiment[r]}\u0000${rows.passageIndex[r]}`)!;
  const dataset: Dataset = {
    name: 'pereira2018',
    source: opts.source,
    y: { rows: n, cols: mk, data: yk },
    samples: {
      stimulusId: order.map((r) => rows.stimulusId[r]),
      text,
      block: order.map((r) => `${rows.experiment[r]}-${rows.category[r]}-${pn(r)}`),
      position,
      experiment,
      fold: order.map((r) => `${pn(r)}-${half.get(rows.category[r])}`),
    },
    units: {
      id: keep.map((j) => units.id[j]),
      subject: keep.map((j) => units.subject[j]),
      network: keep.map((j) => units.network[j]),
      coords,
    },
    design: { kind: 'labels' },
    shuffleOrder: ['384', '243'],
    assembly: { ...opts.assembly, presentationRow: Int32Array.from(order) },
  };
  validateDataset(dataset, opts.source);
  setDatasetNotes(dataset, {
    reader: opts.reader,
    text: textNote,
    order: orderNote,
    units: `${opts.unitsNote}; ${halvesNote}`,
    dropped,
    remarks,
  });
  return dataset;
}

// ---------------------------------------------------------------------------------------------
// The Brain-Score assembly (Pereira2018.language, .auditory, or the neural-nlp all-atlas file)

/** Filters that belong to a network's standard selection (docs/method.md §1.1: none, HminusE, FIXminusH). */
const KEPT_FILTERS = new Set(['', 'HminusE', 'FIXminusH']);
const SELECTION = 'from90to100prcnt';

/** Parses `network=` ('language' by default, 'all', or a comma-separated list). */
export function parseNetworks(value: string | undefined, spec: string): string[] | 'all' {
  if (value === undefined) return ['language'];
  if (value === 'all') return 'all';
  const list = value.split(',').map((s) => s.trim());
  if (list.some((s) => s === '')) throw inputError(spec, 'network', `'${value}' is not a network name, 'all', or a comma-separated list of names`);
  return list;
}

/**
 * Pereira2018 assembly → Dataset. Options (after `::` in the spec): `network=<name>[,<name>…]|all`
 * (default language), `halves=<csv>`, `stimuli=<file>` (same as --stimuli).
 */
export function pereiraFromAssembly(a: NetcdfAssembly, ro: ReaderOptions): Dataset {
  checkOptionKeys(ro, ['network', 'halves', 'stimuli'], 'Pereira2018');
  requirePresentationNeuroid(a);
  const path = a.path;
  const expCoord = requireCoord(a, 'presentation', 'experiment', "experiment of each sentence, '243sentences' or '384sentences'");
  const experiment = textValues(a, expCoord, 'an experiment name').map((v, k) => pereiraExperimentName(v, path, 'experiment', k));
  const stimulusNum = intValues(a, requireCoord(a, 'presentation', 'stimulus_num', 'sentence index within the experiment'), 'sentence indices');
  const passageIndex = intValues(a, requireCoord(a, 'presentation', 'passage_index', '1-based passage number within the experiment'), 'passage numbers');
  const category = textValues(a, requireCoord(a, 'presentation', 'passage_category', 'topic of each passage'), 'a category name');
  const rawExp = textValues(a, expCoord, 'an experiment name');
  const sid = optionalCoord(a, 'presentation', 'stimulus_id');
  const stimulusId = sid !== undefined ? textValues(a, sid, 'a stimulus id') : stimulusNum.map((s, r) => `${rawExp[r]}.${s}`);
  const textCoord = optionalCoord(a, 'presentation', 'stimulus', 'sentence');
  const text = textCoord !== undefined ? textValues(a, textCoord, 'the sentence', true) : null;

  // Units.
  const m = a.data.cols;
  const subject = textValues(a, requireCoord(a, 'neuroid', 'subject', 'subject of each voxel'), 'a subject id', true);
  const nid = optionalCoord(a, 'neuroid', 'neuroid_id');
  const voxel = optionalCoord(a, 'neuroid', 'voxel_num');
  const voxelNum = voxel !== undefined ? intValues(a, voxel, 'voxel numbers') : null;
  const baseId = nid !== undefined ? textValues(a, nid, 'a neuroid id')
    : Array.from({ length: m }, (_, j) => `${subject[j]}.${voxelNum !== null ? voxelNum[j] : j}`);
  const xyzCoords = ['col_to_coord_1', 'col_to_coord_2', 'col_to_coord_3'].map((nm) => optionalCoord(a, 'neuroid', nm));
  const present = xyzCoords.filter((c) => c !== undefined).length;
  if (present !== 0 && present !== 3) {
    const missing = ['col_to_coord_1', 'col_to_coord_2', 'col_to_coord_3'].filter((_, k) => xyzCoords[k] === undefined);
    throw inputError(path, missing[0], `missing neuroid coordinate while ${present === 1 ? 'another' : 'the others'} of col_to_coord_1..3 exist; expected all three voxel coordinates or none`);
  }
  const xyz = present === 3 ? xyzCoords.map((c) => intValues(a, c!, 'voxel grid coordinates')) : null;

  const requested = parseNetworks(ro.options.get('network'), ro.spec);
  const atlasCoord = optionalCoord(a, 'neuroid', 'atlas');
  let cols: number[];
  let network: string[];
  let unitsNote: string;
  if (atlasCoord === undefined) {
    if (requested !== 'all' && requested.length > 1) {
      throw inputError(ro.spec, 'network', `${path} has no atlas coordinate (it holds one network), so network=${requested.join(',')} cannot be selected; give one name, which labels its units`);
    }
    const label = requested === 'all' ? 'language' : requested[0];
    cols = Array.from({ length: m }, (_, j) => j);
    network = new Array<string>(m).fill(label);
    unitsNote = `every neuroid (the file has no atlas coordinate; units labelled '${label}')`;
  } else {
    const atlas = textValues(a, atlasCoord, 'a network name', true);
    const available = [...new Set(atlas)].sort(cmp);
    const wanted = requested === 'all' ? available : requested.map((w) => {
      const hit = available.find((x) => x === w) ?? available.find((x) => x.toLowerCase() === w.toLowerCase());
      if (hit === undefined) throw inputError(ro.spec, 'network', `'${w}' is not a network of ${path}; it has ${available.join(', ')} (or network=all)`);
      return hit;
    });
    const selCoord = optionalCoord(a, 'neuroid', 'atlas_selection');
    const sel = selCoord !== undefined ? optionalTextValues(selCoord) : null;
    const filtCoord = optionalCoord(a, 'neuroid', 'filter_strategy');
    const filt = filtCoord !== undefined ? optionalTextValues(filtCoord) : null;
    cols = [];
    for (let j = 0; j < m; j++) {
      if (!wanted.includes(atlas[j])) continue;
      if (sel !== null && sel[j] !== SELECTION) continue;
      if (filt !== null && !KEPT_FILTERS.has(filt[j])) continue;
      cols.push(j);
    }
    for (const w of wanted) {
      if (!cols.some((j) => atlas[j] === w)) {
        throw inputError(path, 'atlas', `network '${w}' has no neuroids with atlas_selection ${SELECTION} and filter_strategy none, HminusE or FIXminusH; expected at least one`);
      }
    }
    network = atlas;
    unitsNote = `network${wanted.length === 1 ? '' : 's'} ${wanted.join(', ')} (atlas_selection ${SELECTION}, filter_strategy none/HminusE/FIXminusH: ${cols.length} of ${m} neuroids)`;
  }
  const multi = new Set(cols.map((j) => network[j])).size > 1;
  const ids = cols.map((j) => (multi ? `${network[j]}.${baseId[j]}` : baseId[j]));
  const seen = new Map<string, number>();
  ids.forEach((id, c) => {
    const p = seen.get(id);
    if (p !== undefined) throw inputError(path, 'neuroid_id', `'${id}' is used by neuroids ${cols[p]} and ${cols[c]} of the selection; expected unique neuroid ids`);
    seen.set(id, c);
  });
  const ySel: Matrix64 = { rows: a.data.rows, cols: cols.length, data: new Float64Array(a.data.rows * cols.length) };
  for (let r = 0; r < a.data.rows; r++) for (let c = 0; c < cols.length; c++) ySel.data[r * cols.length + c] = a.data.data[r * m + cols[c]];
  let coords: Matrix64 | null = null;
  if (xyz !== null) {
    coords = { rows: cols.length, cols: 3, data: new Float64Array(cols.length * 3) };
    cols.forEach((j, c) => { for (let d = 0; d < 3; d++) coords!.data[c * 3 + d] = xyz[d][j]; });
  }
  return buildPereiraDataset(
    { source: path, experiment, stimulusNum, stimulusId, passageIndex, category, text, textField: textCoord?.name ?? 'sentence' },
    { id: ids, subject: cols.map((j) => subject[j]), network: cols.map((j) => network[j]), coords },
    ySel,
    {
      source: path,
      stimuli: stimuliOption(ro),
      halves: ro.options.get('halves'),
      reader: 'Pereira2018 assembly (Brain-Score NetCDF)',
      unitsNote,
      textNote: `assembly coordinate '${textCoord?.name ?? ''}'`,
      assembly: cols.every((j) => network[j] === 'language')
        ? { identifier: 'Pereira2018.language' }
        : { identifier: null, note: `the units are networks ${[...new Set(cols.map((j) => network[j]))].sort(cmp).join(', ')}, not Pereira2018.language's language network alone` },
    },
  );
}
