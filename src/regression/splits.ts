import type { Dataset, FoldDesign } from '../data/dataset.js';
import { uniqueInOrder } from '../data/dataset.js';
import { InputError } from '../data/errors.js';
import { MT19937 } from '../random/mt19937.js';

/**
 * Train/test splitting (METHODS §2). A splitter never fits: it only yields index sets.
 *
 * All index arrays of an `OuterFold` are row indices of the matrix being analysed (one
 * experiment's rows). Inner folds index into the outer fold's `train` array, as the authors'
 * inner splitters do (§2.3): row `train[inner.val[k]]` is the k-th validation row.
 */
export interface InnerFold {
  /** Positions within the outer training array used to fit. Increasing. */
  train: Int32Array;
  /** Positions within the outer training array used to validate. */
  val: Int32Array;
}

export interface OuterFold {
  /** Row indices used to fit, in the order the inner splitter sees them. */
  train: Int32Array;
  /** Row indices held out. */
  test: Int32Array;
  /** Inner (validation) folds over `train`, used to choose α. */
  inner: InnerFold[];
}

export type SplitScheme = 'contiguous' | 'shuffled';

export interface SplitPlan {
  scheme: SplitScheme;
  seed: number;
  folds: OuterFold[];
}

/**
 * The fold label of every row of the whole dataset, permuted as the paper does for shuffled
 * splits (§2.2): one MT19937 stream seeded once; each experiment's block of labels is shuffled in
 * turn (`dataset.shuffleOrder` first, then the others in order of appearance). For design
 * `blocks` the label of a row is its index within its experiment; for `labels` it is the `fold`
 * column. `labels_new[k] = labels_old[perm[k]]`.
 *
 * Returns, per experiment, the row indices (increasing) and the (possibly permuted) labels.
 */
export function foldLabels(
  dataset: Dataset,
  scheme: SplitScheme,
  seed: number,
): Map<string, { rows: Int32Array; labels: string[] | Int32Array }> {
  const exps = uniqueInOrder(dataset.samples.experiment);
  const rowsOf = new Map<string, number[]>();
  for (const e of exps) rowsOf.set(e, []);
  dataset.samples.experiment.forEach((e, i) => rowsOf.get(e)!.push(i));
  const out = new Map<string, { rows: Int32Array; labels: string[] | Int32Array }>();
  for (const e of exps) {
    const rows = Int32Array.from(rowsOf.get(e)!);
    if (dataset.design.kind === 'blocks') {
      const labels = new Int32Array(rows.length);
      for (let k = 0; k < rows.length; k++) labels[k] = k;
      out.set(e, { rows, labels });
    } else {
      const fold = dataset.samples.fold;
      if (!fold) throw new InputError(`${dataset.source}: fold: the dataset's design needs a fold label for every sample, and it has none`);
      out.set(e, { rows, labels: Array.from(rows, (r) => fold[r]) });
    }
  }
  if (scheme === 'shuffled') {
    const rng = new MT19937(seed);
    const order = [...dataset.shuffleOrder.filter((e) => out.has(e)), ...exps.filter((e) => !dataset.shuffleOrder.includes(e))];
    for (const e of order) {
      const entry = out.get(e)!;
      const perm = rng.permutation(entry.labels.length);
      const old = entry.labels;
      if (old instanceof Int32Array) {
        entry.labels = Int32Array.from(perm, (p) => old[p]);
      } else {
        entry.labels = Array.from(perm, (p) => old[p]);
      }
    }
  }
  return out;
}

/** Sorted distinct values (code-point order, as Python's sorted/np.unique on strings). */
function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Label design (Pereira: passage number × half; Blank: story; generic folders): each distinct
 * label, in sorted order, is one outer test fold; train is every other row in increasing order;
 * inner folds leave one of the remaining labels out (sorted order). `source` names the data in
 * error messages.
 */
