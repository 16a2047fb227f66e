/**
 * The generic dataset folder:
 *
 *   y.npy        samples × units responses (float32 or float64, finite), required
 *   samples.csv  one row per sample, required; column `block` required; optional columns `fold`,
 *                `text`, `stimulus_id`, `position`, `experiment`, `repeat`; other columns are ignored
 *   units.csv    one row per unit, optional; optional columns `id`, `subject`, `network`, and
 *                `x`, `y`, `z` (all three or none)
 *
 * Defaults: stimulus_id = row index, text '', position = 0-based index within the block (blocks
 * are contiguous runs of rows), experiment '', fold = the block label (leave one block out),
 * unit id = column index, subject 'all', network '', no coordinates. Design: labels.
 *
 * `repeat` labels repeated presentations of a stimulus (rows sharing experiment and stimulus_id);
 * with it, (experiment, stimulus_id, repeat) must be unique instead of (experiment, stimulus_id).
 * It feeds the split-half noise ceiling (src/pipeline/ceiling.ts).
 *
 * A y.npy too large to hold as float64 can be read in unit batches (FolderOptions.batchedY).
 */
import { basename, join, resolve } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { inputError } from '../data/errors.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { csvColumn, readCsv, type CsvTable } from './csv.js';
import { NpyMatrixReader, readMatrixNpy } from './npy.js';
import { validateDataset } from './validate.js';
import { existsSync } from 'node:fs';

const INT_RE = /^[+-]?[0-9]+$/;
const NUM_RE = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function readSamples(file: string, t: CsvTable, n: number): Dataset['samples'] {
  if (!t.header.includes('block')) {
    throw inputError(file, 'block', `required column is missing (columns found: ${t.header.join(', ')})`);
  }
  if (t.rows.length !== n) {
    throw inputError(file, 'rows', `has ${plural(t.rows.length, 'data row')}, expected ${n} (one per row of y.npy)`);
  }
  const block = csvColumn(t, 'block') as string[];
  const closed = new Map<string, number>(); // finished block → line of its first row
  let firstLine = 0;
  for (let r = 0; r < n; r++) {
    const b = block[r];
    if (b === '') throw inputError(file, 'block', `line ${t.lines[r]} has an empty block label`);
    if (r === 0 || b !== block[r - 1]) {
      if (r > 0) closed.set(block[r - 1], firstLine);
      const prev = closed.get(b);
      if (prev !== undefined) {
        throw inputError(file, 'block', `block '${b}' (first seen on line ${prev}) reappears on line ${t.lines[r]} after block '${block[r - 1]}'; the rows of a block must be contiguous`);
      }
      firstLine = t.lines[r];
    }
  }

  const positionCol = csvColumn(t, 'position');
  const position = new Int32Array(n);
  if (positionCol !== null) {
    for (let r = 0; r < n; r++) {
      const s = positionCol[r];
      const v = INT_RE.test(s) ? Number(s) : NaN;
      if (!Number.isSafeInteger(v) || v < 0 || v > 0x7fffffff) {
        throw inputError(file, 'position', `line ${t.lines[r]} has '${s}', expected an integer ≥ 0`);
      }
      position[r] = v;
    }
  } else {
    for (let r = 0, k = 0; r < n; r++) {
      k = r > 0 && block[r] === block[r - 1] ? k + 1 : 0;
      position[r] = k;
    }
  }

  const experiment = csvColumn(t, 'experiment') ?? new Array<string>(n).fill('');
  const stimulusId = csvColumn(t, 'stimulus_id') ?? Array.from({ length: n }, (_, r) => String(r));
  const repeat = csvColumn(t, 'repeat');
  const seen = new Map<string, number>();
  for (let r = 0; r < n; r++) {
    if (stimulusId[r] === '') throw inputError(file, 'stimulus_id', `line ${t.lines[r]} has an empty stimulus id`);
    if (repeat !== null && repeat[r] === '') throw inputError(file, 'repeat', `line ${t.lines[r]} has an empty repeat label`);
    const key = `${experiment[r]}\u0000${stimulusId[r]}${repeat !== null ? `\u0000${repeat[r]}` : ''}`;
    const prev = seen.get(key);
    if (prev !== undefined) {
      const where = experiment[r] === '' ? '' : ` of experiment '${experiment[r]}'`;
      if (repeat !== null) throw inputError(file, 'repeat', `stimulus '${stimulusId[r]}'${where} has repeat '${repeat[r]}' on lines ${t.lines[prev]} and ${t.lines[r]}; expected each repeat of a stimulus once`);
      throw inputError(file, 'stimulus_id', `'${stimulusId[r]}' appears on lines ${t.lines[prev]} and ${t.lines[r]}${where}; expected unique stimulus ids within an experiment`);
    }
    seen.set(key, r);
  }

  const foldCol = csvColumn(t, 'fold');
  const fold = foldCol ?? block.slice();
  if (foldCol !== null) {
    for (let r = 0; r < n; r++) {
      if (foldCol[r] === '') throw inputError(file, 'fold', `line ${t.lines[r]} has an empty fold label`);
    }
  }
  const distinct = new Set(fold);
  if (distinct.size < 2) {
    const only = [...distinct][0];
    throw foldCol !== null
      ? inputError(file, 'fold', `has 1 distinct label ('${only}'), expected at least 2 (one outer fold per label)`)
      : inputError(file, 'block', `has 1 distinct block ('${only}'), expected at least 2 (without a fold column each block is one outer fold)`);
  }

  return {
    stimulusId,
    text: csvColumn(t, 'text') ?? new Array<string>(n).fill(''),
    block,
    position,
    experiment,
    fold,
    ...(repeat !== null ? { repeat } : {}),
  };
}

