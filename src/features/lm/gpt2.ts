/**
 * GPT-2 forward pass on the linalg backend, returning every hidden state exactly as Hugging Face's
 * `GPT2Model(..., output_hidden_states=True)` defines them (eval mode, no dropout):
 *
 *   state 0      = wte[ids] + wpe[0 … T−1]
 *   state k      = the residual stream after block k (k = 1 … n_layer − 1)
 *   state n_layer = ln_f(residual stream after the last block)
 *
 * Block: h += c_proj(attn(ln_1(h))); h += mlp_c_proj(act(c_fc(ln_2(h)))), causal multi-head
 * attention with scores q·kᵀ/√head_dim, layer norms with `layer_norm_epsilon`, Conv1D weights in
 * HF's [in, out] layout (y = x·W + b). Storage is float32; the token-wise products (QKV projection,
 * output projection, MLP) are f32 GEMMs on the backend, and layer norm, bias + activation and
 * causal attention are the backend's fused float32 kernels (src/linalg/nn.ts: layer norm sums in
 * float64).
 */
import { join } from 'node:path';
import { InputError, inputError } from '../../data/errors.js';
import type { Backend, LinearWeights, NnActivation } from '../../linalg/backend.js';
import { layerNorm as nnLayerNorm } from '../../linalg/nn.js';
import { readGpt2Config, type Gpt2Config } from './config.js';
import { SafetensorsModel } from './safetensors.js';

/** One block's parameters (HF names in comments; Conv1D weights are [in, out], row-major). */
export interface Gpt2BlockWeights {
  /** ln_1.weight, ln_1.bias: [d] */
  ln1Weight: Float32Array;
  ln1Bias: Float32Array;
  /** attn.c_attn.weight [d, 3d], attn.c_attn.bias [3d] (columns: q, k, v; heads contiguous inside each). */
  attnWeight: Float32Array;
  attnBias: Float32Array;
  /** attn.c_proj.weight [d, d], bias [d] */
  attnProjWeight: Float32Array;
  attnProjBias: Float32Array;
  /** ln_2.weight, ln_2.bias: [d] */
  ln2Weight: Float32Array;
  ln2Bias: Float32Array;
  /** mlp.c_fc.weight [d, inner], bias [inner] */
  fcWeight: Float32Array;
  fcBias: Float32Array;
  /** mlp.c_proj.weight [inner, d], bias [d] */
  mlpProjWeight: Float32Array;
  mlpProjBias: Float32Array;
}

/** A block ready for the forward pass on one backend: the four weight matrices prepared by it (`Backend.packLinear`). */
export interface Gpt2PreparedBlock {
  ln1Weight: Float32Array;
  ln1Bias: Float32Array;
  attn: LinearWeights;
  attnBias: Float32Array;
  attnProj: LinearWeights;
  attnProjBias: Float32Array;
  ln2Weight: Float32Array;
  ln2Bias: Float32Array;
  fc: LinearWeights;
  fcBias: Float32Array;
  mlpProj: LinearWeights;
  mlpProjBias: Float32Array;
}

/** Prepares a block's weight matrices for `backend` (d = n_embd, inner = n_inner). */
export async function prepareBlock(b: Gpt2BlockWeights, d: number, inner: number, backend: Backend): Promise<Gpt2PreparedBlock> {
  const [attn, attnProj, fc, mlpProj] = await Promise.all([
    backend.packLinear(b.attnWeight, d, 3 * d),
    backend.packLinear(b.attnProjWeight, d, d),
    backend.packLinear(b.fcWeight, d, inner),
    backend.packLinear(b.mlpProjWeight, inner, d),
  ]);
  return {
    ln1Weight: b.ln1Weight, ln1Bias: b.ln1Bias, attn, attnBias: b.attnBias, attnProj, attnProjBias: b.attnProjBias,
    ln2Weight: b.ln2Weight, ln2Bias: b.ln2Bias, fc, fcBias: b.fcBias, mlpProj, mlpProjBias: b.mlpProjBias,
  };
}

