/**
 * BERT-style encoders (Hugging Face `BertModel`, `RobertaModel`, `XLMRobertaModel`): embeddings
 * (word + absolute position + token type 0) → LayerNorm, then post-LayerNorm blocks of
 * bidirectional self-attention and an erf-GELU MLP.
 *
 * Hidden states as transformers' `output_hidden_states=True`: the embedding output (after its
 * LayerNorm) and the output of every block; there is no final norm (the pooler is not a state).
 * Positions: BERT 0 … T − 1; RoBERTa / XLM-R count from pad_token_id + 1 over non-pad tokens
 * (a pad token gets position pad_token_id), as `create_position_ids_from_input_ids`.
 * Each sequence is its own attention context (no mask within it).
 */
import { join } from 'node:path';
import { InputError, inputError } from '../../data/errors.js';
import type { Backend } from '../../linalg/backend.js';
import { matrix } from '../../linalg/matrix.js';
import { geluErf } from './gpt-neox.js';
import { SafetensorsModel } from './safetensors.js';
import type { TensorSource } from './untrained.js';
import { readConfigJson } from './config.js';

export type BertModelType = 'bert' | 'roberta' | 'xlm-roberta';
export const BERT_MODEL_TYPES: readonly BertModelType[] = ['bert', 'roberta', 'xlm-roberta'];

export interface BertConfig {
  modelType: BertModelType;
  nLayer: number;
  hiddenSize: number;
  intermediateSize: number;
  nHead: number;
  vocabSize: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
  /** RoBERTa-style positions (from padTokenId + 1). */
  robertaPositions: boolean;
  padTokenId: number;
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

/** Parses a BERT / RoBERTa / XLM-R config.json object. */
export function parseBertConfig(raw: unknown, source: string): BertConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw inputError(source, 'config', 'expected a JSON object');
  const o = raw as Json;
  const mt = o.model_type;
  if (typeof mt !== 'string' || !(BERT_MODEL_TYPES as readonly string[]).includes(mt)) {
    throw inputError(source, 'model_type', `${JSON.stringify(mt)} is not a BERT-style encoder; expected one of ${BERT_MODEL_TYPES.join(', ')}`);
  }
  const act = o.hidden_act ?? 'gelu';
  if (act !== 'gelu') throw inputError(source, 'hidden_act', `${JSON.stringify(act)} is not supported; expected "gelu"`);
  const pet = o.position_embedding_type ?? 'absolute';
  if (pet !== 'absolute') throw inputError(source, 'position_embedding_type', `${JSON.stringify(pet)} is not supported; expected "absolute"`);
  if (o.is_decoder === true) throw inputError(source, 'is_decoder', 'true is not supported; expected an encoder');
  const hiddenSize = posInt(o, 'hidden_size', source);
  const nHead = posInt(o, 'num_attention_heads', source);
  if (hiddenSize % nHead !== 0) throw inputError(source, 'num_attention_heads', `${nHead} does not divide hidden_size ${hiddenSize}`);
  const eps = o.layer_norm_eps ?? 1e-12;
  if (typeof eps !== 'number' || !(eps >= 0)) throw inputError(source, 'layer_norm_eps', `expected a non-negative number, got ${JSON.stringify(eps)}`);
  const pad = o.pad_token_id ?? (mt === 'bert' ? 0 : 1);
  if (typeof pad !== 'number' || !Number.isInteger(pad) || pad < 0) throw inputError(source, 'pad_token_id', `expected a non-negative integer, got ${JSON.stringify(pad)}`);
  return {
    modelType: mt as BertModelType,
    nLayer: posInt(o, 'num_hidden_layers', source),
    hiddenSize,
    intermediateSize: posInt(o, 'intermediate_size', source),
    nHead,
    vocabSize: posInt(o, 'vocab_size', source),
    maxPositions: posInt(o, 'max_position_embeddings', source, 512),
    typeVocabSize: posInt(o, 'type_vocab_size', source, 2),
    layerNormEps: eps,
    robertaPositions: mt !== 'bert',
    padTokenId: pad,
  };
}

export function readBertConfig(dir: string): BertConfig {
  const { raw, path } = readConfigJson(dir);
  return parseBertConfig(raw, path);
}

/** Position ids of one sequence (see the module comment). */
export function bertPositions(ids: readonly number[], c: BertConfig): number[] {
  if (!c.robertaPositions) return ids.map((_, t) => t);
  let n = 0;
  return ids.map((id) => (id === c.padTokenId ? c.padTokenId : c.padTokenId + ++n));
}