function readUnits(file: string | null, t: CsvTable | null, m: number): Dataset['units'] {
  if (file === null || t === null) {
    return {
      id: Array.from({ length: m }, (_, c) => String(c)),
      subject: new Array<string>(m).fill('all'),
      network: new Array<string>(m).fill(''),
      coords: null,
    };
  }
  if (t.rows.length !== m) {
    throw inputError(file, 'rows', `has ${plural(t.rows.length, 'data row')}, expected ${m} (one per column of y.npy)`);
  }
  const id = csvColumn(t, 'id') ?? Array.from({ length: m }, (_, c) => String(c));
  const seen = new Map<string, number>();
  for (let c = 0; c < m; c++) {
    if (id[c] === '') throw inputError(file, 'id', `line ${t.lines[c]} has an empty unit id`);
    const prev = seen.get(id[c]);
    if (prev !== undefined) {
      throw inputError(file, 'id', `'${id[c]}' appears on lines ${t.lines[prev]} and ${t.lines[c]}; expected unique unit ids`);
    }
    seen.set(id[c], c);
  }
  const xyz = ['x', 'y', 'z'].map((k) => csvColumn(t, k));
  let coords: Matrix64 | null = null;
  const present = ['x', 'y', 'z'].filter((_, k) => xyz[k] !== null);
  if (present.length > 0 && present.length < 3) {
    const missing = ['x', 'y', 'z'].filter((_, k) => xyz[k] === null);
    throw inputError(file, missing[0], `coordinate columns x, y, z come together; found ${present.join(', ')} but not ${missing.join(', ')}`);
  }
  if (present.length === 3) {
    const data = new Float64Array(m * 3);
    for (let k = 0; k < 3; k++) {
      const col = xyz[k] as string[];
      for (let c = 0; c < m; c++) {
        const s = col[c];
        const v = NUM_RE.test(s) ? Number(s) : NaN;
        if (!Number.isFinite(v)) throw inputError(file, 'xyz'[k], `line ${t.lines[c]} has '${s}', expected a finite number`);
        data[c * 3 + k] = v;
      }
    }
    coords = { rows: m, cols: 3, data };
  }
  return {
    id,
    subject: csvColumn(t, 'subject') ?? new Array<string>(m).fill('all'),
    network: csvColumn(t, 'network') ?? new Array<string>(m).fill(''),
    coords,
  };
}

/** Default of BATCHED_Y_ENV: y.npy files whose float64 copy would exceed 1 GiB are read in unit batches. */
export const BATCHED_Y_BYTES = 1 << 30;

/**
 * Environment variable overriding BATCHED_Y_BYTES (bytes of the float64 copy of y above which
 * `batchedY: 'auto'` reads y in unit batches; 0 = always).
 */
export const BATCHED_Y_ENV = 'BRAINMAP_BATCHED_Y_BYTES';

function batchedThreshold(): number {
  const raw = process.env[BATCHED_Y_ENV];
  if (raw === undefined || raw === '') return BATCHED_Y_BYTES;
  const v = /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(v)) throw inputError(BATCHED_Y_ENV, 'value', `'${raw}' is not a whole number of bytes`);
  return v;
}

export interface FolderOptions {
  /**
   * How to hold y: false (default) reads it whole as float64; true reads it in unit batches
   * (Dataset.ySource: y.npy is read once here to check its values, then column ranges as the fit
   * asks for them, never the whole matrix as float64); 'auto' batches when the float64 copy would
   * exceed BATCHED_Y_BYTES (or $BRAINMAP_BATCHED_Y_BYTES).
   */
  batchedY?: boolean | 'auto';
}

/**
 * Reads a generic dataset folder (y.npy, samples.csv, optional units.csv). Every problem is an
 * InputError naming the file, the column/field and what was expected.
 */
export function readDatasetFolder(dir: string, opts: FolderOptions = {}): Dataset {
  const yPath = join(dir, 'y.npy');
  const samplesPath = join(dir, 'samples.csv');
  const unitsPath = join(dir, 'units.csv');
  let y: Matrix64;
  let ySource: NpyMatrixReader | undefined;
  const mode = opts.batchedY ?? false;
  const reader = mode === false ? null : NpyMatrixReader.open(yPath, { field: 'y' });
  if (reader !== null && (mode === true || reader.rows * reader.cols * 8 > batchedThreshold())) {
    reader.checkValues();
    ySource = reader;
    y = { rows: reader.rows, cols: reader.cols, data: new Float64Array(0) };
  } else {
    y = readMatrixNpy(yPath, { field: 'y' });
  }
  const samples = readSamples(samplesPath, readCsv(samplesPath), y.rows);
  const hasUnits = existsSync(unitsPath);
  const units = readUnits(hasUnits ? unitsPath : null, hasUnits ? readCsv(unitsPath) : null, y.cols);
  const dataset: Dataset = {
    name: basename(resolve(dir)),
    source: dir,
    y,
    ...(ySource ? { ySource } : {}),
    samples,
    units,
    design: { kind: 'labels' },
    shuffleOrder: [],
  };
  validateDataset(dataset, dir);
  return dataset;
}
