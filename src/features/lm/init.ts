/**
 * Seeded untrained GPT-2 weights with Hugging Face's default initialisation (METHODS §3.6):
 *
 *   wte, wpe, attn.c_attn.weight, mlp.c_fc.weight      ~ N(0, r)            r = initializer_range (0.02)
 *   attn.c_proj.weight, mlp.c_proj.weight              ~ N(0, r / √(2·n_layer))
 *   every bias 0; ln_1, ln_2, ln_f: weight 1, bias 0.
 *
 * The random stream (reproducible with numpy): a tensor is cut into chunks, and chunk c of tensor
 * t is `std · np.random.RandomState([seed, t, c]).standard_normal(len)` rounded to float32, i.e.
 * MT19937 seeded by `init_by_array([seed, t, c])`, then numpy's legacy polar Box–Muller
 * (`legacy_gauss`, 53-bit uniforms, the second value of each pair used next). Chunks are one row
 * for wte and wpe (so only the embeddings of tokens that occur are ever generated) and 2^20
 * consecutive elements (row-major, in HF's stored [in, out] Conv1D layout) for the block weights.
 * Tensor numbers t: wte 0, wpe 1, then for block l: c_attn.weight 2+4l, attn.c_proj.weight 3+4l,
 * mlp.c_fc.weight 4+4l, mlp.c_proj.weight 5+4l. Independent chunks make the weights independent
 * of the order (and laziness) in which they are generated. Like HF's torch streams, these are
 * not the authors' weights (no seed was set there); only the distributions match.
 */
import type { Gpt2Config } from './config.js';
import type { Gpt2BlockWeights, Gpt2Weights } from './gpt2.js';

const N = 624;
const M = 397;

/**
 * numpy `RandomState(key).standard_normal(n)` (key: a list of uint32, `init_by_array`; or a single
 * integer, `init_genrand`) written as `std ·` value into `out[offset … offset+n)`, in float32.
 * A tight, allocation-free MT19937 + polar Box–Muller (≈ 2× the speed of `MT19937.standardNormal`).
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

/** Elements per chunk of a block weight (see the module comment). */
export const INIT_CHUNK = 1 << 20;

/** Fills a whole tensor of `n` elements from its chunked streams (tensor number `t`). */
export function normalTensor(n: number, seed: number, t: number, std: number, chunk = INIT_CHUNK): Float32Array {
  const out = new Float32Array(n);
  for (let c = 0, off = 0; off < n; c++, off += chunk) fillNormal(out, off, Math.min(chunk, n - off), [seed, t, c], std);
  return out;
}

/**
 * Untrained GPT-2 weights for any config: generated lazily (the embeddings row by row as tokens
 * occur, each block the first time the forward pass reaches it) and kept.
 */
export class UntrainedGpt2Weights implements Gpt2Weights {
  readonly config: Gpt2Config;
  readonly seed: number;
  private readonly wteRows = new Map<number, Float32Array>();
  private readonly wpeRows = new Map<number, Float32Array>();
  private readonly blocks: Array<Gpt2BlockWeights | undefined>;
  private readonly ones: Float32Array;
  private readonly zerosD: Float32Array;

  constructor(config: Gpt2Config, seed = 0) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`untrained GPT-2: seed must be an integer in [0, 2^32 - 1], got ${seed}`);
    this.config = config;
    this.seed = seed;
    this.blocks = new Array<Gpt2BlockWeights | undefined>(config.nLayer);
    this.ones = new Float32Array(config.nEmbd).fill(1);
    this.zerosD = new Float32Array(config.nEmbd);
  }

  private row(cache: Map<number, Float32Array>, t: number, r: number): Float32Array {
    let v = cache.get(r);
    if (!v) {
      v = new Float32Array(this.config.nEmbd);
      fillNormal(v, 0, v.length, [this.seed, t, r], this.config.initializerRange);
      cache.set(r, v);
    }
    return v;
  }

  /** Row `id` of wte. */
  tokenEmbedding(id: number): Float32Array {
    return this.row(this.wteRows, 0, id);
  }

  /** Row `pos` of wpe. */
  positionEmbedding(pos: number): Float32Array {
    return this.row(this.wpeRows, 1, pos);
  }

  block(l: number): Gpt2BlockWeights {
    const cached = this.blocks[l];
    if (cached) return cached;
    const { nEmbd: d, nInner: inner, nLayer, initializerRange: r } = this.config;
    const projStd = r / Math.sqrt(2 * nLayer);
    const t = 2 + 4 * l;
    const b: Gpt2BlockWeights = {
      ln1Weight: this.ones,
      ln1Bias: this.zerosD,
      attnWeight: normalTensor(d * 3 * d, this.seed, t, r),
      attnBias: new Float32Array(3 * d),
      attnProjWeight: normalTensor(d * d, this.seed, t + 1, projStd),
      attnProjBias: this.zerosD,
      ln2Weight: this.ones,
      ln2Bias: this.zerosD,
      fcWeight: normalTensor(d * inner, this.seed, t + 2, r),
      fcBias: new Float32Array(inner),
      mlpProjWeight: normalTensor(inner * d, this.seed, t + 3, projStd),
      mlpProjBias: this.zerosD,
    };
    this.blocks[l] = b;
    return b;
  }

  finalNorm(): { weight: Float32Array; bias: Float32Array } {
    return { weight: this.ones, bias: this.zerosD };
  }

  /** Drops generated blocks (they are regenerated identically on demand). */
  release(): void {
    this.blocks.fill(undefined);
  }
}
