/**
 * OASM, the Orthogonal Autocorrelated Sequences Model (METHODS §3.1).
 *
 * Start from I_N. For every block [s, e) (passage / sentence / story) replace the diagonal
 * sub-block I[s:e, s:e] by `gaussian_filter1d(I[s:e, s:e], σ, axis=1)` (scipy, reflect, truncate 4).
 * Entries outside the diagonal blocks stay 0, so features are orthogonal between blocks and
 * smoothed within a block. The result is N × N: one feature column per sample.
 *
 * Block boundaries per dataset (METHODS §3.1):
 * - Pereira: a new block wherever the passage changes (168 passages over the 627 rows; per-exp
 *   subsets likewise) — pass the per-sample passage labels;
 * - Fedorenko: starts 0, 8, …, 416 (52 sentences);
 * - Blank: first index of each story (8 stories) — pass the per-sample story names.
 */
import type { Matrix64 } from '../linalg/matrix.js';
import { smoothIdentityBlock } from './smoothing.js';

/**
 * Start index of every run of equal consecutive labels, e.g. ['a','a','b','b','b','a'] → [0, 2, 5].
 * Non-contiguous repeats of a label start a new block (blocks are runs, not label groups).
 */
export function blockStartsFromLabels(labels: ArrayLike<string | number>): number[] {
  const starts: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (i === 0 || labels[i] !== labels[i - 1]) starts.push(i);
  }
  return starts;
}

/**
 * Normalises block starts to a strictly increasing list [0, …, nSamples] of boundaries.
 * A trailing `nSamples` is optional (the authors pass `arange(0, 417, 8)` including 416).
 */
export function normaliseBlockBoundaries(blockStarts: ReadonlyArray<number>, nSamples: number): number[] {
  if (!Number.isInteger(nSamples) || nSamples < 0) throw new RangeError(`oasm: invalid nSamples ${nSamples}`);
  const b = Array.from(blockStarts);
  if (nSamples === 0) {
    if (b.some((v) => v !== 0)) throw new RangeError('oasm: block starts out of range for nSamples = 0');
    return [0];
  }
  if (b.length === 0 || b[0] !== 0) throw new RangeError('oasm: the first block must start at 0');
  if (b[b.length - 1] !== nSamples) b.push(nSamples);
  for (let i = 0; i < b.length; i++) {
    const v = b[i];
    if (!Number.isInteger(v) || v < 0 || v > nSamples) throw new RangeError(`oasm: block start ${v} out of range [0, ${nSamples}]`);
    if (i > 0 && v <= b[i - 1]) throw new RangeError(`oasm: block starts must be strictly increasing (${b[i - 1]} then ${v})`);
  }
  return b;
}

/**
 * The OASM feature matrix (N × N, row-major float64).
 *
 * @param blocks either the block start indices (numbers, strictly increasing, first 0, optional
 *   trailing nSamples), or one block label per sample (strings; contiguous runs of equal labels
 *   are the blocks, and the array length must equal nSamples).
 * @param nSamples N.
 * @param sigma Gaussian σ (≥ 0); σ = 0, or any σ < 0.125 (radius 0), leaves the identity.
 */
export function oasm(blocks: ReadonlyArray<number> | ReadonlyArray<string>, nSamples: number, sigma: number): Matrix64 {
  let starts: ReadonlyArray<number>;
  if (blocks.length > 0 && typeof blocks[0] === 'string') {
    if (blocks.length !== nSamples) {
      throw new RangeError(`oasm: got ${blocks.length} block labels for ${nSamples} samples`);
    }
    starts = blockStartsFromLabels(blocks as ReadonlyArray<string>);
  } else {
    starts = blocks as ReadonlyArray<number>;
  }
  const bounds = normaliseBlockBoundaries(starts, nSamples);
  return oasmFromBoundaries(bounds, nSamples, sigma);
}

/** Convenience: OASM from per-sample block labels of any primitive type (e.g. numeric sentence ids). */
export function oasmFromLabels(labels: ArrayLike<string | number>, sigma: number): Matrix64 {
  const n = labels.length;
  return oasmFromBoundaries(normaliseBlockBoundaries(blockStartsFromLabels(labels), n), n, sigma);
}

function oasmFromBoundaries(bounds: number[], n: number, sigma: number): Matrix64 {
  const data = new Float64Array(n * n);
  const cache = new Map<number, Float64Array>();
  for (let b = 0; b + 1 < bounds.length; b++) {
    const s = bounds[b];
    const len = bounds[b + 1] - s;
    let block = cache.get(len);
    if (block === undefined) {
      block = smoothIdentityBlock(len, sigma);
      cache.set(len, block);
    }
    for (let i = 0; i < len; i++) {
      data.set(block.subarray(i * len, (i + 1) * len), (s + i) * n + s);
    }
  }
  return { rows: n, cols: n, data };
}
