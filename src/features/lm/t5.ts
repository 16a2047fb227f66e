/**
 * T5 encoders (Hugging Face `T5EncoderModel`, the encoder half of `model_type: t5` checkpoints):
 * pre-norm blocks of RMS layer norm → bidirectional attention with a learned relative position
 * bias (computed in block 0, shared by all blocks; scores not scaled) → residual, RMS layer norm →
 * ReLU MLP (`feed_forward_proj: relu`, T5) or gated GELU (`gated-gelu`, T5 v1.1 / Flan-T5) →
 * residual; a final RMS layer norm.
 *
 * Hidden states as transformers' `output_hidden_states=True` on the encoder: embeddings, blocks
 * 1 … L − 1, and last the final layer norm's output.
 */
import { inputError } from '../../data/errors.js';
import type { Backend } from '../../linalg/backend.js';
import { matrix } from '../../linalg/matrix.js';
import { fullAttentionGemm } from './bert.js';
import { rmsNorm } from './llama.js';
import { SafetensorsModel } from './safetensors.js';
import type { TensorSource } from './untrained.js';
import { readConfigJson } from './config.js';

export interface T5Config {
  nLayer: number;
  dModel: number;
  dKv: number;
  dFf: number;
  nHead: number;
  vocabSize: number;
  numBuckets: number;
  maxDistance: number;
  eps: number;
  /** 'relu': wo(relu(wi x)); 'gated-gelu': wo(gelu_tanh(wi_0 x) · wi_1 x). */
  ffn: 'relu' | 'gated-gelu';
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

export function parseT5Config(raw: unknown, source: string): T5Config {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw inputError(source, 'config', 'expected a JSON object');
  const o = raw as Json;
  if (o.model_type !== 't5') throw inputError(source, 'model_type', `${JSON.stringify(o.model_type)} is not "t5"`);
  const ff = o.feed_forward_proj ?? 'relu';
  if (ff !== 'relu' && ff !== 'gated-gelu') throw inputError(source, 'feed_forward_proj', `${JSON.stringify(ff)} is not supported; expected "relu" or "gated-gelu"`);
  const eps = o.layer_norm_epsilon ?? 1e-6;
  if (typeof eps !== 'number' || !(eps >= 0)) throw inputError(source, 'layer_norm_epsilon', `expected a non-negative number, got ${JSON.stringify(eps)}`);
  return {
    nLayer: posInt(o, 'num_layers', source),
    dModel: posInt(o, 'd_model', source),
    dKv: posInt(o, 'd_kv', source),
    dFf: posInt(o, 'd_ff', source),
    nHead: posInt(o, 'num_heads', source),
    vocabSize: posInt(o, 'vocab_size', source),
    numBuckets: posInt(o, 'relative_attention_num_buckets', source, 32),
    maxDistance: posInt(o, 'relative_attention_max_distance', source, 128),
    eps,
    ffn: ff,
  };
}

export function readT5Config(dir: string): T5Config {
  const { raw, path } = readConfigJson(dir);
  return parseT5Config(raw, path);
}

/**
 * T5's bidirectional relative position bucket of rel = key position − query position, with
 * transformers' float32 arithmetic for the logarithmic buckets.
 */
export function t5Bucket(rel: number, numBuckets: number, maxDistance: number): number {
  const half = Math.floor(numBuckets / 2);
  let bucket = rel > 0 ? half : 0;
  const n = Math.abs(rel);
  const maxExact = Math.floor(half / 2);
  if (n < maxExact) return bucket + n;
  const f = Math.fround;
  const large = maxExact + Math.trunc(f(f(f(Math.log(f(n / maxExact))) / f(Math.log(maxDistance / maxExact))) * (half - maxExact)));
  bucket += Math.min(large, half - 1);
  return bucket;
}

/** gelu_new in place: 0.5·v·(1 + tanh(√(2/π)·(v + 0.044715·v³))). */
function geluTanh(x: Float32Array): void {
  const c = Math.sqrt(2 / Math.PI);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    x[i] = 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v * v * v)));
  }
}

/** A T5 checkpoint's encoder; weights read one block at a time. */
export class T5EncoderModel {
  readonly dir: string;
  readonly config: T5Config;
  readonly st: TensorSource;

