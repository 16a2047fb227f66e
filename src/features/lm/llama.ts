/**
 * The Llama family of decoders (Hugging Face `LlamaModel`, `MistralModel`, `Qwen2Model`,
 * `Qwen3Model`): pre-norm blocks of RMSNorm → grouped-query self-attention with rotary position
 * embeddings → residual, RMSNorm → SiLU-gated MLP → residual, and a final RMSNorm.
 *
 * Family differences handled here:
 *  - llama: optional `attention_bias` (q, k, v and o) and `mlp_bias`; `rope_scaling` of type
 *    `llama3` (Llama 3.1/3.2) or `linear`;
 *  - mistral: no biases; `sliding_window` (sequences longer than the window are refused);
 *  - qwen2: biases on q, k and v (not o), always;
 *  - qwen3: RMSNorm over each head of q and k (`q_norm`, `k_norm`) before the rotation; explicit
 *    `head_dim`; optional `attention_bias`.
 *
 * Hidden states are those of transformers' `output_hidden_states=True`: L + 1 states, the
 * embedding output, then the output of blocks 1 … L − 1, and last the FINAL NORM's output (the
 * last block's own output is not exposed, as in transformers).
 *
 * Numerics: float32 storage, float32 GEMMs and attention on the backend (native BLAS when built),
 * RMSNorm and RoPE angles as transformers computes them in float32 (sums in float64).
 * config.json is read in both layouts: transformers 4 (`rope_theta`, `rope_scaling`) and
 * transformers 5 (`rope_parameters`).
 */
import { join } from 'node:path';
import { InputError, inputError } from '../../data/errors.js';
import type { Backend } from '../../linalg/backend.js';
import { matrix } from '../../linalg/matrix.js';
import { SafetensorsModel } from './safetensors.js';
import type { TensorSource } from './untrained.js';
import { readConfigJson } from './config.js';

export type LlamaModelType = 'llama' | 'mistral' | 'qwen2' | 'qwen3';
export const LLAMA_MODEL_TYPES: readonly LlamaModelType[] = ['llama', 'mistral', 'qwen2', 'qwen3'];

/** Rotary embedding frequency rule (`rope_scaling` / `rope_parameters`). */
export type RopeScaling =
  | { type: 'default' }
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };

/** What the forward pass needs from config.json. */
export interface LlamaConfig {
  modelType: LlamaModelType;
  nLayer: number;
  /** Width d of the residual stream (`hidden_size`). */
  hiddenSize: number;
  intermediateSize: number;
  nHead: number;
  /** Key/value heads (`num_key_value_heads`, default nHead); nHead must be a multiple. */
  nKvHead: number;
  /** Per-head width (`head_dim`, default hiddenSize / nHead). */
  headDim: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling;
  /** Bias on q, k and v. */
  qkvBias: boolean;
  /** Bias on o_proj. */
  oBias: boolean;
  /** Bias on gate/up/down. */
  mlpBias: boolean;
  /** q_norm / k_norm over each head (qwen3). */
  qkNorm: boolean;
  /** Longest sequence attention sees in full (sliding window), or null. */
  slidingWindow: number | null;
}

type Json = Record<string, unknown>;

