import type { Matrix64 } from '../linalg/matrix.js';

/**
 * How a dataset's rows are cut into train/test folds (METHODS §2).
 *
 * - `labels`: each distinct value of the sample table's `fold` column is one outer fold, taken in
 *   sorted (code-point) order; inner folds leave one of the remaining fold values out. This is the
 *   design of Pereira2018 (fold = "{passageNumber}-{half}") and Blank2014 (fold = story), and of
 *   generic dataset folders.
 * - `blocks`: consecutive outer blocks of `outerSize` rows of the label vector, and inner blocks of
 *   `innerSize` consecutive rows of the training array (Fedorenko2016: 32 and 48).
 */
export type FoldDesign =
  | { kind: 'labels' }
  | { kind: 'blocks'; outerSize: number; innerSize: number };

/** A samples × units response matrix read in pieces, as float64 (src/io/npy.ts NpyMatrixReader). */
export interface ResponseSource {
  readonly rows: number;
  readonly cols: number;
  /** Rows [r0, r1), row-major ((r1 − r0) × cols). */
  readRows(r0: number, r1: number): Float64Array;
  /** Columns [u0, u1) of every row: rows × (u1 − u0). */
  readColumns(u0: number, u1: number): Matrix64;
}

/** One row per sample (stimulus presentation). All arrays have length `nSamples`. */
export interface SampleTable {
  /** Stimulus identifier (unique within an experiment). */
  stimulusId: string[];
  /** Stimulus text ('' where unknown). */
  text: string[];
  /** Block the sample belongs to: passage (Pereira), sentence (Fedorenko), story (Blank). Rows of a block are contiguous. */
  block: string[];
  /** 0-based position of the sample within its block. */
  position: Int32Array;
  /** Experiment name ('' when the dataset has one experiment). */
  experiment: string[];
  /** Outer-fold label (design `labels`), or null when the design does not use it. */
  fold: string[] | null;
  /**
   * Repeat label of each row, when rows are repeated presentations of a stimulus (dataset folders'
   * optional `repeat` column); absent otherwise. Used by the split-half noise ceiling.
   */
  repeat?: string[];
}

/** One row per unit (voxel, electrode, fROI). All arrays have length `nUnits`. */
export interface UnitTable {
  /** Unit identifier (unique). */
  id: string[];
  /** Subject the unit belongs to. */
  subject: string[];
  /** Network / ROI / atlas label ('' where unknown). */
  network: string[];
  /** nUnits × 3 coordinates (e.g. MNI mm), or null when the dataset has none. */
  coords: Matrix64 | null;
}

/**
 * Where a dataset's rows and units came from, for Brain-Score's protocol (METHODS §9.2): it draws
 * its ShuffleSplit over the assembly's presentation order, and its published ceilings hold only for
 * the assemblies they were computed on. Set by the readers of Brain-Score assemblies (and of
 * releases those were built from).
 */
export interface AssemblyOrigin {
  /**
   * The Brain-Score assembly the data are exactly (e.g. 'Pereira2018.language', 'Blank2014.fROI',
   * 'Fedorenko2016.language'), or null when they are not one (e.g. a network=all selection).
   */
  identifier: string | null;
  /** Why `identifier` is null. */
  note?: string;
  /** Per dataset row: its row in the source file, i.e. its place in the presentation order. */
  presentationRow: Int32Array;
}

/**
 * A neural dataset ready for analysis: responses y (samples × units) with the tables that say
 * what each row and column is, and how rows are split into folds.
 */
export interface Dataset {
  /** Short name (e.g. 'fedorenko2016', 'sim:pereira', folder name). */
  name: string;
  /** Where it came from (path or generator description). */
  source: string;
  /**
   * samples × units responses, float64; NaN is not allowed (readers drop or reject it). With
   * `ySource` only the shape: `y.data` is then empty (length 0).
   */
  y: Matrix64;
  /**
   * Responses read in unit batches instead of held whole (a dataset folder whose y.npy is too large
   * as float64; src/io/folder.ts). Only `score` (pipeline/score.ts), sweep chunks (sweep/chunks.ts) and datasetHash read them; the
   * values were checked finite when the folder was read.
   */
  ySource?: ResponseSource;
  samples: SampleTable;
  units: UnitTable;
  design: FoldDesign;
  /**
   * Experiments whose fold labels are shuffled, in this order, from one MT19937 stream when
   * `--split shuffled` is used (Pereira: ['384', '243'], METHODS §2.2). Experiments not listed
   * are shuffled afterwards in order of first appearance.
   */
  shuffleOrder: string[];
  /** Source assembly and presentation order, when read from a Brain-Score assembly (or release). */
  assembly?: AssemblyOrigin;
  /**
   * Simulated datasets only: the feature spaces the responses were generated from (samples × dims,
   * dataset row order), by name — `deconstruct --space word=planted:word` reads them.
   */
  planted?: Readonly<Record<string, Matrix64>>;
}

export function nSamples(d: Dataset): number {
  return d.y.rows;
}

export function nUnits(d: Dataset): number {
  return d.y.cols;
}

/** Distinct values in order of first appearance. */
export function uniqueInOrder(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) if (!seen.has(v)) { seen.add(v); out.push(v); }
  return out;
}

/** Length of the longest run of equal consecutive block labels (blocks are contiguous runs). */
export function longestBlock(block: readonly string[]): number {
  let longest = 0;
  let run = 0;
  block.forEach((b, i) => { run = i > 0 && b === block[i - 1] ? run + 1 : 1; longest = Math.max(longest, run); });
  return longest;
}