/** Where the forward pass gets its parameters (loaded from files, or generated). */
export interface Gpt2Weights {
  readonly config: Gpt2Config;
  /** wte row `id` ([d]). */
  tokenEmbedding(id: number): Float32Array;
  /** wpe row `pos` ([d]). */
  positionEmbedding(pos: number): Float32Array;
  /** Block l's parameters (0-based; may be loaded or generated on first use). */
  block(l: number): Gpt2BlockWeights;
  /**
   * Block l with its weight matrices straight in `backend`'s layout (generated or packed without
   * keeping a row-major copy); when absent, the forward pass prepares `block(l)` itself.
   */
  preparedBlock?(l: number, backend: Backend): Promise<Gpt2PreparedBlock>;
  /** ln_f. */
  finalNorm(): { weight: Float32Array; bias: Float32Array };
}

/** Tensor names of block l as stored by HF GPT2Model (GPT2LMHeadModel adds `transformer.`). */
function blockShapes(cfg: Gpt2Config, l: number): Array<[keyof Gpt2BlockWeights, string, number[]]> {
  const d = cfg.nEmbd;
  const p = `h.${l}.`;
  return [
    ['ln1Weight', `${p}ln_1.weight`, [d]],
    ['ln1Bias', `${p}ln_1.bias`, [d]],
    ['attnWeight', `${p}attn.c_attn.weight`, [d, 3 * d]],
    ['attnBias', `${p}attn.c_attn.bias`, [3 * d]],
    ['attnProjWeight', `${p}attn.c_proj.weight`, [d, d]],
    ['attnProjBias', `${p}attn.c_proj.bias`, [d]],
    ['ln2Weight', `${p}ln_2.weight`, [d]],
    ['ln2Bias', `${p}ln_2.bias`, [d]],
    ['fcWeight', `${p}mlp.c_fc.weight`, [d, cfg.nInner]],
    ['fcBias', `${p}mlp.c_fc.bias`, [cfg.nInner]],
    ['mlpProjWeight', `${p}mlp.c_proj.weight`, [cfg.nInner, d]],
    ['mlpProjBias', `${p}mlp.c_proj.bias`, [d]],
  ];
}

/**
 * GPT-2 weights from a Hugging Face folder (config.json + model.safetensors or a sharded index).
 * Every tensor's presence and shape is checked on open (InputError naming the file and tensor);
 * the data is read on first use (embeddings on the first forward pass, each block when reached).
 */
export class SafetensorsGpt2Weights implements Gpt2Weights {
  readonly config: Gpt2Config;
  readonly dir: string;
  readonly st: SafetensorsModel;
  private wte?: Float32Array;
  private wpe?: Float32Array;
  private lnF?: { weight: Float32Array; bias: Float32Array };
  private readonly blocks: Array<Gpt2BlockWeights | undefined>;

  constructor(dir: string) {
    this.dir = dir;
    this.config = readGpt2Config(dir);
    this.st = SafetensorsModel.open(dir);
    const cfg = this.config;
    const all: Array<[string, number[]]> = [
      ['wte.weight', [cfg.vocabSize, cfg.nEmbd]],
      ['wpe.weight', [cfg.nPositions, cfg.nEmbd]],
      ['ln_f.weight', [cfg.nEmbd]],
      ['ln_f.bias', [cfg.nEmbd]],
    ];
    for (let l = 0; l < cfg.nLayer; l++) for (const [, name, shape] of blockShapes(cfg, l)) all.push([name, shape]);
    for (const [name, shape] of all) {
      const info = this.st.find(name);
      if (!info) {
        // get() produces the message naming the file and the tensor.
        this.st.get(name, shape);
      } else if (info.shape.length !== shape.length || info.shape.some((v, i) => v !== shape[i])) {
        throw inputError(info.file, info.name, `has shape [${info.shape.join(', ')}]; expected [${shape.join(', ')}] from ${join(dir, 'config.json')}`);
      }
    }
    this.blocks = new Array<Gpt2BlockWeights | undefined>(cfg.nLayer);
  }

