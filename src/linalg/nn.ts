/**
 * Float32 kernels of a transformer forward pass (one call over a whole activation matrix) and the
 * seeded normal generator of untrained weights, in TypeScript: the portable backend's
 * implementation and the definition the native ones (native/nn_kernels.c) follow.
 *
 *  - layerNorm: float64 sums in eight lanes (element j in lane j mod 8, lanes combined pairwise),
 *    the same order as the native kernel, so both give identical float32 results;
 *  - biasActivation (GELU): v / (1 + exp(−2u)), the tanh form of GELU rewritten without the
 *    cancellation of 1 + tanh(u) for negative v; float64 here, float32 with a polynomial exp in
 *    native code (agree to a few float32 ulps);
 *  - causalAttention: float64 dot products and softmax here, float32 in native code (same);
 *  - fillNormal: numpy's RandomState stream, identical in both (native code carries fdlibm's log,
 *    which is V8's Math.log).
 */

import type { LinearOptions, LinearWeights } from './backend.js';

/** Activation applied by `biasActivation`. */
export type NnActivation = 'identity' | 'gelu_tanh' | 'relu';

/** Throws a RangeError unless `arr` holds exactly `n` values. */
export function checkLength(what: string, arr: ArrayLike<number>, n: number): void {
  if (arr.length !== n) throw new RangeError(`${what}: expected ${n} values, got ${arr.length}`);
}

function checkDims(what: string, ...dims: number[]): void {
  for (const v of dims) if (!Number.isInteger(v) || v < 0) throw new RangeError(`${what}: dimensions must be non-negative integers, got ${v}`);
}

/** Checks the arguments of `layerNorm` (shared by the backends). */
export function checkLayerNorm(x: Float32Array, out: Float32Array, rows: number, d: number, weight: Float32Array, bias: Float32Array): void {
  checkDims('layerNorm', rows, d);
  checkLength('layerNorm: x', x, rows * d);
  checkLength('layerNorm: out', out, rows * d);
  checkLength('layerNorm: weight', weight, d);
  checkLength('layerNorm: bias', bias, d);
}

/**
 * Layer norm of each row of x (rows × d, row-major) into out:
 * out[i, j] = (x[i, j] − μ_i) / √(σ²_i + eps) · weight[j] + bias[j], with μ and σ² (biased) summed
 * in float64 (eight lanes, see the module comment). `out` may be `x`.
 */
export function layerNorm(x: Float32Array, out: Float32Array, rows: number, d: number, weight: Float32Array, bias: Float32Array, eps: number): void {
  checkLayerNorm(x, out, rows, d, weight, bias);
  const s8 = new Float64Array(8);
  const j8 = d - (d % 8);
  for (let i = 0; i < rows; i++) {
    const o = i * d;
    s8.fill(0);
    for (let j = 0; j < j8; j += 8) for (let l = 0; l < 8; l++) s8[l] += x[o + j + l];
    for (let j = j8; j < d; j++) s8[j - j8] += x[o + j];
    const mean = (((s8[0] + s8[1]) + (s8[2] + s8[3])) + ((s8[4] + s8[5]) + (s8[6] + s8[7]))) / d;
    s8.fill(0);
    for (let j = 0; j < j8; j += 8) {
      for (let l = 0; l < 8; l++) {
        const q = x[o + j + l] - mean;
        s8[l] += q * q;
      }
    }
    for (let j = j8; j < d; j++) {
      const q = x[o + j] - mean;
      s8[j - j8] += q * q;
    }
    const v = ((s8[0] + s8[1]) + (s8[2] + s8[3])) + ((s8[4] + s8[5]) + (s8[6] + s8[7]));
    const inv = 1 / Math.sqrt(v / d + eps);
    for (let j = 0; j < d; j++) out[o + j] = (x[o + j] - mean) * inv * weight[j] + bias[j];
  }
}

