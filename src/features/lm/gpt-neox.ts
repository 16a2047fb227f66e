/**
 * GPT-NeoX decoders (Pythia; Hugging Face `GPTNeoXModel`): pre-LayerNorm blocks with a fused QKV
 * projection (per head [q | k | v]), rotary embeddings on the first `rotary_pct` part of each head,
 * exact (erf) GELU MLP, and either the parallel residual x + attn(ln₁(x)) + mlp(ln₂(x)) (Pythia's
 * default) or the sequential one; a final LayerNorm.
 *
 * Hidden states as transformers' `output_hidden_states=True`: embeddings, the output of blocks
 * 1 … L − 1, and last the final LayerNorm's output.
 *
 * config.json in both layouts: transformers 4 (`rotary_pct`, `rotary_emb_base`) and 5
 * (`rope_parameters` {rope_theta, partial_rotary_factor}).
 */
import { inputError } from '../../data/errors.js';
import type { Backend } from '../../linalg/backend.js';
import { matrix } from '../../linalg/matrix.js';
import { applyRope, ropeInvFreq } from './llama.js';
import { SafetensorsModel } from './safetensors.js';
import type { TensorSource } from './untrained.js';
import { readConfigJson } from './config.js';

export interface GptNeoxConfig {
  nLayer: number;
  hiddenSize: number;
  intermediateSize: number;
  nHead: number;
  vocabSize: number;
  layerNormEps: number;
  /** Rotated columns per head: int(headDim · rotary_pct), even. */
  rotaryDims: number;
  ropeTheta: number;
  parallelResidual: boolean;
  /** Bias on the QKV and output projections (`attention_bias`, default true). */
  attentionBias: boolean;
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

function num(o: Json, key: string, source: string, fallback: number, min: number, max = Infinity): number {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw inputError(source, key, `expected a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

/** Parses a GPT-NeoX config.json object. */
export function parseGptNeoxConfig(raw: unknown, source: string): GptNeoxConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw inputError(source, 'config', 'expected a JSON object');
  const o = raw as Json;
  if (o.model_type !== 'gpt_neox') throw inputError(source, 'model_type', `${JSON.stringify(o.model_type)} is not "gpt_neox"`);
  const act = o.hidden_act ?? 'gelu';
  if (act !== 'gelu') throw inputError(source, 'hidden_act', `${JSON.stringify(act)} is not supported; expected "gelu"`);
  const hiddenSize = posInt(o, 'hidden_size', source);
  const nHead = posInt(o, 'num_attention_heads', source);
  if (hiddenSize % nHead !== 0) throw inputError(source, 'num_attention_heads', `${nHead} does not divide hidden_size ${hiddenSize}`);
  const rp = (o.rope_parameters !== null && typeof o.rope_parameters === 'object' ? o.rope_parameters : {}) as Json;
  const rpSource = `${source}: rope_parameters`;
  if (rp.rope_type !== undefined && rp.rope_type !== 'default') throw inputError(rpSource, 'rope_type', `${JSON.stringify(rp.rope_type)} is not supported; expected default`);
  const pct = rp.partial_rotary_factor !== undefined ? num(rp, 'partial_rotary_factor', rpSource, 0.25, 0, 1) : num(o, 'rotary_pct', source, 0.25, 0, 1);
  const theta = rp.rope_theta !== undefined ? num(rp, 'rope_theta', rpSource, 10000, 1e-9) : num(o, 'rotary_emb_base', source, 10000, 1e-9);
  const hd = hiddenSize / nHead;
  const rotaryDims = Math.floor(hd * pct);
  if (rotaryDims % 2 !== 0) throw inputError(source, 'rotary_pct', `gives ${rotaryDims} rotary dimensions per head; expected an even number`);
  const bool = (key: string, fallback: boolean): boolean => {
    const v = o[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw inputError(source, key, `expected true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  return {
    nLayer: posInt(o, 'num_hidden_layers', source),
    hiddenSize,
    intermediateSize: posInt(o, 'intermediate_size', source),
    nHead,
    vocabSize: posInt(o, 'vocab_size', source),
    layerNormEps: num(o, 'layer_norm_eps', source, 1e-5, 0),
    rotaryDims,
    ropeTheta: theta,
    parallelResidual: bool('use_parallel_residual', true),
    attentionBias: bool('attention_bias', true),
  };
}

/** Reads and parses `<dir>/config.json`. */
export function readGptNeoxConfig(dir: string): GptNeoxConfig {
  const { raw, path } = readConfigJson(dir);
  return parseGptNeoxConfig(raw, path);
}

/**
 * erf(x) to ~1e-15 relative: Taylor series for |x| < 2.5, else 1 − erfc by Lentz's continued
 * fraction (float64).
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    const v = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -v : v;
  }
  if (ax > 6) return x < 0 ? -1 : 1;
  // erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))), Lentz's method.
  const tiny = 1e-300;
  let f = ax;
  let c = ax;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const a = n / 2;
    d = ax + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = ax + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

/** Exact GELU in place: v·Φ(v) = v/2·(1 + erf(v/√2)) (transformers' "gelu"). */
export function geluErf(x: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] = 0.5 * x[i] * (1 + erf(x[i] * Math.SQRT1_2));
}

/** A GPT-NeoX checkpoint; weights read one block at a time. */
export class GptNeoxModel {
  readonly dir: string;
  readonly config: GptNeoxConfig;
  readonly st: TensorSource;