/**
 * Bidirectional multi-head attention of sequences stacked row-wise (offsets as causalAttention):
 * qkv R × 3d ([q | k | v], heads contiguous), out R × d; softmax in float64.
 */
export function fullAttention(qkv: Float32Array, offsets: Int32Array, out: Float32Array, d: number, nHead: number, scale: number): void {
  const hd = d / nHead;
  const stride = 3 * d;
  let maxT = 0;
  for (let s = 0; s + 1 < offsets.length; s++) maxT = Math.max(maxT, offsets[s + 1] - offsets[s]);
  const p = new Float64Array(maxT);
  const acc = new Float64Array(hd);
  for (let s = 0; s + 1 < offsets.length; s++) {
    const r0 = offsets[s];
    const T = offsets[s + 1] - r0;
    for (let h = 0; h < nHead; h++) {
      for (let i = 0; i < T; i++) {
        const qo = (r0 + i) * stride + h * hd;
        let max = -Infinity;
        for (let j = 0; j < T; j++) {
          const ko = (r0 + j) * stride + d + h * hd;
          let dot = 0;
          for (let c = 0; c < hd; c++) dot += qkv[qo + c] * qkv[ko + c];
          p[j] = dot * scale;
          if (p[j] > max) max = p[j];
        }
        let sum = 0;
        for (let j = 0; j < T; j++) { p[j] = Math.exp(p[j] - max); sum += p[j]; }
        acc.fill(0);
        for (let j = 0; j < T; j++) {
          const vo = (r0 + j) * stride + 2 * d + h * hd;
          const w = p[j] / sum;
          for (let c = 0; c < hd; c++) acc[c] += w * qkv[vo + c];
        }
        const oo = (r0 + i) * d + h * hd;
        for (let c = 0; c < hd; c++) out[oo + c] = acc[c];
      }
    }
  }
}

/**
 * The same attention as `fullAttention` with the two products on the backend (per sequence and
 * head: S = scale·Q·Kᵀ, row softmax in float64, out = P·V; float32 GEMMs).
 */
export async function fullAttentionGemm(
  qkv: Float32Array, offsets: Int32Array, out: Float32Array, d: number, nHead: number, scale: number, backend: Backend,
  /** Adds a bias to head h's T × T scores before the softmax (T5's relative positions). */
  addBias?: (h: number, scores: Float32Array, T: number) => void,
): Promise<void> {
  const hd = d / nHead;
  const stride = 3 * d;
  for (let s = 0; s + 1 < offsets.length; s++) {
    const r0 = offsets[s];
    const T = offsets[s + 1] - r0;
    if (T === 0) continue;
    const q = new Float32Array(T * hd);
    const k = new Float32Array(T * hd);
    const v = new Float32Array(T * hd);
    for (let h = 0; h < nHead; h++) {
      for (let i = 0; i < T; i++) {
        const o = (r0 + i) * stride + h * hd;
        q.set(qkv.subarray(o, o + hd), i * hd);
        k.set(qkv.subarray(o + d, o + d + hd), i * hd);
        v.set(qkv.subarray(o + 2 * d, o + 2 * d + hd), i * hd);
      }
      const sc = (await backend.gemm(matrix(T, hd, q), matrix(T, hd, k), { transB: true, alpha: scale })).data;
      addBias?.(h, sc, T);
      for (let i = 0; i < T; i++) {
        let max = -Infinity;
        for (let j = 0; j < T; j++) if (sc[i * T + j] > max) max = sc[i * T + j];
        let sum = 0;
        for (let j = 0; j < T; j++) sum += Math.exp(sc[i * T + j] - max);
        for (let j = 0; j < T; j++) sc[i * T + j] = Math.exp(sc[i * T + j] - max) / sum;
      }
      const o = (await backend.gemm(matrix(T, T, sc), matrix(T, hd, v))).data;
      for (let i = 0; i < T; i++) out.set(o.subarray(i * hd, (i + 1) * hd), (r0 + i) * d + h * hd);
    }
  }
}

/** A BERT / RoBERTa / XLM-R checkpoint; weights read one block at a time. */
export class BertModel {
  readonly dir: string;
  readonly config: BertConfig;
  readonly st: TensorSource;

  /** `source`: where the weights come from (default: the folder's safetensors; untrained.ts for generated ones). */
  constructor(dir: string, source?: TensorSource) {
    this.dir = dir;
    this.config = readBertConfig(dir);
    this.st = source ?? SafetensorsModel.open(dir);
  }