/** Checks the arguments of `biasActivation`. */
export function checkBiasActivation(x: Float32Array, rows: number, n: number, bias: Float32Array, act: NnActivation): void {
  checkDims('biasActivation', rows, n);
  checkLength('biasActivation: x', x, rows * n);
  checkLength('biasActivation: bias', bias, n);
  if (act !== 'identity' && act !== 'gelu_tanh' && act !== 'relu') throw new RangeError(`biasActivation: unknown activation '${String(act)}'`);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * x[i, j] ← act(x[i, j] + bias[j]) in place (rows × n): identity, ReLU, or GELU in its tanh form
 * 0.5·v·(1 + tanh(u)) = v / (1 + exp(−2u)), u = √(2/π)·(v + 0.044715·v³) (HF's gelu_new).
 */
export function biasActivation(x: Float32Array, rows: number, n: number, bias: Float32Array, act: NnActivation): void {
  checkBiasActivation(x, rows, n, bias, act);
  for (let i = 0; i < rows; i++) {
    const o = i * n;
    if (act === 'gelu_tanh') {
      for (let j = 0; j < n; j++) {
        const v = Math.fround(x[o + j] + bias[j]);
        const u = SQRT_2_OVER_PI * (v + 0.044715 * v * v * v);
        x[o + j] = v / (1 + Math.exp(-2 * u));
      }
    } else if (act === 'relu') {
      for (let j = 0; j < n; j++) {
        const v = Math.fround(x[o + j] + bias[j]);
        x[o + j] = v > 0 ? v : 0;
      }
    } else {
      for (let j = 0; j < n; j++) x[o + j] += bias[j];
    }
  }
}

/** Checks the arguments of `causalAttention`; returns the longest sequence. */
export function checkCausalAttention(qkv: Float32Array, offsets: Int32Array, out: Float32Array, d: number, nHead: number): number {
  checkDims('causalAttention', d, nHead);
  if (nHead < 1 || d % nHead !== 0) throw new RangeError(`causalAttention: nHead (${nHead}) must be ≥ 1 and divide d (${d})`);
  if (!(offsets instanceof Int32Array) || offsets.length < 1 || offsets[0] !== 0) throw new RangeError('causalAttention: offsets must be an Int32Array starting with 0');
  let maxT = 0;
  for (let s = 0; s + 1 < offsets.length; s++) {
    const T = offsets[s + 1] - offsets[s];
    if (T < 0) throw new RangeError('causalAttention: offsets must be non-decreasing');
    maxT = Math.max(maxT, T);
  }
  const R = offsets[offsets.length - 1];
  checkLength('causalAttention: qkv', qkv, R * 3 * d);
  checkLength('causalAttention: out', out, R * d);
  return maxT;
}

/**
 * Causal multi-head self-attention of sequences stacked row-wise. qkv: R × 3d, each row
 * [q | k | v] with the heads contiguous (head h: columns h·hd … (h+1)·hd − 1 of each part,
 * hd = d / nHead); sequence s occupies rows offsets[s] … offsets[s+1] − 1. For row i of a
 * sequence and head h: out[i, h·hd + c] = Σ_{j ≤ i} p_j v_j[c] with p = softmax_j(scale·q_i·k_j).
 */
export function causalAttention(qkv: Float32Array, offsets: Int32Array, out: Float32Array, d: number, nHead: number, scale: number): void {
  const maxT = checkCausalAttention(qkv, offsets, out, d, nHead);
  const hd = d / nHead;
  const stride = 3 * d;
  const p = new Float64Array(maxT);
  const acc = new Float64Array(hd);
  for (let s = 0; s + 1 < offsets.length; s++) {
    const r0 = offsets[s];
    const T = offsets[s + 1] - r0;
    for (let hh = 0; hh < nHead; hh++) {
      const qc = hh * hd;
      const kc = d + hh * hd;
      const vc = 2 * d + hh * hd;
      for (let i = 0; i < T; i++) {
        const qo = (r0 + i) * stride + qc;
        let max = -Infinity;
        for (let j = 0; j <= i; j++) {
          const ko = (r0 + j) * stride + kc;
          let dot = 0;
          for (let c = 0; c < hd; c++) dot += qkv[qo + c] * qkv[ko + c];
          const v = dot * scale;
          p[j] = v;
          if (v > max) max = v;
        }
        let sum = 0;
        for (let j = 0; j <= i; j++) {
          const e = Math.exp(p[j] - max);
          p[j] = e;
          sum += e;
        }
        acc.fill(0);
        for (let j = 0; j <= i; j++) {
          const pj = p[j];
          const vo = (r0 + j) * stride + vc;
          for (let c = 0; c < hd; c++) acc[c] += pj * qkv[vo + c];
        }
        const o = (r0 + i) * d + hh * hd;
        for (let c = 0; c < hd; c++) out[o + c] = acc[c] / sum;
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------
// numpy RandomState normals

const N = 624;
const M = 397;

/**
 * numpy `RandomState(key).standard_normal(n)` (key: a list of uint32, `init_by_array`; or a single
 * integer, `init_genrand`) written as `std ·` value into `out[offset … offset+n)`, in float32:
 * MT19937, then numpy's legacy polar Box–Muller (`legacy_gauss`, 53-bit uniforms, the second value
 * of each pair used next). Allocation-free apart from the 624-word state.
 */
export function fillNormal(out: Float32Array, offset: number, n: number, key: number | readonly number[], std: number): void {
  const mt = new Uint32Array(N);
  const seedState = (s: number): void => {
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
  };
  if (typeof key === 'number') {
    seedState(key);
  } else {
    // init_by_array (MT19937 reference, as numpy's mt19937_init_by_array).
    seedState(19650218);
    const len = key.length;
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, len); k > 0; k--) {
      const prev = mt[i - 1];
      mt[i] = ((mt[i] ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + (key[j] >>> 0) + j) >>> 0;
      i++; j++;
      if (i >= N) { mt[0] = mt[N - 1]; i = 1; }
      if (j >= len) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1];
      mt[i] = ((mt[i] ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) { mt[0] = mt[N - 1]; i = 1; }
    }
    mt[0] = 0x80000000;
  }
  // Tempered outputs, refilled 624 at a time.
  const buf = new Uint32Array(N);
  let pos = N;
  const refill = (): void => {
    let kk = 0;
    let y: number;
    for (; kk < N - M; kk++) {
      y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff);
      mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    for (; kk < N - 1; kk++) {
      y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff);
      mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    y = (mt[N - 1] & 0x80000000) | (mt[0] & 0x7fffffff);
    mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    for (let k = 0; k < N; k++) {
      let t = mt[k];
      t ^= t >>> 11;
      t ^= (t << 7) & 0x9d2c5680;
      t ^= (t << 15) & 0xefc60000;
      t ^= t >>> 18;
      buf[k] = t;
    }
    pos = 0;
  };
  const end = offset + n;
  let o = offset;
  while (o < end) {
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      if (pos > N - 4) {
        // Draws straddle a refill: take them one by one.
        const d = new Float64Array(2);
        for (let u = 0; u < 2; u++) {
          if (pos >= N) refill();
          const a = buf[pos++] >>> 5;
          if (pos >= N) refill();
          const b = buf[pos++] >>> 6;
          d[u] = (a * 67108864.0 + b) / 9007199254740992.0;
        }
        x1 = 2.0 * d[0] - 1.0;
        x2 = 2.0 * d[1] - 1.0;
      } else {
        x1 = 2.0 * (((buf[pos] >>> 5) * 67108864.0 + (buf[pos + 1] >>> 6)) / 9007199254740992.0) - 1.0;
        x2 = 2.0 * (((buf[pos + 2] >>> 5) * 67108864.0 + (buf[pos + 3] >>> 6)) / 9007199254740992.0) - 1.0;
        pos += 4;
      }
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    const f = Math.sqrt((-2.0 * Math.log(r2)) / r2);
    out[o++] = std * (f * x2);
    if (o < end) out[o++] = std * (f * x1);
  }
}

/** Checks the arguments of `fillNormalChunks`. */
export function checkFillNormalChunks(seed: number, tensor: number, chunk: number, firstChunk: number, n: number): void {
  for (const [name, v] of [['seed', seed], ['tensor', tensor], ['firstChunk', firstChunk]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`fillNormalChunks: ${name} must be an integer in [0, 2^32 - 1], got ${v}`);
  }
  if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`fillNormalChunks: chunk must be a positive integer, got ${chunk}`);
  if (firstChunk + Math.ceil(n / chunk) > 2 ** 32) throw new RangeError('fillNormalChunks: chunk numbers must stay below 2^32');
}

/**
 * Fills `out` chunk by chunk: elements c·chunk … (c+1)·chunk − 1 (the last chunk may be short) are
 * `std · RandomState([seed, tensor, firstChunk + c]).standard_normal(len)` in float32 (fillNormal).
 */
export function fillNormalChunks(out: Float32Array, seed: number, tensor: number, chunk: number, firstChunk: number, std: number): void {
  checkFillNormalChunks(seed, tensor, chunk, firstChunk, out.length);
  for (let c = 0, off = 0; off < out.length; c++, off += chunk) fillNormal(out, off, Math.min(chunk, out.length - off), [seed, tensor, firstChunk + c], std);
}

// ------------------------------------------------------------------------------------------------
// Linear layers

/** Columns per panel of the `panel64` layout. */
export const PANEL = 64;

/** Length of W (k × n) in the `panel64` layout: ⌈n/64⌉·64·k. */
export function panel64Length(k: number, n: number): number {
  return Math.ceil(n / PANEL) * PANEL * k;
}

/**
 * W (k × n, row-major) in the `panel64` layout: panel q holds columns 64q … 64q+63 as k rows of 64
 * values (zeros past n), panels one after another, so W[i, j] is at ((⌊j/64⌋·k + i)·64 + j mod 64).
 */
export function packPanel64(w: Float32Array, k: number, n: number, out = new Float32Array(panel64Length(k, n))): Float32Array {
  checkLength('packPanel64: w', w, k * n);
  checkLength('packPanel64: out', out, panel64Length(k, n));
  for (let q = 0; q * PANEL < n; q++) {
    const j0 = q * PANEL;
    const nc = Math.min(PANEL, n - j0);
    for (let i = 0; i < k; i++) {
      const o = (q * k + i) * PANEL;
      out.set(w.subarray(i * n + j0, i * n + j0 + nc), o);
      out.fill(0, o + nc, o + PANEL);
    }
  }
  return out;
}

/** W back in row-major order from the `panel64` layout. */
export function unpackPanel64(p: Float32Array, k: number, n: number): Float32Array {
  checkLength('unpackPanel64: p', p, panel64Length(k, n));
  const w = new Float32Array(k * n);
  for (let q = 0; q * PANEL < n; q++) {
    const j0 = q * PANEL;
    const nc = Math.min(PANEL, n - j0);
    for (let i = 0; i < k; i++) w.set(p.subarray((q * k + i) * PANEL, (q * k + i) * PANEL + nc), i * n + j0);
  }
  return w;
}

/** Checks the arguments of `linear` (shared by the backends). */
export function checkLinear(x: Float32Array, rows: number, w: LinearWeights, bias: Float32Array, out: Float32Array, opts: LinearOptions): void {
  checkDims('linear', rows, w.k, w.n);
  checkLength('linear: x', x, rows * w.k);
  checkLength('linear: w', w.data, w.layout === 'panel64' ? panel64Length(w.k, w.n) : w.k * w.n);
  checkLength('linear: bias', bias, w.n);
  checkLength('linear: out', out, rows * w.n);
  const act = opts.act ?? 'identity';
  if (act !== 'identity' && act !== 'gelu_tanh' && act !== 'relu') throw new RangeError(`linear: unknown activation '${String(act)}'`);
  if (opts.accumulate && act !== 'identity') throw new RangeError('linear: accumulate needs act = identity');
}
