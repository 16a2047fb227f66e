/**
 * Brain-Score assembly files (.nc) → Dataset, one mapping per dataset, kept in a registry so that
 * Pereira2018 and Blank2014 can be added beside Fedorenko2016.
 *
 * A spec is either `<name>:<path>` with a registered name (e.g. `fedorenko2016:/data/f.nc`), or a
 * bare path whose `stimulus_set_name` attribute (root or data variable) identifies the dataset;
 * files without that attribute (the Brain-Score S3 files have none) are recognised by their
 * coordinate layout.
 */
import type { Dataset } from '../data/dataset.js';
import { inputError, InputError } from '../data/errors.js';
import { findCoord, readNetcdfAssembly, type AssemblyCoord, type NetcdfAssembly } from './netcdf.js';
import { validateDataset } from './validate.js';
import { pereiraFromAssembly } from './pereira.js';
import { blankFromAssembly } from './blank.js';
import { checkOptionKeys, splitSpecOptions, stimuliOption, type ReaderOptions } from './spec-options.js';
import { fedorenkoText, type FedorenkoTextSource } from './fedorenko-text.js';
import { setDatasetNotes } from './notes.js';

export interface AssemblyFormat {
  /** Registry name, used as the spec prefix (`<name>:<path>`). */
  name: string;
  /** Human name used in messages (e.g. 'Fedorenko2016'). */
  title: string;
  /** True when a `stimulus_set_name` attribute value belongs to this dataset. */
  matchesStimulusSet(stimulusSetName: string): boolean;
  /** True when the coordinate layout looks like this dataset (used when there is no stimulus_set_name). */
  matchesLayout(a: NetcdfAssembly): boolean;
  /**
   * Maps the assembly to a Dataset, or null when this reader is not implemented yet. Readers that
   * take options (spec `::key=value`, --stimuli) check them; for the others `readAssembly` rejects any.
   */
  toDataset: ((a: NetcdfAssembly, opts: ReaderOptions) => Dataset) | null;
  /** True when `toDataset` handles options and a stimuli file itself. */
  takesOptions?: boolean;
}

const registry = new Map<string, AssemblyFormat>();

/** Registers (or replaces) an assembly format. */
export function registerAssemblyFormat(format: AssemblyFormat): void {
  registry.set(format.name, format);
}

/** Registered assembly names, in registration order. */
export function assemblyNames(): string[] {
  return [...registry.keys()];
}

/** The format registered as `name`, if any. */
export function getAssemblyFormat(name: string): AssemblyFormat | undefined {
  return registry.get(name);
}

function hasCoords(a: NetcdfAssembly, dim: string, names: readonly string[]): boolean {
  return names.every((n) => findCoord(a, dim, n) !== undefined);
}

// ---------------------------------------------------------------------------------------------
// Fedorenko2016

const WORDS_PER_SENTENCE = 8;

function requireCoord(a: NetcdfAssembly, dim: string, name: string, expected: string): AssemblyCoord {
  const c = findCoord(a, dim, name);
  if (c === undefined) {
    const have = (a.coords[dim] ?? []).map((x) => x.name);
    throw inputError(a.path, name, `missing ${dim} coordinate (${expected}); the file's ${dim} coordinates are: ${have.length ? have.join(', ') : 'none'}`);
  }
  return c;
}

function integerValues(a: NetcdfAssembly, c: AssemblyCoord): number[] {
  const out: number[] = new Array(c.values.length);
  for (let k = 0; k < c.values.length; k++) {
    const v = c.values[k];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw inputError(a.path, c.name, `value ${JSON.stringify(v)} at row ${k} is not an integer; expected integers`);
    }
    out[k] = v;
  }
  return out;
}

function stringValues(a: NetcdfAssembly, c: AssemblyCoord): string[] {
  return c.values.map((v, k) => {
    if (typeof v !== 'string') throw inputError(a.path, c.name, `value ${JSON.stringify(v)} at row ${k} is not a string; expected words`);
    return v;
  });
}

function requirePresentationByNeuroid(a: NetcdfAssembly): void {
  if (a.dims[0] !== 'presentation' || a.dims[1] !== 'neuroid') {
    throw inputError(a.path, a.dataName, `has dimensions (${a.dims.join(', ')}), expected presentation and neuroid`);
  }
}

/**
 * Fedorenko2016 (ECoG, 52 sentences × 8 words, 97 electrodes): rows are put in (sentence_id,
 * word_num) order; every sentence must have exactly the words 0..7 once. Text: the paper's
 * sentences rebuilt from the upper-case words (default), the words as stored (`::text=assembly`),
 * or a stimuli file (`--stimuli` / `::stimuli=`, one sentence per line); see fedorenko-text.ts.
 */