  /** Stored name: bare (XxxModel) or under `bert.` / `roberta.` (task heads). */
  private tensorName(name: string): string {
    for (const p of ['', 'bert.', 'roberta.']) if (this.st.find(p + name)) return p + name;
    return name;
  }

  private tensor(name: string, shape: readonly number[]): Float32Array {
    return this.st.get(this.tensorName(name), shape);
  }

  /** result[s][l]: hidden state l of sequence s (T_s × d, row-major), as transformers. */
  async hiddenStates(sequences: readonly (readonly number[])[], backend: Backend): Promise<Float32Array[][]> {
    const c = this.config;
    const d = c.hiddenSize;
    const H = c.nHead;
    const I = c.intermediateSize;
    const offsets = new Int32Array(sequences.length + 1);
    sequences.forEach((s, i) => { offsets[i + 1] = offsets[i] + s.length; });
    const R = offsets[sequences.length];
    const ids: number[] = [];
    const pos: number[] = [];
    for (const seq of sequences) {
      const p = bertPositions(seq, c);
      seq.forEach((id, t) => {
        if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new RangeError(`token id ${id} is outside the vocabulary (0 … ${c.vocabSize - 1})`);
        if (p[t] >= c.maxPositions) throw new InputError(`${this.dir}: max_position_embeddings: a sequence of ${seq.length} tokens needs position ${p[t]}; the model has ${c.maxPositions}`);
        ids.push(id);
        pos.push(p[t]);
      });
    }
    const x = this.st.getRows(this.tensorName('embeddings.word_embeddings.weight'), [c.vocabSize, d], ids);
    const pe = this.st.getRows(this.tensorName('embeddings.position_embeddings.weight'), [c.maxPositions, d], pos);
    const te = this.tensor('embeddings.token_type_embeddings.weight', [c.typeVocabSize, d]);
    // HF's order: (word + token type) + position.
    for (let i = 0; i < R; i++) for (let j = 0; j < d; j++) x[i * d + j] = x[i * d + j] + te[j] + pe[i * d + j];
    await backend.layerNorm(x, x, R, d, this.tensor('embeddings.LayerNorm.weight', [d]), this.tensor('embeddings.LayerNorm.bias', [d]), c.layerNormEps);
    const states: Float32Array[] = [x.slice()];
    const qkv = new Float32Array(R * 3 * d);
    const attn = new Float32Array(R * d);
    const proj = async (inp: Float32Array, k: number, w: Float32Array, n: number, bias: Float32Array): Promise<Float32Array> => {
      const y = (await backend.gemm(matrix(R, k, inp), matrix(n, k, w), { transB: true })).data;
      for (let i = 0; i < R; i++) for (let j = 0; j < n; j++) y[i * n + j] += bias[j];
      return y;
    };
    for (let l = 0; l < c.nLayer; l++) {
      const t = (n: string, s: number[]): Float32Array => this.tensor(`encoder.layer.${l}.${n}`, s);
      const parts = ['query', 'key', 'value'];
      for (let pi = 0; pi < 3; pi++) {
        const y = await proj(x, d, t(`attention.self.${parts[pi]}.weight`, [d, d]), d, t(`attention.self.${parts[pi]}.bias`, [d]));
        for (let i = 0; i < R; i++) qkv.set(y.subarray(i * d, (i + 1) * d), i * 3 * d + pi * d);
      }
      await fullAttentionGemm(qkv, offsets, attn, d, H, 1 / Math.sqrt(d / H), backend);
      const a = await proj(attn, d, t('attention.output.dense.weight', [d, d]), d, t('attention.output.dense.bias', [d]));
      for (let i = 0; i < x.length; i++) a[i] += x[i];
      await backend.layerNorm(a, a, R, d, t('attention.output.LayerNorm.weight', [d]), t('attention.output.LayerNorm.bias', [d]), c.layerNormEps);
      const u = await proj(a, d, t('intermediate.dense.weight', [I, d]), I, t('intermediate.dense.bias', [I]));
      geluErf(u);
      const m = await proj(u, I, t('output.dense.weight', [d, I]), d, t('output.dense.bias', [d]));
      for (let i = 0; i < x.length; i++) x[i] = m[i] + a[i];
      await backend.layerNorm(x, x, R, d, t('output.LayerNorm.weight', [d]), t('output.LayerNorm.bias', [d]), c.layerNormEps);
      states.push(x.slice());
    }
    return sequences.map((_, s) => states.map((st) => st.slice(offsets[s] * d, offsets[s + 1] * d)));
  }
}
