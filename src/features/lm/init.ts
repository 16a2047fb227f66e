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
 * of the order (and laziness) in which they are generated, and let the native backend generate
 * a block's chunks in parallel (`preparedBlock`: C, the same values bit for bit as `block`'s
 * TypeScript). Like HF's torch streams, these are not the authors' weights (no seed was set
 * there); only the distributions match.
 */
import type { Backend, LinearWeights } from '../../linalg/backend.js';
import { fillNormal, fillNormalChunks } from '../../linalg/nn.js';
import type { Gpt2Config } from './config.js';
import type { Gpt2BlockWeights, Gpt2PreparedBlock, Gpt2Weights } from './gpt2.js';

export { fillNormal } from '../../linalg/nn.js';

/** Elements per chunk of a block weight (see the module comment). */
export const INIT_CHUNK = 1 << 20;

/** Fills a whole tensor of `n` elements from its chunked streams (tensor number `t`). */
export function normalTensor(n: number, seed: number, t: number, std: number, chunk = INIT_CHUNK): Float32Array {
  const out = new Float32Array(n);
  fillNormalChunks(out, seed, t, chunk, 0, std);
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
  private readonly prepared = new Map<Backend, Array<Promise<Gpt2PreparedBlock> | undefined>>();
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

  /** Block l's weight tensors (unfilled), their tensor numbers and standard deviations. */
  private blockPlan(l: number): { b: Gpt2BlockWeights; fills: Array<[Float32Array, number, number]> } {
    const { nEmbd: d, nInner: inner, nLayer, initializerRange: r } = this.config;
    const projStd = r / Math.sqrt(2 * nLayer);
    const t = 2 + 4 * l;
    const b: Gpt2BlockWeights = {
      ln1Weight: this.ones,
      ln1Bias: this.zerosD,
      attnWeight: new Float32Array(d * 3 * d),
      attnBias: new Float32Array(3 * d),
      attnProjWeight: new Float32Array(d * d),
      attnProjBias: this.zerosD,
      ln2Weight: this.ones,
      ln2Bias: this.zerosD,
      fcWeight: new Float32Array(d * inner),
      fcBias: new Float32Array(inner),
      mlpProjWeight: new Float32Array(inner * d),
      mlpProjBias: this.zerosD,
    };
    return { b, fills: [[b.attnWeight, t, r], [b.attnProjWeight, t + 1, projStd], [b.fcWeight, t + 2, r], [b.mlpProjWeight, t + 3, projStd]] };
  }

  /** Block l, generated here in TypeScript on first use (see `preparedBlock` for the fast path; same values). */
  block(l: number): Gpt2BlockWeights {
    const cached = this.blocks[l];
    if (cached) return cached;
    const { b, fills } = this.blockPlan(l);
    for (const [out, t, std] of fills) fillNormalChunks(out, this.seed, t, INIT_CHUNK, 0, std);
    this.blocks[l] = b;
    return b;
  }

  /**
   * Block l generated on first use by `backend` straight into its weight layout (native: parallel
   * C, packed for its linear kernel), kept per backend; the values equal `block(l)`'s.
   */
  preparedBlock(l: number, backend: Backend): Promise<Gpt2PreparedBlock> {
    let perBackend = this.prepared.get(backend);
    if (!perBackend) {
      perBackend = [];
      this.prepared.set(backend, perBackend);
    }
    let p = perBackend[l];
    if (!p) {
      const { nEmbd: d, nInner: inner, nLayer, initializerRange: r } = this.config;
      const projStd = r / Math.sqrt(2 * nLayer);
      const t = 2 + 4 * l;
      const gen = (k: number, n: number, tensor: number, std: number): Promise<LinearWeights> => backend.normalLinear(k, n, this.seed, tensor, INIT_CHUNK, std);
      p = Promise.all([gen(d, 3 * d, t, r), gen(d, d, t + 1, projStd), gen(d, inner, t + 2, r), gen(inner, d, t + 3, projStd)]).then(([attn, attnProj, fc, mlpProj]) => ({
        ln1Weight: this.ones,
        ln1Bias: this.zerosD,
        attn,
        attnBias: new Float32Array(3 * d),
        attnProj,
        attnProjBias: this.zerosD,
        ln2Weight: this.ones,
        ln2Bias: this.zerosD,
        fc,
        fcBias: new Float32Array(inner),
        mlpProj,
        mlpProjBias: this.zerosD,
      }));
      const list = perBackend;
      list[l] = p;
      p.catch(() => { if (list[l] === p) list[l] = undefined; });
    }
    return p;
  }

  finalNorm(): { weight: Float32Array; bias: Float32Array } {
    return { weight: this.ones, bias: this.zerosD };
  }

  /** Drops generated blocks (they are regenerated identically on demand). */
  release(): void {
    this.blocks.fill(undefined);
    this.prepared.clear();
  }
}
