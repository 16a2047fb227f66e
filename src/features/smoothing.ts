/**
 * 1-D Gaussian smoothing exactly as `scipy.ndimage.gaussian_filter1d` (METHODS §3.1):
 *
 * - kernel radius = floor(truncate·σ + 0.5) (default truncate 4.0);
 * - weights w[k] = exp(−½ k²/σ²), k = −radius … radius, normalised to sum to 1;
 * - correlation out[i] = Σ_k w[k] · row[ext(i + k)];
 * - boundary mode 'reflect' (half-sample symmetric, period 2n):
 *   ext(j) = j mod 2n, and 2n − 1 − that when it is ≥ n. Valid for any radius, also radius > n.
 *
 * σ = 0 returns an unsmoothed copy (what the authors' feature code does for the σ = 0 entries;
 * scipy itself would produce NaN there).
 */

function checkSigma(sigma: number, truncate: number): void {
  if (!Number.isFinite(sigma) || sigma < 0) throw new RangeError(`gaussian smoothing: sigma must be ≥ 0, got ${sigma}`);
  if (!Number.isFinite(truncate) || truncate < 0) throw new RangeError(`gaussian smoothing: truncate must be ≥ 0, got ${truncate}`);
}

/** scipy's kernel radius: floor(truncate·σ + 0.5). */
export function gaussianRadius(sigma: number, truncate = 4.0): number {
  checkSigma(sigma, truncate);
  return Math.floor(truncate * sigma + 0.5);
}

/**
 * The normalised kernel, length 2·radius + 1, centre at index `radius`
 * (scipy `_gaussian_kernel1d(sigma, 0, radius)`). σ = 0 gives [1].
 */
export function gaussianKernel1d(sigma: number, truncate = 4.0): Float64Array {
  const radius = gaussianRadius(sigma, truncate);
  if (sigma === 0) return Float64Array.of(1);
  const w = new Float64Array(2 * radius + 1);
  const c = -0.5 / (sigma * sigma);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) {
    const v = Math.exp(c * k * k);
    w[k + radius] = v;
    sum += v;
  }
  for (let i = 0; i < w.length; i++) w[i] /= sum;
  return w;
}

/** Index into a length-n signal under scipy's 'reflect' extension (half-sample symmetric). */
export function reflectIndex(j: number, n: number): number {
  const period = 2 * n;
  const r = ((j % period) + period) % period; // non-negative (and never −0)
  return r >= n ? period - 1 - r : r;
}

/**
 * `scipy.ndimage.gaussian_filter1d(row, sigma, mode='reflect', truncate=truncate)` for one
 * 1-D signal, in float64.
 */
export function gaussianFilter1d(row: ArrayLike<number>, sigma: number, truncate = 4.0): Float64Array {
  checkSigma(sigma, truncate);
  const n = row.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  if (sigma === 0) {
    for (let i = 0; i < n; i++) out[i] = row[i];
    return out;
  }
  const w = gaussianKernel1d(sigma, truncate);
  const radius = (w.length - 1) / 2;
  // Symmetric kernel: accumulate like scipy's NI_Correlate1D symmetric branch
  // (centre term first, then pairs from the outermost inwards).
  for (let i = 0; i < n; i++) {
    let acc = row[i] * w[radius];
    for (let k = radius; k >= 1; k--) {
      acc += (row[reflectIndex(i - k, n)] + row[reflectIndex(i + k, n)]) * w[radius + k];
    }
    out[i] = acc;
  }
  return out;
}

/**
 * `gaussian_filter1d(np.eye(n), sigma, axis=1)`: an n × n row-major block whose row i is the
 * smoothed one-hot e_i. σ = 0 gives the identity.
 */
export function smoothIdentityBlock(n: number, sigma: number, truncate = 4.0): Float64Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`smoothIdentityBlock: invalid n ${n}`);
  checkSigma(sigma, truncate);
  const out = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    e[i] = 1;
    out.set(gaussianFilter1d(e, sigma, truncate), i * n);
    e[i] = 0;
  }
  return out;
}