export function labelFolds(labels: readonly string[], source: string): OuterFold[] {
  const values = sortedUnique(labels);
  if (values.length < 2) {
    throw new InputError(`${source}: fold: found ${values.length} distinct fold label(s) (${values.map((v) => JSON.stringify(v)).join(', ') || 'none'}); expected at least 2 (3 for nested cross-validation)`);
  }
  if (values.length < 3) {
    throw new InputError(`${source}: fold: found 2 distinct fold labels; nested cross-validation needs at least 3 (one to test, two to validate α)`);
  }
  const n = labels.length;
  const folds: OuterFold[] = [];
  for (const v of values) {
    const test: number[] = [];
    const train: number[] = [];
    for (let i = 0; i < n; i++) (labels[i] === v ? test : train).push(i);
    const inner: InnerFold[] = [];
    for (const w of values) {
      if (w === v) continue;
      const val: number[] = [];
      const tr: number[] = [];
      train.forEach((row, k) => (labels[row] === w ? val : tr).push(k));
      if (val.length > 0) inner.push({ train: Int32Array.from(tr), val: Int32Array.from(val) });
    }
    folds.push({ train: Int32Array.from(train), test: Int32Array.from(test), inner });
  }
  return folds;
}

/**
 * Block design (Fedorenko: 32-row outer blocks, 48-row inner blocks, §2.1/§2.3). `labels` is a
 * permutation of 0..n-1 (the identity for contiguous splits): outer fold f tests rows
 * `labels[f·outer … f·outer+outer)` and trains on the other labels in label order; inner folds are
 * consecutive `inner`-sized blocks of that training array (a shorter last block is kept).
 */
export function blockFolds(labels: Int32Array, outerSize: number, innerSize: number, source: string): OuterFold[] {
  const n = labels.length;
  if (!(outerSize >= 1 && innerSize >= 1)) throw new RangeError(`blockFolds: block sizes must be ≥ 1 (got ${outerSize}, ${innerSize})`);
  if (n < 3 * Math.min(outerSize, innerSize) || n <= outerSize) {
    throw new InputError(`${source}: rows: ${n} samples cannot be cut into outer blocks of ${outerSize} and inner blocks of ${innerSize}; expected more than ${outerSize} samples`);
  }
  const folds: OuterFold[] = [];
  for (let i = 0; i < n; i += outerSize) {
    const end = Math.min(i + outerSize, n);
    const test = labels.slice(i, end);
    const train = new Int32Array(n - (end - i));
    let k = 0;
    for (let j = 0; j < n; j++) if (j < i || j >= end) train[k++] = labels[j];
    const inner: InnerFold[] = [];
    for (let s = 0; s < train.length; s += innerSize) {
      const e = Math.min(s + innerSize, train.length);
      const val = new Int32Array(e - s);
      for (let q = 0; q < val.length; q++) val[q] = s + q;
      const tr = new Int32Array(train.length - val.length);
      let t = 0;
      for (let q = 0; q < train.length; q++) if (q < s || q >= e) tr[t++] = q;
      inner.push({ train: tr, val });
    }
    if (inner.length < 2) {
      throw new InputError(`${source}: rows: outer fold ${folds.length} leaves ${train.length} training samples, fewer than two inner blocks of ${innerSize}`);
    }
    folds.push({ train, test, inner });
  }
  return folds;
}

/** Outer and inner folds for one experiment's labels under the dataset's design. */
export function planFolds(design: FoldDesign, labels: string[] | Int32Array, source: string): OuterFold[] {
  if (design.kind === 'blocks') {
    if (!(labels instanceof Int32Array)) throw new TypeError('planFolds: block design needs integer labels');
    return blockFolds(labels, design.outerSize, design.innerSize, source);
  }
  if (labels instanceof Int32Array) throw new TypeError('planFolds: label design needs string labels');
  return labelFolds(labels, source);
}

/**
 * Rows of `rows` (row indices) and every row within `gap` samples of one of them in the same
 * block: marks[r] = 1 iff |r − t| ≤ gap and blocks[r] = blocks[t] for some t in `rows`.
 * `blocks` has one block id per row (rows of a block contiguous, in time order).
 */