export function fedorenkoFromAssembly(a: NetcdfAssembly, ro: ReaderOptions = { spec: a.path, options: new Map() }): Dataset {
  checkOptionKeys(ro, ['text', 'stimuli'], 'Fedorenko2016');
  const source = ro.options.get('text') ?? 'paper';
  if (source !== 'paper' && source !== 'assembly') throw inputError(ro.spec, 'text', `is '${source}'; expected text=paper (the paper's sentences, default) or text=assembly (the words as stored)`);
  const stimuli = stimuliOption(ro);
  if (stimuli !== undefined && ro.options.has('text')) throw inputError(ro.spec, 'text', 'given with a stimuli file; give one of them');
  const path = a.path;
  requirePresentationByNeuroid(a);
  const n = a.data.rows;
  const m = a.data.cols;
  const stimId = requireCoord(a, 'presentation', 'stimulus_id', 'stimulus id per word');
  const sentence = integerValues(a, requireCoord(a, 'presentation', 'sentence_id', 'sentence index per word'));
  const wordNum = integerValues(a, requireCoord(a, 'presentation', 'word_num', 'word position 0..7 per word'));
  const textCoord = findCoord(a, 'presentation', 'stimulus') ?? findCoord(a, 'presentation', 'word');
  if (textCoord === undefined) {
    const have = (a.coords.presentation ?? []).map((x) => x.name);
    throw inputError(path, 'stimulus', `missing presentation coordinate (the word of each row; 'word' is accepted too); the file's presentation coordinates are: ${have.join(', ') || 'none'}`);
  }
  const words = stringValues(a, textCoord);
  const neuroidId = requireCoord(a, 'neuroid', 'neuroid_id', 'electrode id');
  const subject = requireCoord(a, 'neuroid', 'subject_UID', 'patient of each electrode');

  for (let r = 0; r < n; r++) {
    if (wordNum[r] < 0 || wordNum[r] >= WORDS_PER_SENTENCE) {
      throw inputError(path, 'word_num', `row ${r} has word_num ${wordNum[r]}, expected 0..${WORDS_PER_SENTENCE - 1}`);
    }
  }
  // Sentence-major order (stable; the file's order is normally already this one).
  const order = Array.from({ length: n }, (_, r) => r);
  order.sort((p, q) => sentence[p] - sentence[q] || wordNum[p] - wordNum[q] || p - q);
  for (let k = 1; k < n; k++) {
    const p = order[k - 1];
    const q = order[k];
    if (sentence[p] === sentence[q] && wordNum[p] === wordNum[q]) {
      throw inputError(path, 'word_num', `rows ${Math.min(p, q)} and ${Math.max(p, q)} are both word ${wordNum[q]} of sentence ${sentence[q]}; expected each (sentence_id, word_num) once`);
    }
  }
  for (let k = 0; k < n;) {
    const sid = sentence[order[k]];
    let e = k;
    while (e < n && sentence[order[e]] === sid) e++;
    const nums = order.slice(k, e).map((r) => wordNum[r]);
    if (nums.length !== WORDS_PER_SENTENCE) {
      throw inputError(path, 'sentence_id', `sentence ${sid} has ${nums.length} word${nums.length === 1 ? '' : 's'} (word_num ${nums.join(', ')}), expected ${WORDS_PER_SENTENCE} (word_num 0..${WORDS_PER_SENTENCE - 1})`);
    }
    k = e;
  }

  // Finite data (reported in file coordinates: presentation row, neuroid column).
  const src = a.data.data;
  for (let k = 0; k < src.length; k++) {
    const v = src[k];
    if (!Number.isFinite(v)) {
      const what = Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
      throw inputError(path, 'data', `row ${Math.floor(k / m)} (presentation), column ${k % m} (neuroid) is ${what}; expected finite values (Fedorenko2016 has no missing values)`);
    }
  }
  const y = new Float64Array(n * m);
  for (let k = 0; k < n; k++) y.set(src.subarray(order[k] * m, (order[k] + 1) * m), k * m);
  const sentenceWords: string[][] = [];
  for (let k = 0; k < n; k += WORDS_PER_SENTENCE) sentenceWords.push(order.slice(k, k + WORDS_PER_SENTENCE).map((r) => words[r]));
  const text = fedorenkoText(sentenceWords, { path, textCoord: textCoord.name, source: source as FedorenkoTextSource, stimuli });

  const dataset: Dataset = {
    name: 'fedorenko2016',
    source: path,
    y: { rows: n, cols: m, data: y },
    samples: {
      stimulusId: order.map((r) => String(stimId.values[r])),
      text: text.text,
      block: order.map((r) => `s${sentence[r]}`),
      position: Int32Array.from(order, (r) => wordNum[r]),
      experiment: order.map(() => ''),
      fold: null,
    },
    units: {
      id: (neuroidId.values as Array<string | number>).map((v) => String(v)),
      subject: (subject.values as Array<string | number>).map((v) => String(v)),
      network: new Array<string>(m).fill('language'),
      coords: null,
    },
    design: { kind: 'blocks', outerSize: 32, innerSize: 48 },
    shuffleOrder: [],
    assembly: { identifier: 'Fedorenko2016.language', presentationRow: Int32Array.from(order) },
  };
  validateDataset(dataset, path);
  setDatasetNotes(dataset, {
    reader: 'Fedorenko2016 assembly (Brain-Score NetCDF)',
    text: text.note,
    order: 'sentence_id, then word_num (one sample per word; block = sentence)',
    units: "every electrode, network 'language'",
    dropped: [],
    remarks: [],
  });
  return dataset;
}