  tokenEmbedding(id: number): Float32Array {
    this.wte ??= this.st.get('wte.weight', [this.config.vocabSize, this.config.nEmbd]);
    const d = this.config.nEmbd;
    return this.wte.subarray(id * d, (id + 1) * d);
  }

  positionEmbedding(pos: number): Float32Array {
    this.wpe ??= this.st.get('wpe.weight', [this.config.nPositions, this.config.nEmbd]);
    const d = this.config.nEmbd;
    return this.wpe.subarray(pos * d, (pos + 1) * d);
  }

  block(l: number): Gpt2BlockWeights {
    const cached = this.blocks[l];
    if (cached) return cached;
    const b = this.readBlock(l);
    this.blocks[l] = b;
    return b;
  }

  /** Block l packed for `backend`, read from the files without keeping the row-major tensors (unless `block(l)` was called). */
  preparedBlock(l: number, backend: Backend): Promise<Gpt2PreparedBlock> {
    let perBackend = this.prepared.get(backend);
    if (!perBackend) {
      perBackend = [];
      this.prepared.set(backend, perBackend);
    }
    let p = perBackend[l];
    if (!p) {
      const b = this.blocks[l] ?? this.readBlock(l);
      p = prepareBlock(b, this.config.nEmbd, this.config.nInner, backend);
      perBackend[l] = p;
      p.catch(() => { if (perBackend[l] === p) perBackend[l] = undefined; });
    }
    return p;
  }

  private readonly prepared = new Map<Backend, Array<Promise<Gpt2PreparedBlock> | undefined>>();

  private readBlock(l: number): Gpt2BlockWeights {
    const b = {} as Record<keyof Gpt2BlockWeights, Float32Array>;
    for (const [key, name, shape] of blockShapes(this.config, l)) b[key] = this.st.get(name, shape);
    return b;
  }

  finalNorm(): { weight: Float32Array; bias: Float32Array } {
    this.lnF ??= { weight: this.st.get('ln_f.weight', [this.config.nEmbd]), bias: this.st.get('ln_f.bias', [this.config.nEmbd]) };
    return this.lnF;
  }
}

/** Layer norm of each row of x (T × d) into out: (x − mean)/√(var + eps)·w + b, float64 sums (src/linalg/nn.ts). */
export function layerNorm(x: Float32Array, rows: number, d: number, w: Float32Array, b: Float32Array, eps: number, out: Float32Array): void {
  nnLayerNorm(x, out, rows, d, w, b, eps);
}

/** Options of `Gpt2Model.forward`. */
export interface ForwardOptions {
  /** Called with each hidden state (0 … n_layer) as soon as it is ready; the array is not reused. */
  onState?: (layer: number, state: Float32Array) => void;
}

/** The backend kernel of a config's MLP activation. */
function activationKernel(act: Gpt2Config['activation']): NnActivation {
  // gelu_new = gelu_pytorch_tanh = gelu_fast: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
  return act === 'relu' ? 'relu' : 'gelu_tanh';
}

/** A GPT-2 model ready to run (weights + backend). */
export class Gpt2Model {
  readonly weights: Gpt2Weights;
  readonly backend: Backend;

  constructor(weights: Gpt2Weights, backend: Backend) {
    this.weights = weights;
    this.backend = backend;
  }

  get config(): Gpt2Config {
    return this.weights.config;
  }

  /** Prepared blocks of weights that cannot prepare themselves (`Gpt2Weights.preparedBlock` absent). */
  private readonly prepared: Array<Promise<Gpt2PreparedBlock> | undefined> = [];

  private preparedBlock(l: number): Promise<Gpt2PreparedBlock> {
    const w = this.weights;
    if (w.preparedBlock) return w.preparedBlock(l, this.backend);
    this.prepared[l] ??= prepareBlock(w.block(l), this.config.nEmbd, this.config.nInner, this.backend);
    return this.prepared[l];
  }