function nearRows(rows: ArrayLike<number>, blocks: Int32Array, gap: number): Uint8Array {
  const n = blocks.length;
  const marks = new Uint8Array(n);
  for (let k = 0; k < rows.length; k++) {
    const t = rows[k];
    for (let r = Math.max(0, t - gap); r <= Math.min(n - 1, t + gap); r++) if (blocks[r] === blocks[t]) marks[r] = 1;
  }
  return marks;
}

/**
 * Gaps between training and held-out samples (`--gap N`), so that autocorrelation cannot leak
 * across a train/test boundary. A training row is dropped when it lies within `gap` samples of a
 * held-out row of the same block (story, run, sentence: `blocks[r]`, one id per row of the
 * experiment, rows of a block contiguous): |r − t| ≤ gap. For contiguous test blocks this drops
 * `gap` samples on each side of the block (one side at the ends of a block or of the data); for
 * shuffled folds, where held-out rows are scattered, it drops the `gap` neighbours on each side of
 * every held-out row, which can remove most of the training set for large gaps.
 *
 * Outer folds: `train` loses the rows near `test` (order kept). Inner folds are gapped the same way
 * inside the remaining outer training set: validation rows dropped from the outer training set
 * are dropped from the inner fold, then inner training rows within `gap` of a remaining validation
 * row are dropped; an inner fold left without validation rows is removed. Positions are remapped
 * to the new outer `train`. gap = 0 returns the folds unchanged.
 *
 * Throws an InputError (naming `source`) when a gap leaves a fold with no training rows or with no
 * inner fold that still trains on something.
 */
export function applyGap(folds: OuterFold[], blocks: Int32Array, gap: number, source: string): OuterFold[] {
  if (!(Number.isInteger(gap) && gap >= 0)) throw new RangeError(`applyGap: gap must be a non-negative integer (got ${gap})`);
  if (gap === 0) return folds;
  return folds.map((fold, f) => {
    const nearTest = nearRows(fold.test, blocks, gap);
    // newPos[q] = position in the new train of old train position q, or -1 when dropped.
    const newPos = new Int32Array(fold.train.length).fill(-1);
    const kept: number[] = [];
    fold.train.forEach((r, q) => { if (!nearTest[r]) { newPos[q] = kept.length; kept.push(r); } });
    if (kept.length === 0) throw new InputError(`${source}: gap: --gap ${gap} leaves outer fold ${f} with no training samples; expected a smaller gap`);
    const train = Int32Array.from(kept);
    const inner: InnerFold[] = [];
    for (const fo of fold.inner) {
      const val = Array.from(fo.val).filter((q) => newPos[q] >= 0);
      if (val.length === 0) continue;
      const nearVal = nearRows(val.map((q) => fold.train[q]), blocks, gap);
      const tr = Array.from(fo.train).filter((q) => newPos[q] >= 0 && !nearVal[fold.train[q]]);
      if (tr.length === 0) throw new InputError(`${source}: gap: --gap ${gap} leaves an inner fold of outer fold ${f} with no training samples; expected a smaller gap`);
      inner.push({ train: Int32Array.from(tr, (q) => newPos[q]), val: Int32Array.from(val, (q) => newPos[q]) });
    }
    if (inner.length === 0) throw new InputError(`${source}: gap: --gap ${gap} leaves outer fold ${f} with no inner fold to choose α; expected a smaller gap`);
    return { train, test: fold.test, inner };
  });
}

/** Block id (0, 1, …) of every row of `rows`, from the dataset's `block` column (for applyGap). */
export function blockIds(blockLabels: readonly string[], rows: Int32Array): Int32Array {
  const ids = new Map<string, number>();
  return Int32Array.from(rows, (r) => {
    const b = blockLabels[r];
    let id = ids.get(b);
    if (id === undefined) { id = ids.size; ids.set(b, id); }
    return id;
  });
}
