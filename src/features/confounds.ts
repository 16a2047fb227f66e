/**
 * The simple "confound" features of METHODS §3.2–3.4, derived from the sample table alone (block,
 * position, text), so they apply to any dataset that has those columns:
 *
 * - `sl` / `wn`: words in the sample's text (whitespace split) — sentence length (Pereira) or
 *   word rate per TR (Blank). 1 column.
 * - `sp:sigma=σ`: one-hot of the sample's position in its block over W = longest block columns;
 *   within a block of length L the L × L sub-block is Gaussian-smoothed along the columns
 *   (scipy reflect over L, so column L…W−1 stays 0); σ = 0 leaves it unsmoothed. Pereira: W = 4.
 * - `wp:sigma=σ`: `sp` plus the raw position as a last column (Fedorenko's 9-column WP).
 * - `ramps:len=K`: [min(k, t) for k = 1 … K−1], t = position in block (Blank's saturating ramps).
 * - `pwr:sigma=σ`: `sp` + `sl` (position and word rate, 4 + 1 columns on Pereira).
 */
import type { Dataset } from '../data/dataset.js';
import { InputError } from '../data/errors.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { hstack, zeros64 } from '../linalg/matrix.js';
import { smoothIdentityBlock } from './smoothing.js';

/** Whitespace-separated words (Python's `str.split()`), the documented tokenisation of SL and WN. */
export function countWords(text: string): number {
  const t = text.trim();
  return t === '' ? 0 : t.split(/\s+/).length;
}

function requireText(d: Dataset, feature: string): void {
  if (d.samples.text.every((t) => t.trim() === '')) {
    throw new InputError(`${d.source}: text: ${feature} counts the words of each sample's text, and this dataset has no text`);
  }
}

/** samples × 1 word counts. */
export function wordCount(d: Dataset): Matrix64 {
  requireText(d, 'the word-count feature');
  const m = zeros64(d.y.rows, 1);
  d.samples.text.forEach((t, i) => (m.data[i] = countWords(t)));
  return m;
}

/** Length of the block each sample is in (blocks are contiguous runs). */
function blockLengths(block: readonly string[]): Int32Array {
  const n = block.length;
  const len = new Int32Array(n);
  let s = 0;
  for (let i = 1; i <= n; i++) {
    if (i === n || block[i] !== block[i - 1]) {
      for (let k = s; k < i; k++) len[k] = i - s;
      s = i;
    }
  }
  return len;
}

/** samples × W smoothed position one-hot (W = longest block), see `sp` above. */
export function positionOneHot(d: Dataset, sigma: number): Matrix64 {
  const n = d.y.rows;
  const lens = blockLengths(d.samples.block);
  let width = 0;
  for (const l of lens) width = Math.max(width, l);
  const m = zeros64(n, width);
  const cache = new Map<number, Float64Array>();
  for (let i = 0; i < n; i++) {
    const L = lens[i];
    const pos = d.samples.position[i];
    if (pos >= L) throw new InputError(`${d.source}: position: sample ${i} has position ${pos} in a block of ${L} samples; expected 0…${L - 1}`);
    let block = cache.get(L);
    if (!block) { block = sigma > 0 ? smoothIdentityBlock(L, sigma) : identityBlock(L); cache.set(L, block); }
    m.data.set(block.subarray(pos * L, (pos + 1) * L), i * width);
  }
  return m;
}

function identityBlock(L: number): Float64Array {
  const b = new Float64Array(L * L);
  for (let i = 0; i < L; i++) b[i * L + i] = 1;
  return b;
}

/** samples × 1 raw position in block. */
export function rawPosition(d: Dataset): Matrix64 {
  const m = zeros64(d.y.rows, 1);
  d.samples.position.forEach((p, i) => (m.data[i] = p));
  return m;
}

/** samples × (K − 1) ramps min(k, t), k = 1 … K−1. */
export function positionRamps(d: Dataset, len: number): Matrix64 {
  if (!Number.isInteger(len) || len < 2) throw new RangeError(`positionRamps: len must be an integer ≥ 2 (got ${len})`);
  const n = d.y.rows;
  const m = zeros64(n, len - 1);
  for (let i = 0; i < n; i++) {
    const t = d.samples.position[i];
    for (let k = 1; k < len; k++) m.data[i * (len - 1) + k - 1] = Math.min(k, t);
  }
  return m;
}

export function wordPosition(d: Dataset, sigma: number): Matrix64 {
  return hstack([positionOneHot(d, sigma), rawPosition(d)]);
}

export function positionAndWordRate(d: Dataset, sigma: number): Matrix64 {
  return hstack([positionOneHot(d, sigma), wordCount(d)]);
}