  /**
   * Runs token ids (T ≤ n_positions, no BOS added) through the model and returns the n_layer + 1
   * hidden states, each T × n_embd row-major float32 (see the module comment for their meaning).
   */
  async forward(ids: ArrayLike<number>, opts: ForwardOptions = {}): Promise<Float32Array[]> {
    const states: Float32Array[] = [];
    await this.forwardBatch([ids], (layer, state) => {
      states.push(state);
      opts.onState?.(layer, state);
    });
    return states;
  }

  /**
   * Runs several independent sequences at once: their rows are stacked (sequence after sequence)
   * for every token-wise product (QKV, projections, MLP), so the GEMMs are tall and the weights are
   * streamed once per batch; attention stays within each sequence. `onState(layer, state)` gets
   * each hidden state as (Σ T_s) × n_embd rows in the order of `seqs`. Results equal separate
   * `forward` calls up to float32 rounding.
   *
   * Per block, every step is one backend call over all R rows: layer norm, the QKV linear layer
   * (bias fused), causal attention of all sequences and heads, the output projection accumulated
   * into the residual stream (h += x·W + b), and the same for the MLP with bias + activation fused.
   * Work buffers are allocated once per batch; weights are prepared once per backend.
   */
  async forwardBatch(seqs: ReadonlyArray<ArrayLike<number>>, onState: (layer: number, state: Float32Array) => void): Promise<void> {
    const cfg = this.config;
    const d = cfg.nEmbd;
    const offsets: number[] = [0];
    for (const ids of seqs) {
      if (ids.length === 0) throw new RangeError('GPT-2 forward: a sequence has no tokens');
      if (ids.length > cfg.nPositions) throw new InputError(`GPT-2 forward: ${ids.length} tokens exceed the model's n_positions ${cfg.nPositions}`);
      offsets.push(offsets[offsets.length - 1] + ids.length);
    }
    const R = offsets[offsets.length - 1];
    if (R === 0) return;
    const H = cfg.nHead;
    const hd = d / H;
    const inner = cfg.nInner;
    const eps = cfg.layerNormEpsilon;
    const act = activationKernel(cfg.activation);
    const be = this.backend;
    const w = this.weights;

    // Embeddings.
    let h = new Float32Array(R * d);
    seqs.forEach((ids, s) => {
      for (let t = 0; t < ids.length; t++) {
        const id = ids[t];
        if (!Number.isInteger(id) || id < 0 || id >= cfg.vocabSize) throw new InputError(`GPT-2 forward: token id ${id} at position ${t} is outside the vocabulary (0 … ${cfg.vocabSize - 1})`);
        const te = w.tokenEmbedding(id);
        const pe = w.positionEmbedding(t);
        const o = (offsets[s] + t) * d;
        for (let j = 0; j < d; j++) h[o + j] = te[j] + pe[j];
      }
    });

    const offs = Int32Array.from(offsets);
    const a = new Float32Array(R * d);
    const merged = new Float32Array(R * d);
    const qkv = new Float32Array(R * 3 * d);
    const f = new Float32Array(R * inner);
    for (let l = 0; l < cfg.nLayer; l++) {
      onState(l, h);
      h = h.slice();
      const b = await this.preparedBlock(l);

      // Attention.
      await be.layerNorm(h, a, R, d, b.ln1Weight, b.ln1Bias, eps);
      await be.linear(a, R, b.attn, b.attnBias, qkv);
      let scale = cfg.scaleAttnWeights ? 1 / Math.sqrt(hd) : 1;
      if (cfg.scaleAttnByInverseLayerIdx) scale /= l + 1;
      await be.causalAttention(qkv, offs, merged, d, H, scale);
      await be.linear(merged, R, b.attnProj, b.attnProjBias, h, { accumulate: true });

      // MLP.
      await be.layerNorm(h, a, R, d, b.ln2Weight, b.ln2Bias, eps);
      await be.linear(a, R, b.fc, b.fcBias, f, { act });
      await be.linear(f, R, b.mlpProj, b.mlpProjBias, h, { accumulate: true });
    }
    const lnF = w.finalNorm();
    const last = new Float32Array(R * d);
    await be.layerNorm(h, last, R, d, lnF.weight, lnF.bias, eps);
    onState(cfg.nLayer, last);
  }
}