  /** `source`: where the weights come from (default: the folder's safetensors; untrained.ts for generated ones). */
  constructor(dir: string, source?: TensorSource) {
    this.dir = dir;
    this.config = readGptNeoxConfig(dir);
    this.st = source ?? SafetensorsModel.open(dir);
  }

  /** Stored name: bare (GPTNeoXModel) or under `gpt_neox.` (GPTNeoXForCausalLM). */
  private tensorName(name: string): string {
    return this.st.find(name) ? name : this.st.find(`gpt_neox.${name}`) ? `gpt_neox.${name}` : name;
  }

  private tensor(name: string, shape: readonly number[]): Float32Array {
    return this.st.get(this.tensorName(name), shape);
  }

  /** result[s][l]: hidden state l of sequence s (T_s × d, row-major), as transformers. */
  async hiddenStates(sequences: readonly (readonly number[])[], backend: Backend): Promise<Float32Array[][]> {
    const c = this.config;
    const d = c.hiddenSize;
    const H = c.nHead;
    const hd = d / H;
    const I = c.intermediateSize;
    const offsets = new Int32Array(sequences.length + 1);
    sequences.forEach((s, i) => { offsets[i + 1] = offsets[i] + s.length; });
    const R = offsets[sequences.length];
    const pos = new Int32Array(R);
    const ids: number[] = [];
    sequences.forEach((seq, s) => seq.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new RangeError(`token id ${id} is outside the vocabulary (0 … ${c.vocabSize - 1})`);
      pos[offsets[s] + t] = t;
      ids.push(id);
    }));
    const x = this.st.getRows(this.tensorName('embed_in.weight'), [c.vocabSize, d], ids);
    const states: Float32Array[] = [x.slice()];
    const invFreq = ropeInvFreq(c.rotaryDims, c.ropeTheta, { type: 'default' });
    const h = new Float32Array(R * d);
    const qkv = new Float32Array(R * 3 * d);
    const attn = new Float32Array(R * d);
    const proj = async (inp: Float32Array, k: number, w: Float32Array, n: number, bias: Float32Array | null): Promise<Float32Array> => {
      const y = (await backend.gemm(matrix(R, k, inp), matrix(n, k, w), { transB: true })).data;
      if (bias) for (let i = 0; i < R; i++) for (let j = 0; j < n; j++) y[i * n + j] += bias[j];
      return y;
    };
    for (let l = 0; l < c.nLayer; l++) {
      const p = `layers.${l}.`;
      const t = (n: string, s: number[]): Float32Array => this.tensor(p + n, s);
      await backend.layerNorm(x, h, R, d, t('input_layernorm.weight', [d]), t('input_layernorm.bias', [d]), c.layerNormEps);
      const fused = await proj(h, d, t('attention.query_key_value.weight', [3 * d, d]), 3 * d, c.attentionBias ? t('attention.query_key_value.bias', [3 * d]) : null);
      // Per head [q | k | v] (HF views the output as T × H × 3hd) → [q (all heads) | k | v].
      for (let i = 0; i < R; i++) {
        for (let hh = 0; hh < H; hh++) {
          const src = i * 3 * d + hh * 3 * hd;
          const dst = i * 3 * d + hh * hd;
          qkv.set(fused.subarray(src, src + hd), dst);
          qkv.set(fused.subarray(src + hd, src + 2 * hd), dst + d);
          qkv.set(fused.subarray(src + 2 * hd, src + 3 * hd), dst + 2 * d);
        }
      }
      if (c.rotaryDims > 0) {
        applyRope(qkv, R, 3 * d, H, hd, pos, invFreq);
        applyRope(qkv.subarray(d), R, 3 * d, H, hd, pos, invFreq);
      }
      await backend.causalAttention(qkv, offsets, attn, d, H, 1 / Math.sqrt(hd));
      const a = await proj(attn, d, t('attention.dense.weight', [d, d]), d, c.attentionBias ? t('attention.dense.bias', [d]) : null);
      const lnW = t('post_attention_layernorm.weight', [d]);
      const lnB = t('post_attention_layernorm.bias', [d]);
      if (c.parallelResidual) {
        await backend.layerNorm(x, h, R, d, lnW, lnB, c.layerNormEps);
      } else {
        for (let i = 0; i < x.length; i++) x[i] += a[i];
        await backend.layerNorm(x, h, R, d, lnW, lnB, c.layerNormEps);
      }
      const u = await proj(h, d, t('mlp.dense_h_to_4h.weight', [I, d]), I, t('mlp.dense_h_to_4h.bias', [I]));
      geluErf(u);
      const m = await proj(u, I, t('mlp.dense_4h_to_h.weight', [d, I]), d, t('mlp.dense_4h_to_h.bias', [d]));
      // HF's order: mlp + attn + x (parallel), mlp + (attn + x) (sequential).
      if (c.parallelResidual) for (let i = 0; i < x.length; i++) x[i] = m[i] + a[i] + x[i];
      else for (let i = 0; i < x.length; i++) x[i] = m[i] + x[i];
      if (l < c.nLayer - 1) states.push(x.slice());
    }
    const last = new Float32Array(R * d);
    await backend.layerNorm(x, last, R, d, this.tensor('final_layer_norm.weight', [d]), this.tensor('final_layer_norm.bias', [d]), c.layerNormEps);
    states.push(last);
    return sequences.map((_, s) => states.map((st) => st.slice(offsets[s] * d, offsets[s + 1] * d)));
  }
}