function posInt(o: Json, key: string, source: string, fallback?: number): number {
  const v = o[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw inputError(source, key, 'missing; expected a positive integer');
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw inputError(source, key, `expected a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function posNum(o: Json, key: string, source: string, fallback: number): number {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw inputError(source, key, `expected a positive number, got ${JSON.stringify(v)}`);
  return v;
}

function bool(o: Json, key: string, source: string, fallback: boolean): boolean {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw inputError(source, key, `expected true or false, got ${JSON.stringify(v)}`);
  return v;
}

function parseRope(o: Json, source: string): { theta: number; scaling: RopeScaling } {
  // transformers 5 writes rope_parameters {rope_type, rope_theta, …}; 4 writes rope_theta + rope_scaling.
  const params = o.rope_parameters ?? o.rope_scaling;
  const field = o.rope_parameters !== undefined && o.rope_parameters !== null ? 'rope_parameters' : 'rope_scaling';
  let theta = posNum(o, 'rope_theta', source, 10000);
  if (params === undefined || params === null) return { theta, scaling: { type: 'default' } };
  if (typeof params !== 'object' || Array.isArray(params)) throw inputError(source, field, 'expected an object');
  const p = params as Json;
  if (p.rope_theta !== undefined) theta = posNum(p, 'rope_theta', `${source}: ${field}`, theta);
  const type = p.rope_type ?? p.type ?? 'default';
  if (type === 'default') return { theta, scaling: { type: 'default' } };
  if (type === 'linear') return { theta, scaling: { type: 'linear', factor: posNum(p, 'factor', `${source}: ${field}`, 1) } };
  if (type === 'llama3') {
    const src = `${source}: ${field}`;
    const need = (k: string): number => {
      if (p[k] === undefined || p[k] === null) throw inputError(src, k, 'missing; rope type llama3 needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings');
      return posNum(p, k, src, 1);
    };
    return {
      theta,
      scaling: { type: 'llama3', factor: need('factor'), lowFreqFactor: need('low_freq_factor'), highFreqFactor: need('high_freq_factor'), originalMaxPositions: need('original_max_position_embeddings') },
    };
  }
  throw inputError(source, field, `rope type ${JSON.stringify(type)} is not supported; expected default, linear or llama3`);
}

/** Parses a Llama-family config.json object (`source` names the file in errors). */
export function parseLlamaConfig(raw: unknown, source: string): LlamaConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw inputError(source, 'config', 'expected a JSON object');
  const o = raw as Json;
  const modelType = o.model_type;
  if (typeof modelType !== 'string' || !(LLAMA_MODEL_TYPES as readonly string[]).includes(modelType)) {
    throw inputError(source, 'model_type', `${JSON.stringify(modelType)} is not a Llama-family model; expected one of ${LLAMA_MODEL_TYPES.join(', ')}`);
  }
  const mt = modelType as LlamaModelType;
  const act = o.hidden_act ?? 'silu';
  if (act !== 'silu') throw inputError(source, 'hidden_act', `${JSON.stringify(act)} is not supported; expected "silu"`);
  const hiddenSize = posInt(o, 'hidden_size', source);
  const nHead = posInt(o, 'num_attention_heads', source);
  const nKvHead = posInt(o, 'num_key_value_heads', source, nHead);
  if (nHead % nKvHead !== 0) throw inputError(source, 'num_key_value_heads', `${nKvHead} does not divide num_attention_heads ${nHead}`);
  const headDimDefault = hiddenSize % nHead === 0 ? hiddenSize / nHead : undefined;
  const headDim = posInt(o, 'head_dim', source, headDimDefault);
  if (headDim % 2 !== 0) throw inputError(source, 'head_dim', `${headDim} is odd; rotary embeddings need an even head size`);
  const { theta, scaling } = parseRope(o, source);
  const attentionBias = bool(o, 'attention_bias', source, false);
  let slidingWindow: number | null = null;
  if (mt === 'mistral' && o.sliding_window !== undefined && o.sliding_window !== null) slidingWindow = posInt(o, 'sliding_window', source);
  if ((mt === 'qwen2' || mt === 'qwen3') && bool(o, 'use_sliding_window', source, false)) slidingWindow = posInt(o, 'sliding_window', source);
  return {
    modelType: mt,
    nLayer: posInt(o, 'num_hidden_layers', source),
    hiddenSize,
    intermediateSize: posInt(o, 'intermediate_size', source),
    nHead,
    nKvHead,
    headDim,
    vocabSize: posInt(o, 'vocab_size', source),
    rmsNormEps: posNum(o, 'rms_norm_eps', source, 1e-6),
    ropeTheta: theta,
    ropeScaling: scaling,
    qkvBias: mt === 'qwen2' ? true : mt === 'mistral' ? false : attentionBias,
    oBias: mt === 'llama' || mt === 'qwen3' ? attentionBias : false,
    mlpBias: mt === 'llama' ? bool(o, 'mlp_bias', source, false) : false,
    qkNorm: mt === 'qwen3',
    slidingWindow,
  };
}

/** Reads and parses `<dir>/config.json`. */
export function readLlamaConfig(dir: string): LlamaConfig {
  const { raw, path } = readConfigJson(dir);
  return parseLlamaConfig(raw, path);
}

/**
 * Rotary inverse frequencies (headDim / 2 values) as transformers computes them in float32:
 * 1 / θ^(2i/hd), then the scaling rule (llama3: long wavelengths divided by `factor`, the band
 * between the two thresholds smoothly interpolated; linear: all divided by `factor`).
 */
export function ropeInvFreq(headDim: number, theta: number, scaling: RopeScaling): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.fround(Math.pow(theta, Math.fround((2 * i) / headDim)));
  if (scaling.type === 'linear') for (let i = 0; i < half; i++) inv[i] = inv[i] / scaling.factor;
  if (scaling.type === 'llama3') {
    const { factor, lowFreqFactor, highFreqFactor, originalMaxPositions } = scaling;
    const lowWavelen = originalMaxPositions / lowFreqFactor;
    const highWavelen = originalMaxPositions / highFreqFactor;
    for (let i = 0; i < half; i++) {
      const f = inv[i];
      const wavelen = (2 * Math.PI) / f;
      let g = wavelen > lowWavelen ? f / factor : f;
      if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
        const smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        g = ((1 - smooth) * g) / factor + smooth * g;
      }
      inv[i] = g;
    }
  }
  return inv;
}

/**
 * Applies the rotation in place to `heads` heads of width hd in each row of x (rows × stride,
 * head h at columns h·hd …), to the first 2·invFreq.length columns of each head (all of it for
 * Llama; a part for GPT-NeoX's partial rotary); row r has position pos[r]. transformers' rotate_half convention:
 * (x₁, x₂) → (x₁·cos − x₂·sin, x₂·cos + x₁·sin) for the two halves, angle = float32(pos·invFreq).
 */
export function applyRope(x: Float32Array, rows: number, stride: number, heads: number, hd: number, pos: Int32Array, invFreq: Float32Array): void {
  // Rotated width: 2·invFreq.length (≤ hd; GPT-NeoX rotates only the first part of each head).
  const half = invFreq.length;
  const cos = new Float32Array(half);
  const sin = new Float32Array(half);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < half; i++) {
      const a = Math.fround(pos[r] * invFreq[i]);
      cos[i] = Math.cos(a);
      sin[i] = Math.sin(a);
    }
    for (let h = 0; h < heads; h++) {
      const o = r * stride + h * hd;
      for (let i = 0; i < half; i++) {
        const a = x[o + i];
        const b = x[o + half + i];
        x[o + i] = Math.fround(a * cos[i]) - Math.fround(b * sin[i]);
        x[o + half + i] = Math.fround(b * cos[i]) + Math.fround(a * sin[i]);
      }
    }
  }
}

/**
 * RMSNorm of each length-d group of x into out (may be x), as transformers' LlamaRMSNorm:
 * x / √(mean(x²) + eps) · weight, the mean summed in float64. `groups` = number of rows × heads.
 */
export function rmsNorm(x: Float32Array, out: Float32Array, groups: number, d: number, weight: Float32Array, eps: number): void {
  for (let g = 0; g < groups; g++) {
    const o = g * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += x[o + j] * x[o + j];
    const inv = Math.fround(1 / Math.sqrt(Math.fround(s / d) + eps));
    for (let j = 0; j < d; j++) out[o + j] = weight[j] * Math.fround(x[o + j] * inv);
  }
}

/** g ← silu(g) · u elementwise (the gated MLP's activation), silu(v) = v / (1 + e^(−v)). */
export function siluGate(g: Float32Array, u: Float32Array): void {
  for (let i = 0; i < g.length; i++) {
    const v = g[i];
    g[i] = (v / (1 + Math.exp(-v))) * u[i];
  }
}

/** One block's weights (HF [out, in] layout), read from the checkpoint when needed. */
interface LlamaBlock {
  inNorm: Float32Array;
  q: Float32Array; k: Float32Array; v: Float32Array; o: Float32Array;
  qb: Float32Array | null; kb: Float32Array | null; vb: Float32Array | null; ob: Float32Array | null;
  qNorm: Float32Array | null; kNorm: Float32Array | null;
  postNorm: Float32Array;
  gate: Float32Array; up: Float32Array; down: Float32Array;
  gateB: Float32Array | null; upB: Float32Array | null; downB: Float32Array | null;
}

/** A Llama-family checkpoint: config and lazily read weights (one block at a time). */
export class LlamaModel {
  readonly dir: string;
  readonly config: LlamaConfig;
  readonly st: TensorSource;

  /** `source`: where the weights come from (default: the folder's safetensors; untrained.ts for generated ones). */
  constructor(dir: string, source?: TensorSource) {
    this.dir = dir;
    this.config = readLlamaConfig(dir);
    this.st = source ?? SafetensorsModel.open(dir);
  }

  /** Tensor `name` of the base model, stored bare (XxxModel) or under `model.` (XxxForCausalLM). */
  private tensorName(name: string): string {
    return this.st.find(name) ? name : this.st.find(`model.${name}`) ? `model.${name}` : name;
  }

  private tensor(name: string, shape: readonly number[]): Float32Array {
    return this.st.get(this.tensorName(name), shape);
  }

  private block(i: number): LlamaBlock {
    const c = this.config;
    const d = c.hiddenSize;
    const qw = c.nHead * c.headDim;
    const kw = c.nKvHead * c.headDim;
    const p = `layers.${i}.`;
    const t = (n: string, s: number[]): Float32Array => this.tensor(p + n, s);
    return {
      inNorm: t('input_layernorm.weight', [d]),
      q: t('self_attn.q_proj.weight', [qw, d]),
      k: t('self_attn.k_proj.weight', [kw, d]),
      v: t('self_attn.v_proj.weight', [kw, d]),
      o: t('self_attn.o_proj.weight', [d, qw]),
      qb: c.qkvBias ? t('self_attn.q_proj.bias', [qw]) : null,
      kb: c.qkvBias ? t('self_attn.k_proj.bias', [kw]) : null,
      vb: c.qkvBias ? t('self_attn.v_proj.bias', [kw]) : null,
      ob: c.oBias ? t('self_attn.o_proj.bias', [d]) : null,
      qNorm: c.qkNorm ? t('self_attn.q_norm.weight', [c.headDim]) : null,
      kNorm: c.qkNorm ? t('self_attn.k_norm.weight', [c.headDim]) : null,
      postNorm: t('post_attention_layernorm.weight', [d]),
      gate: t('mlp.gate_proj.weight', [c.intermediateSize, d]),
      up: t('mlp.up_proj.weight', [c.intermediateSize, d]),
      down: t('mlp.down_proj.weight', [d, c.intermediateSize]),
      gateB: c.mlpBias ? t('mlp.gate_proj.bias', [c.intermediateSize]) : null,
      upB: c.mlpBias ? t('mlp.up_proj.bias', [c.intermediateSize]) : null,
      downB: c.mlpBias ? t('mlp.down_proj.bias', [d]) : null,
    };
  }

  /**
   * Every hidden state of each sequence (token ids), as transformers' `output_hidden_states=True`:
   * result[s][l] is the T_s × d state l (l = 0: embeddings; l = L: final norm's output), row-major.
   * Sequences run together (stacked rows); each block's weights are read once and dropped.
   */
  async hiddenStates(sequences: readonly (readonly number[])[], backend: Backend): Promise<Float32Array[][]> {
    const c = this.config;
    const d = c.hiddenSize;
    const hd = c.headDim;
    const qw = c.nHead * hd;
    const kw = c.nKvHead * hd;
    const I = c.intermediateSize;
    const offsets = new Int32Array(sequences.length + 1);
    sequences.forEach((s, i) => { offsets[i + 1] = offsets[i] + s.length; });
    const R = offsets[sequences.length];
    const pos = new Int32Array(R);
    for (let s = 0; s < sequences.length; s++) {
      const T = sequences[s].length;
      if (c.slidingWindow !== null && T > c.slidingWindow) {
        throw new InputError(`${this.dir}: sliding_window: a sequence of ${T} tokens is longer than the sliding window (${c.slidingWindow}); not supported`);
      }
      for (let t = 0; t < T; t++) pos[offsets[s] + t] = t;
    }
    const allIds: number[] = [];
    for (const seq of sequences) {
      for (const id of seq) {
        if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new RangeError(`token id ${id} is outside the vocabulary (0 … ${c.vocabSize - 1})`);
        allIds.push(id);
      }
    }
    // Only the rows of the tokens used are read (Llama-3's table is 128256 × d).
    const x = this.st.getRows(this.tensorName('embed_tokens.weight'), [c.vocabSize, d], allIds);
    const states: Float32Array[] = [x.slice()];
    const invFreq = ropeInvFreq(hd, c.ropeTheta, c.ropeScaling);
    const group = c.nHead / c.nKvHead;
    const h = new Float32Array(R * d);
    const qkv = new Float32Array(R * 3 * qw);
    const attn = new Float32Array(R * qw);
    // x·Wᵀ (+ bias) for W in HF's [out, in] layout.
    const proj = async (inp: Float32Array, k: number, w: Float32Array, n: number, bias: Float32Array | null): Promise<Float32Array> => {
      const y = (await backend.gemm(matrix(R, k, inp), matrix(n, k, w), { transB: true })).data;
      if (bias) for (let i = 0; i < R; i++) for (let j = 0; j < n; j++) y[i * n + j] += bias[j];
      return y;
    };
    const add = (dst: Float32Array, src: Float32Array): void => { for (let i = 0; i < dst.length; i++) dst[i] += src[i]; };
    for (let l = 0; l < c.nLayer; l++) {
      const b = this.block(l);
      rmsNorm(x, h, R, d, b.inNorm, c.rmsNormEps);
      const q = await proj(h, d, b.q, qw, b.qb);
      const k = await proj(h, d, b.k, kw, b.kb);
      const v = await proj(h, d, b.v, kw, b.vb);
      if (b.qNorm && b.kNorm) {
        rmsNorm(q, q, R * c.nHead, hd, b.qNorm, c.rmsNormEps);
        rmsNorm(k, k, R * c.nKvHead, hd, b.kNorm, c.rmsNormEps);
      }
      applyRope(q, R, qw, c.nHead, hd, pos, invFreq);
      applyRope(k, R, kw, c.nKvHead, hd, pos, invFreq);
      // [q | k | v] with each key/value head repeated for its group of query heads.
      for (let i = 0; i < R; i++) {
        const o = i * 3 * qw;
        qkv.set(q.subarray(i * qw, (i + 1) * qw), o);
        for (let hh = 0; hh < c.nHead; hh++) {
          const src = i * kw + Math.floor(hh / group) * hd;
          qkv.set(k.subarray(src, src + hd), o + qw + hh * hd);
          qkv.set(v.subarray(src, src + hd), o + 2 * qw + hh * hd);
        }
      }
      await backend.causalAttention(qkv, offsets, attn, qw, c.nHead, 1 / Math.sqrt(hd));
      add(x, await proj(attn, qw, b.o, d, b.ob));
      rmsNorm(x, h, R, d, b.postNorm, c.rmsNormEps);
      const g = await proj(h, d, b.gate, I, b.gateB);
      const u = await proj(h, d, b.up, I, b.upB);
      siluGate(g, u);
      add(x, await proj(g, I, b.down, d, b.downB));
      if (l < c.nLayer - 1) states.push(x.slice());
    }
    const last = new Float32Array(R * d);
    rmsNorm(x, last, R, d, this.tensor('norm.weight', [d]), c.rmsNormEps);
    states.push(last);
    return sequences.map((_, s) => states.map((st) => st.slice(offsets[s] * d, offsets[s + 1] * d)));
  }
}
