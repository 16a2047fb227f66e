/**
 * Native linear-algebra backend: the N-API addon in native/brainmap_native.c over the system
 * OpenBLAS (BLAS + bundled LAPACK), built by scripts/build-native.mjs into
 * build/Release/brainmap_native.node.
 *
 * Every call runs on the libuv thread pool (the event loop keeps ticking). Calls are serialised
 * through one queue per process: OpenBLAS already uses every core for one call, concurrent calls
 * would only oversubscribe, and the thread count can then be changed safely between calls.
 * Inputs must not be modified while a call on them is pending.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Backend,
  type GemmOptions,
  type LinearOptions,
  type LinearWeights,
  type SymmetricEigen,
  type TrsmOptions,
  NotPositiveDefiniteError,
} from './backend.js';
import type { FloatArray, Matrix, Matrix64 } from './matrix.js';
import {
  type NnActivation,
  biasActivation,
  causalAttention,
  checkBiasActivation,
  checkCausalAttention,
  checkFillNormalChunks,
  checkLayerNorm,
  checkLinear,
  fillNormalChunks,
  layerNorm,
  panel64Length,
} from './nn.js';
import { checkPotrf, checkSyevd, checkTrsm, planGemm, portableGemm } from './portable.js';

/** The addon's JS surface (see native/brainmap_native.c). */
export interface NativeAddon {
  gemm(a: FloatArray, b: FloatArray, c: FloatArray, m: number, n: number, k: number, transA: boolean, transB: boolean, alpha: number, beta: number): Promise<void>;
  syevd(a: Float64Array, n: number, w: Float64Array, v: Float64Array): Promise<void>;
  /** `count` syevd's of n × n matrices concatenated in a (w, v likewise), up to `threads` at once; absent from older builds. */
  syevdMany?(a: Float64Array, n: number, count: number, w: Float64Array, v: Float64Array, threads: number): Promise<void>;
  /** Resolves with LAPACK's info (0, or the order of the first non-positive-definite leading minor). */
  potrf(a: Float64Array, n: number, l: Float64Array): Promise<number>;
  trsm(t: Float64Array, x: Float64Array, m: number, n: number, left: boolean, lower: boolean, trans: boolean, alpha: number): Promise<void>;
  setThreads(n: number): void;
  getThreads(): number;
  info(): { config: string; corename: string; numProcs: number };
  // Forward-pass kernels (native/nn_kernels.c); absent from addons built before them, in which
  // case the backend runs the TypeScript versions.
  nnLayerNorm?(x: Float32Array, out: Float32Array, rows: number, d: number, w: Float32Array, b: Float32Array, eps: number, threads: number): Promise<void>;
  /** act: 0 identity, 1 GELU (tanh form), 2 ReLU. */
  nnBiasAct?(x: Float32Array, rows: number, n: number, bias: Float32Array, act: number, threads: number): Promise<void>;
  nnCausalAttention?(qkv: Float32Array, offsets: Int32Array, out: Float32Array, d: number, nHead: number, scale: number, threads: number): Promise<void>;
  /** With packK > 0, `out` is a packK × packN weight in nnPack's layout. */
  nnFillNormal?(out: Float32Array, seed: number, tensor: number, chunk: number, firstChunk: number, std: number, threads: number, packK?: number, packN?: number): Promise<void>;
  nnPack?(w: Float32Array, k: number, n: number, out: Float32Array, threads: number): Promise<void>;
  nnLinear?(x: Float32Array, m: number, k: number, w: Float32Array, n: number, bias: Float32Array, out: Float32Array, accumulate: boolean, act: number, threads: number): Promise<void>;
  /** Whether nnLinear runs on this CPU (x86-64 with AVX-512F). */
  nnLinearAvailable?(): boolean;
  /** A Float32Array of zeros on 64-byte aligned storage. */
  nnAlloc?(length: number): Float32Array;
}

const ACT_CODE: Record<NnActivation, number> = { identity: 0, gelu_tanh: 1, relu: 2 };

const ADDON_FILE = 'brainmap_native.node';

