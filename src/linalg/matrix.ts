/**
 * Dense row-major matrices over typed arrays.
 *
 * A `Matrix<T>` is a plain value: `rows × cols` numbers stored row after row in `data`
 * (element (i, j) at `data[i * cols + j]`). Nothing here allocates behind the caller's back
 * except the helpers whose names say so (`zeros`, `copy`, `transpose`, `takeRows`, …).
 */
export type FloatArray = Float32Array | Float64Array;

export interface Matrix<T extends FloatArray = FloatArray> {
  readonly rows: number;
  readonly cols: number;
  /** Row-major storage, length rows × cols. */
  readonly data: T;
}

export type Matrix64 = Matrix<Float64Array>;
export type Matrix32 = Matrix<Float32Array>;

/** Wraps existing storage as a matrix; throws if the length does not match. */
export function matrix<T extends FloatArray>(rows: number, cols: number, data: T): Matrix<T> {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new RangeError(`matrix: invalid shape ${rows} × ${cols}`);
  }
  if (data.length !== rows * cols) {
    throw new RangeError(`matrix: storage has ${data.length} values, expected ${rows} × ${cols} = ${rows * cols}`);
  }
  return { rows, cols, data };
}

export function zeros64(rows: number, cols: number): Matrix64 {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

export function zeros32(rows: number, cols: number): Matrix32 {
  return { rows, cols, data: new Float32Array(rows * cols) };
}

/** Builds a float64 matrix from nested arrays (rows of equal length). */
export function fromRows(rows: ReadonlyArray<ReadonlyArray<number>>): Matrix64 {
  const r = rows.length;
  const c = r === 0 ? 0 : rows[0].length;
  const out = zeros64(r, c);
  for (let i = 0; i < r; i++) {
    if (rows[i].length !== c) throw new RangeError(`fromRows: row ${i} has ${rows[i].length} values, expected ${c}`);
    out.data.set(rows[i], i * c);
  }
  return out;
}

/** Nested-array view of a matrix (for tests and JSON output). */
export function toRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

export function identity64(n: number): Matrix64 {
  const m = zeros64(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

/** Same-precision copy. */
export function copy<T extends FloatArray>(m: Matrix<T>): Matrix<T> {
  return { rows: m.rows, cols: m.cols, data: m.data.slice() as T };
}

export function to64(m: Matrix): Matrix64 {
  return m.data instanceof Float64Array ? m as Matrix64 : { rows: m.rows, cols: m.cols, data: Float64Array.from(m.data) };
}

export function to32(m: Matrix): Matrix32 {
  return m.data instanceof Float32Array ? m as Matrix32 : { rows: m.rows, cols: m.cols, data: Float32Array.from(m.data) };
}

export function transpose<T extends FloatArray>(m: Matrix<T>): Matrix<T> {
  const out = new (m.data.constructor as { new (n: number): T })(m.rows * m.cols);
  const { rows, cols, data } = m;
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[base + j];
  }
  return { rows: cols, cols: rows, data: out };
}

/** Rows `idx` of `m`, in that order (a gather). */
export function takeRows<T extends FloatArray>(m: Matrix<T>, idx: ArrayLike<number>): Matrix<T> {
  const out = new (m.data.constructor as { new (n: number): T })(idx.length * m.cols);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    out.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), k * m.cols);
  }
  return { rows: idx.length, cols: m.cols, data: out };
}

/** Columns [start, end) of `m` (a copy). */
export function sliceCols<T extends FloatArray>(m: Matrix<T>, start: number, end: number): Matrix<T> {
  const w = end - start;
  const out = new (m.data.constructor as { new (n: number): T })(m.rows * w);
  for (let i = 0; i < m.rows; i++) out.set(m.data.subarray(i * m.cols + start, i * m.cols + end), i * w);
  return { rows: m.rows, cols: w, data: out };
}

/** Columns `idx` of `m`, in that order. */
export function takeCols<T extends FloatArray>(m: Matrix<T>, idx: ArrayLike<number>): Matrix<T> {
  const w = idx.length;
  const out = new (m.data.constructor as { new (n: number): T })(m.rows * w);
  for (let i = 0; i < m.rows; i++) {
    const src = i * m.cols;
    const dst = i * w;
    for (let k = 0; k < w; k++) out[dst + k] = m.data[src + idx[k]];
  }
  return { rows: m.rows, cols: w, data: out };
}

/** Horizontal concatenation [A | B | …] of matrices with equal row counts (float64 result). */
export function hstack(parts: ReadonlyArray<Matrix>): Matrix64 {
  if (parts.length === 0) throw new RangeError('hstack: nothing to stack');
  const rows = parts[0].rows;
  let cols = 0;
  for (const p of parts) {
    if (p.rows !== rows) throw new RangeError(`hstack: row counts differ (${rows} vs ${p.rows})`);
    cols += p.cols;
  }
  const out = zeros64(rows, cols);
  let off = 0;
  for (const p of parts) {
    for (let i = 0; i < rows; i++) {
      const src = p.data.subarray(i * p.cols, (i + 1) * p.cols);
      out.data.set(src, i * cols + off);
    }
    off += p.cols;
  }
  return out;
}

/** Largest absolute elementwise difference (shapes must match). */
export function maxAbsDiff(a: Matrix, b: Matrix): number {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new RangeError(`maxAbsDiff: shapes differ (${a.rows}×${a.cols} vs ${b.rows}×${b.cols})`);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}