  /** `source`: where the weights come from (default: the folder's safetensors; untrained.ts for generated ones). */
  constructor(dir: string, source?: TensorSource) {
    this.dir = dir;
    this.config = readT5Config(dir);
    this.st = source ?? SafetensorsModel.open(dir);
  }

  private tensor(name: string, shape: readonly number[]): Float32Array {
    return this.st.get(name, shape);
  }

  /** result[s][l]: hidden state l of sequence s (T_s × d_model, row-major), as transformers. */
  async hiddenStates(sequences: readonly (readonly number[])[], backend: Backend): Promise<Float32Array[][]> {
    const c = this.config;
    const d = c.dModel;
    const H = c.nHead;
    const inner = H * c.dKv;
    const offsets = new Int32Array(sequences.length + 1);
    sequences.forEach((s, i) => { offsets[i + 1] = offsets[i] + s.length; });
    const R = offsets[sequences.length];
    const ids: number[] = [];
    for (const seq of sequences) for (const id of seq) {
      if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new RangeError(`token id ${id} is outside the vocabulary (0 … ${c.vocabSize - 1})`);
      ids.push(id);
    }
    const embName = this.st.find('encoder.embed_tokens.weight') ? 'encoder.embed_tokens.weight' : 'shared.weight';
    const x = this.st.getRows(embName, [c.vocabSize, d], ids);
    const states: Float32Array[] = [x.slice()];
    const relBias = this.tensor('encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight', [c.numBuckets, H]);
    const addBias = (h: number, scores: Float32Array, T: number): void => {
      for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) scores[i * T + j] += relBias[t5Bucket(j - i, c.numBuckets, c.maxDistance) * H + h];
    };
    const h = new Float32Array(R * d);
    const qkv = new Float32Array(R * 3 * inner);
    const attn = new Float32Array(R * inner);
    const proj = async (inp: Float32Array, k: number, w: Float32Array, n: number): Promise<Float32Array> =>
      (await backend.gemm(matrix(R, k, inp), matrix(n, k, w), { transB: true })).data;
    for (let l = 0; l < c.nLayer; l++) {
      const t = (n: string, s: number[]): Float32Array => this.tensor(`encoder.block.${l}.${n}`, s);
      rmsNorm(x, h, R, d, t('layer.0.layer_norm.weight', [d]), c.eps);
      const parts = ['q', 'k', 'v'];
      for (let pi = 0; pi < 3; pi++) {
        const y = await proj(h, d, t(`layer.0.SelfAttention.${parts[pi]}.weight`, [inner, d]), inner);
        for (let i = 0; i < R; i++) qkv.set(y.subarray(i * inner, (i + 1) * inner), i * 3 * inner + pi * inner);
      }
      await fullAttentionGemm(qkv, offsets, attn, inner, H, 1, backend, addBias);
      const a = await proj(attn, inner, t('layer.0.SelfAttention.o.weight', [d, inner]), d);
      for (let i = 0; i < x.length; i++) x[i] += a[i];
      rmsNorm(x, h, R, d, t('layer.1.layer_norm.weight', [d]), c.eps);
      let u: Float32Array;
      if (c.ffn === 'relu') {
        u = await proj(h, d, t('layer.1.DenseReluDense.wi.weight', [c.dFf, d]), c.dFf);
        for (let i = 0; i < u.length; i++) if (!(u[i] > 0)) u[i] = 0;
      } else {
        u = await proj(h, d, t('layer.1.DenseReluDense.wi_0.weight', [c.dFf, d]), c.dFf);
        geluTanh(u);
        const lin = await proj(h, d, t('layer.1.DenseReluDense.wi_1.weight', [c.dFf, d]), c.dFf);
        for (let i = 0; i < u.length; i++) u[i] *= lin[i];
      }
      const m = await proj(u, c.dFf, t('layer.1.DenseReluDense.wo.weight', [d, c.dFf]), d);
      for (let i = 0; i < x.length; i++) x[i] += m[i];
      if (l < c.nLayer - 1) states.push(x.slice());
    }
    const last = new Float32Array(R * d);
    rmsNorm(x, last, R, d, this.tensor('encoder.final_layer_norm.weight', [d]), c.eps);
    states.push(last);
    return sequences.map((_, s) => states.map((st) => st.slice(offsets[s] * d, offsets[s + 1] * d)));
  }
}