/** The package root: the nearest ancestor of this module holding brainmap's package.json. */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown };
        if (parsed.name === 'brainmap') return dir;
      } catch {
        /* unreadable package.json: keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** Candidate addon paths, best first (the environment variable BRAINMAP_NATIVE_ADDON, when set, is the only one). */
export function nativeAddonCandidates(): string[] {
  const env = process.env.BRAINMAP_NATIVE_ADDON;
  if (env) return [resolve(env)];
  const out: string[] = [];
  const root = packageRoot() ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  out.push(join(root, 'build', 'Release', ADDON_FILE), join(root, 'build', 'Debug', ADDON_FILE));
  return out;
}

let loaded: { addon: NativeAddon } | { reason: string } | undefined;

function isAddon(x: unknown): x is NativeAddon {
  if (x === null || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  return ['gemm', 'syevd', 'potrf', 'trsm', 'setThreads', 'getThreads', 'info'].every((k) => typeof o[k] === 'function');
}

/** Loads the addon once; returns it or the reason it is unavailable. */
function loadAddon(): { addon: NativeAddon } | { reason: string } {
  if (loaded) return loaded;
  const candidates = nativeAddonCandidates();
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) {
    loaded = { reason: `addon not built: ${candidates[0]} is missing` };
    return loaded;
  }
  try {
    const mod: unknown = createRequire(import.meta.url)(path);
    loaded = isAddon(mod) ? { addon: mod } : { reason: `${path} does not export the expected functions (stale build?)` };
  } catch (err) {
    loaded = { reason: `cannot load ${path}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
  }
  return loaded;
}

/** Why the native backend is unavailable, or null when it loads. */
export function nativeUnavailableReason(): string | null {
  const r = loadAddon();
  return 'reason' in r ? r.reason : null;
}

/** The native backend, or null (see nativeUnavailableReason()) when the addon is missing or broken. */
export function loadNativeBackend(): NativeBackend | null {
  const r = loadAddon();
  return 'addon' in r ? new NativeBackend(r.addon) : null;
}

// One queue for the whole process (all NativeBackend instances share OpenBLAS's global state).
let tail: Promise<unknown> = Promise.resolve();
let pending = 0;
let wantedThreads = 0; // 0: not set yet

function applyThreads(addon: NativeAddon): void {
  if (wantedThreads > 0 && addon.getThreads() !== wantedThreads) addon.setThreads(wantedThreads);
}

function enqueue<R>(addon: NativeAddon, task: () => Promise<R>): Promise<R> {
  pending++;
  const run = tail.then(() => {
    applyThreads(addon);
    return task();
  });
  const done = run.finally(() => {
    pending--;
  });
  tail = done.catch(() => undefined);
  return done;
}

/** Products of at most this many multiply-adds run synchronously in TypeScript (same results to rounding). */
const SMALL_GEMM = 1 << 15;

export class NativeBackend implements Backend {
  readonly name = 'native' as const;
  readonly addon: NativeAddon;

  /** Prefer loadNativeBackend(); the thread count starts at os.availableParallelism() (first instance). */
  constructor(addon: NativeAddon) {
    this.addon = addon;
    if (wantedThreads === 0) this.setThreads(os.availableParallelism());
  }

  /** OpenBLAS's build configuration and detected core, e.g. for benchmarks. */
  info(): { config: string; corename: string; numProcs: number } {
    return this.addon.info();
  }

  /** Sets the OpenBLAS thread count; applied now if idle, otherwise before the next queued call. */
  setThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads: expected an integer ≥ 1, got ${n}`);
    wantedThreads = n;
    if (pending === 0) {
      this.addon.setThreads(n);
      wantedThreads = this.addon.getThreads(); // OpenBLAS caps at its compiled maximum
    }
  }

  getThreads(): number {
    return pending === 0 ? this.addon.getThreads() : wantedThreads;
  }

  gemm<T extends FloatArray>(a: Matrix<T>, b: Matrix<T>, opts?: GemmOptions<T>): Promise<Matrix<T>> {
    try {
      const p = planGemm(a, b, opts);
      if (p.m === 0 || p.n === 0) return Promise.resolve(p.c);
      // Tiny products cost less in-thread than the hop to the BLAS worker and back.
      if (pending === 0 && p.m * p.n * p.k <= SMALL_GEMM) return Promise.resolve(portableGemm(p));
      const addon = this.addon;
      return enqueue(addon, async () => {
        await addon.gemm(p.a, p.b, p.c.data, p.m, p.n, p.k, p.transA, p.transB, p.alpha, p.beta);
        return p.c;
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  syevd(a: Matrix64): Promise<SymmetricEigen> {
    try {
      checkSyevd(a);
      const n = a.rows;
      const values = new Float64Array(n);
      const vectors = new Float64Array(n * n);
      if (n === 0) return Promise.resolve({ values, vectors: { rows: 0, cols: 0, data: vectors } });
      const addon = this.addon;
      return enqueue(addon, async () => {
        await addon.syevd(a.data, n, values, vectors);
        return { values, vectors: { rows: n, cols: n, data: vectors } };
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  syevdMany(mats: readonly Matrix64[]): Promise<SymmetricEigen[]> {
    const addon = this.addon;
    if (!addon.syevdMany || mats.length < 2) return Promise.all(mats.map((m) => this.syevd(m)));
    try {
      for (const m of mats) checkSyevd(m);
      // One native call per matrix size (inner folds differ by a row or so).
      const bySize = new Map<number, number[]>();
      mats.forEach((m, i) => { const l = bySize.get(m.rows); if (l) l.push(i); else bySize.set(m.rows, [i]); });
      const out: SymmetricEigen[] = new Array(mats.length);
      const calls = [...bySize].map(([n, idx]) => {
        const count = idx.length;
        const a = new Float64Array(count * n * n);
        idx.forEach((i, k) => a.set(mats[i].data, k * n * n));
        const values = new Float64Array(count * n);
        const vectors = new Float64Array(count * n * n);
        return enqueue(addon, async () => {
          if (n > 0) await addon.syevdMany!(a, n, count, values, vectors, this.threads());
          idx.forEach((i, k) => (out[i] = { values: values.subarray(k * n, (k + 1) * n), vectors: { rows: n, cols: n, data: vectors.subarray(k * n * n, (k + 1) * n * n) } }));
        });
      });
      return Promise.all(calls).then(() => out);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  potrf(a: Matrix64): Promise<Matrix64> {
    try {
      checkPotrf(a);
      const n = a.rows;
      const l = new Float64Array(n * n);
      if (n === 0) return Promise.resolve({ rows: 0, cols: 0, data: l });
      const addon = this.addon;
      return enqueue(addon, async () => {
        const info = await addon.potrf(a.data, n, l);
        if (info > 0) throw new NotPositiveDefiniteError(info);
        return { rows: n, cols: n, data: l };
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The thread count a queued call runs with. */
  private threads(): number {
    return wantedThreads > 0 ? wantedThreads : this.addon.getThreads();
  }

  layerNorm(x: Float32Array, out: Float32Array, rows: number, d: number, weight: Float32Array, bias: Float32Array, eps: number): Promise<void> {
    try {
      checkLayerNorm(x, out, rows, d, weight, bias);
      const addon = this.addon;
      if (!addon.nnLayerNorm) return settle(() => layerNorm(x, out, rows, d, weight, bias, eps));
      return enqueue(addon, () => addon.nnLayerNorm!(x, out, rows, d, weight, bias, eps, this.threads()));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  biasActivation(x: Float32Array, rows: number, n: number, bias: Float32Array, act: NnActivation): Promise<void> {
    try {
      checkBiasActivation(x, rows, n, bias, act);
      const addon = this.addon;
      if (!addon.nnBiasAct) return settle(() => biasActivation(x, rows, n, bias, act));
      return enqueue(addon, () => addon.nnBiasAct!(x, rows, n, bias, ACT_CODE[act], this.threads()));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  causalAttention(qkv: Float32Array, offsets: Int32Array, out: Float32Array, d: number, nHead: number, scale: number): Promise<void> {
    try {
      checkCausalAttention(qkv, offsets, out, d, nHead);
      const addon = this.addon;
      if (!addon.nnCausalAttention) return settle(() => causalAttention(qkv, offsets, out, d, nHead, scale));
      return enqueue(addon, () => addon.nnCausalAttention!(qkv, offsets, out, d, nHead, scale, this.threads()));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  fillNormalChunks(out: Float32Array, seed: number, tensor: number, chunk: number, firstChunk: number, std: number): Promise<void> {
    try {
      checkFillNormalChunks(seed, tensor, chunk, firstChunk, out.length);
      const addon = this.addon;
      if (!addon.nnFillNormal) return settle(() => fillNormalChunks(out, seed, tensor, chunk, firstChunk, std));
      return enqueue(addon, () => addon.nnFillNormal!(out, seed, tensor, chunk, firstChunk, std, this.threads()));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Whether linear layers use the addon's packed AVX-512 kernel (else OpenBLAS sgemm + bias). */
  get packedLinear(): boolean {
    const a = this.addon;
    this.packed ??= !!(a.nnPack && a.nnLinear && a.nnLinearAvailable?.());
    return this.packed;
  }

  private packed?: boolean;

  /** Zeros on 64-byte aligned storage when the addon can make it (aligned panels load faster), else a plain array. */
  private alloc(n: number): Float32Array {
    if (this.addon.nnAlloc) {
      try {
        return this.addon.nnAlloc(n);
      } catch {
        /* e.g. a runtime without external array buffers: the kernel also takes unaligned storage */
      }
    }
    return new Float32Array(n);
  }

  packLinear(w: Float32Array, k: number, n: number): Promise<LinearWeights> {
    try {
      if (w.length !== k * n) throw new RangeError(`packLinear: expected ${k} × ${n} = ${k * n} values, got ${w.length}`);
      if (!this.packedLinear) return Promise.resolve({ k, n, layout: 'row-major', data: w });
      const addon = this.addon;
      const data = this.alloc(panel64Length(k, n));
      return enqueue(addon, async () => {
        await addon.nnPack!(w, k, n, data, this.threads());
        return { k, n, layout: 'panel64' as const, data };
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  normalLinear(k: number, n: number, seed: number, tensor: number, chunk: number, std: number): Promise<LinearWeights> {
    try {
      checkFillNormalChunks(seed, tensor, chunk, 0, k * n);
      if (!this.packedLinear) {
        const data = new Float32Array(k * n);
        return this.fillNormalChunks(data, seed, tensor, chunk, 0, std).then(() => ({ k, n, layout: 'row-major' as const, data }));
      }
      const addon = this.addon;
      const data = this.alloc(panel64Length(k, n));
      return enqueue(addon, async () => {
        await addon.nnFillNormal!(data, seed, tensor, chunk, 0, std, this.threads(), k, n);
        return { k, n, layout: 'panel64' as const, data };
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  linear(x: Float32Array, rows: number, w: LinearWeights, bias: Float32Array, out: Float32Array, opts: LinearOptions = {}): Promise<void> {
    try {
      checkLinear(x, rows, w, bias, out, opts);
      const act = opts.act ?? 'identity';
      const addon = this.addon;
      if (w.layout === 'panel64') {
        if (!this.packedLinear) throw new RangeError('linear: panel64 weights need the addon\'s packed kernel, which this CPU or build lacks');
        return enqueue(addon, () => addon.nnLinear!(x, rows, w.k, w.data, w.n, bias, out, !!opts.accumulate, ACT_CODE[act], this.threads()));
      }
      const c = { rows, cols: w.n, data: out };
      return this.gemm({ rows, cols: w.k, data: x }, { rows: w.k, cols: w.n, data: w.data }, { c, beta: opts.accumulate ? 1 : 0 })
        .then(() => this.biasActivation(out, rows, w.n, bias, act));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  trsm(t: Matrix64, b: Matrix64, opts: TrsmOptions): Promise<Matrix64> {
    try {
      checkTrsm(t, b, opts);
      const m = b.rows;
      const n = b.cols;
      const x = b.data.slice();
      const alpha = opts.alpha ?? 1;
      if (m === 0 || n === 0) return Promise.resolve({ rows: m, cols: n, data: x });
      const addon = this.addon;
      return enqueue(addon, async () => {
        await addon.trsm(t.data, x, m, n, opts.side === 'left', opts.lower, opts.trans, alpha);
        return { rows: m, cols: n, data: x };
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

/** Runs f now; a settled promise of its completion or its error. */
function settle(f: () => void): Promise<void> {
  try {
    f();
    return Promise.resolve();
  } catch (err) {
    return Promise.reject(err);
  }
}