registerAssemblyFormat({
  name: 'fedorenko2016',
  title: 'Fedorenko2016',
  matchesStimulusSet: (s) => /^Fedorenko2016(\.|$)/i.test(s),
  matchesLayout: (a) => hasCoords(a, 'presentation', ['sentence_id', 'word_num']) && hasCoords(a, 'neuroid', ['subject_UID']),
  toDataset: fedorenkoFromAssembly,
  takesOptions: true,
});

registerAssemblyFormat({
  name: 'pereira2018',
  title: 'Pereira2018',
  matchesStimulusSet: (s) => /^Pereira2018(\.|$)/i.test(s),
  matchesLayout: (a) => hasCoords(a, 'presentation', ['passage_index', 'experiment']),
  toDataset: pereiraFromAssembly,
  takesOptions: true,
});

registerAssemblyFormat({
  name: 'blank2014',
  title: 'Blank2014',
  matchesStimulusSet: (s) => /^Blank2014(\.|$)/i.test(s),
  matchesLayout: (a) => hasCoords(a, 'presentation', ['story', 'timepoint_value']),
  toDataset: blankFromAssembly,
  takesOptions: true,
});

// ---------------------------------------------------------------------------------------------

function notAvailable(path: string, f: AssemblyFormat): InputError {
  const ready = [...registry.values()].filter((x) => x.toDataset !== null).map((x) => x.name);
  return inputError(path, 'dataset', `the ${f.title} assembly reader is not available yet (available: ${ready.join(', ')})`);
}

/** Splits `<name>:<path>` when `name` is a registered assembly name; otherwise null. */
export function splitAssemblySpec(spec: string): { name: string; path: string } | null {
  const m = /^([A-Za-z][A-Za-z0-9_.-]*):(.*)$/s.exec(spec);
  if (m === null) return null;
  const name = m[1].toLowerCase();
  return registry.has(name) ? { name, path: m[2] } : null;
}

/** Identifies an assembly's dataset from `stimulus_set_name`, else from its coordinate layout. */
export function detectAssemblyFormat(a: NetcdfAssembly): AssemblyFormat {
  const sset = a.attrs.stimulus_set_name;
  if (sset !== undefined && sset !== '') {
    const f = [...registry.values()].find((x) => x.matchesStimulusSet(sset));
    if (f === undefined) {
      throw inputError(a.path, 'stimulus_set_name', `'${sset}' is not a known dataset; prefix the path with one of ${assemblyNames().map((x) => `${x}:`).join(', ')} to choose a reader`);
    }
    return f;
  }
  const byLayout = [...registry.values()].filter((x) => x.matchesLayout(a));
  if (byLayout.length === 1) return byLayout[0];
  throw inputError(a.path, 'stimulus_set_name', `no stimulus_set_name attribute and the coordinates do not identify the dataset; prefix the path with one of ${assemblyNames().map((x) => `${x}:`).join(', ')}`);
}

function convert(f: AssemblyFormat, a: NetcdfAssembly, ro: ReaderOptions): Dataset {
  if (f.toDataset === null) throw notAvailable(a.path, f);
  if (!f.takesOptions) {
    checkOptionKeys(ro, [], f.title);
    if (ro.stimuli !== undefined) throw inputError(ro.spec, 'stimuli', `the ${f.title} reader takes its text from the file; --stimuli applies to fedorenko2016, pereira2018 and blank2014`);
  }
  return f.toDataset(a, ro);
}

/**
 * Reads a Brain-Score assembly as a Dataset. `spec` is `<name>:<path>[::key=value…]` (name
 * registered, e.g. fedorenko2016, pereira2018, blank2014) or a bare path to a `.nc` file (options
 * after `::` allowed) identified by its stimulus_set_name or its coordinates. `stimuli` is a stimulus
 * text file for the readers that take one (Fedorenko2016 and Pereira2018: sentences in analysis
 * order; Blank2014: .npz).
 */
export async function readAssembly(spec: string, options: { stimuli?: string } = {}): Promise<Dataset> {
  const split = splitAssemblySpec(spec);
  if (split !== null) {
    const f = registry.get(split.name) as AssemblyFormat;
    const { path, options: kv } = splitSpecOptions(split.path, spec);
    if (f.toDataset === null) throw notAvailable(path, f);
    if (path === '') throw inputError(spec, 'dataset', `expected a path after '${split.name}:'`);
    return convert(f, await readNetcdfAssembly(path), { spec, options: kv, stimuli: options.stimuli });
  }
  const { path, options: kv } = splitSpecOptions(spec, spec);
  const a = await readNetcdfAssembly(path);
  return convert(detectAssemblyFormat(a), a, { spec, options: kv, stimuli: options.stimuli });
}
