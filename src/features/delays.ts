import { InputError } from '../data/errors.js';
import type { Matrix64 } from '../linalg/matrix.js';

/**
 * FIR delays of a feature term (`term:delays=1,2,3,4`), as himalaya's `Delayer` applied to each
 * block (story / run / sentence) separately.
 */

/**
 * Parses the value of `delays=` (e.g. `1,2,3,4`, `0,1,2`): non-negative integers, comma separated,
 * no empty items, no duplicates; the order given is the column order of the result.
 * `where` names the term in the error message.
 */
export function parseDelays(raw: string, where: string): number[] {
  const items = raw.split(',').map((s) => s.trim());
  const out: number[] = [];
  for (const s of items) {
    if (s === '') throw new InputError(`--features: "${where}": delays=${raw} has an empty item; expected non-negative integers separated by commas, e.g. delays=1,2,3,4`);
    if (!/^\+?\d+$/.test(s)) throw new InputError(`--features: "${where}": delays=${raw}: "${s}" is not a non-negative integer (samples); expected e.g. delays=1,2,3,4`);
    const d = Number(s);
    if (!Number.isSafeInteger(d)) throw new InputError(`--features: "${where}": delays=${raw}: "${s}" is too large`);
    if (out.includes(d)) throw new InputError(`--features: "${where}": delays=${raw}: delay ${d} is listed twice`);
    out.push(d);
  }
  return out;
}

/**
 * Delayed copies of `x` (n × p, rows in time order): the result is n × (p·delays.length) with
 * column block i holding x shifted down by `delays[i]` samples within each block, zero-filled at
 * the block start: out[r, i·p + j] = x[r − d, j] when row r − d lies in the same block as r, else 0.
 * `blocks` has one label per row; rows of a block must be contiguous (SampleTable.block).
 * Delay 0 is the undelayed term, included only if listed.
 */
export function delayColumns(x: Matrix64, blocks: readonly string[], delays: readonly number[]): Matrix64 {
  const n = x.rows;
  const p = x.cols;
  if (blocks.length !== n) throw new RangeError(`delayColumns: ${blocks.length} block labels for ${n} rows`);
  const q = p * delays.length;
  const data = new Float64Array(n * q);
  // start[r] = first row of r's block.
  const start = new Int32Array(n);
  for (let r = 1; r < n; r++) start[r] = blocks[r] === blocks[r - 1] ? start[r - 1] : r;
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < delays.length; i++) {
      const src = r - delays[i];
      if (src < start[r]) continue;
      data.set(x.data.subarray(src * p, src * p + p), r * q + i * p);
    }
  }
  return { rows: n, cols: q, data };
}
