/**
 * RWKV-4 (Hugging Face `RwkvModel` / `RwkvForCausalLM`, model_type "rwkv"): a recurrent decoder.
 * Each block: x += TimeMix(ln1(x)), x += ChannelMix(ln2(x)); block 0 first applies `pre_ln` to
 * the embeddings; a final `ln_out` LayerNorm (eps 1e-5, nn.LayerNorm's default, not
 * layer_norm_epsilon).
 *
 *  - token shift: s_t = h_{t−1} (0 at t = 0, per sequence); mixes m ⊙ h + (1 − m) ⊙ s;
 *  - TimeMix: k = W_k·mix_k, v = W_v·mix_v, r = σ(W_r·mix_r), out = W_o·(r ⊙ wkv) with the WKV
 *    recurrence of transformers' CPU path (rwkv_linear_attention_cpu, per channel, w = −exp(time_decay),
 *    u = time_first, stabilised by a running maximum):
 *      wkv_t = (e^{p−q}·a + e^{u+k_t−q}·v_t) / (e^{p−q}·b + e^{u+k_t−q}),  q = max(p, u + k_t)
 *      a ← e^{p+w−p'}·a + e^{k_t−p'}·v_t,  b ← e^{p+w−p'}·b + e^{k_t−p'},  p' = max(p + w, k_t)
 *    starting from a = b = 0, p = −1e38;
 *  - ChannelMix: r = σ(W_r·mix_r), out = r ⊙ W_v·relu(W_k·mix_k)².
 *
 * Eval mode's rescaling (what transformers' model.eval() does, `rescale_every` = R > 0, default 6):
 * block i's attention.output and feed_forward.value weights are divided by 2^⌊i/R⌋ and the hidden
 * state is halved after every R-th block; the hidden states below are those of eval mode.
 *
 * Hidden states as transformers' `output_hidden_states=True` (L blocks → L + 1 states): NOT the
 * embeddings, but the output of blocks 1 … L (after the halving), and last ln_out's output.
 */
import { inputError } from '../../data/errors.js';
import type { Backend } from '../../linalg/backend.js';
import { matrix } from '../../linalg/matrix.js';
import { SafetensorsModel } from './safetensors.js';
import type { TensorSource } from './untrained.js';
import { readConfigJson } from './config.js';

export interface RwkvConfig {
  nLayer: number;
  hiddenSize: number;
  /** Width of k, v, r of the time mix (`attention_hidden_size`, default hidden_size). */
  attentionSize: number;
  /** Channel-mix width (`intermediate_size`, default 4·hidden_size). */
  intermediateSize: number;
  vocabSize: number;
  layerNormEps: number;
  /** `rescale_every` (0: no rescaling). */
  rescaleEvery: number;
  /** `tie_word_embeddings` (RwkvConfig's default false). */
  tieWordEmbeddings: boolean;
}

type Json = Record<string, unknown>;

function int(o: Json, key: string, source: string, fallback: number | undefined, min: number): number {
  const v = o[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw inputError(source, key, 'missing; expected a positive integer');
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw inputError(source, key, `expected an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return v;
}

/** Parses an RWKV config.json object (RwkvConfig's defaults where a key is absent). */
export function parseRwkvConfig(raw: unknown, source: string): RwkvConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw inputError(source, 'config', 'expected a JSON object');
  const o = raw as Json;
  if (o.model_type !== 'rwkv') throw inputError(source, 'model_type', `${JSON.stringify(o.model_type)} is not "rwkv"`);
  const hiddenSize = int(o, 'hidden_size', source, 4096, 1);
  const eps = o.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== 'number' || !(eps >= 0)) throw inputError(source, 'layer_norm_epsilon', `expected a number ≥ 0, got ${JSON.stringify(eps)}`);
  const tie = o.tie_word_embeddings ?? false;
  if (typeof tie !== 'boolean') throw inputError(source, 'tie_word_embeddings', `expected true or false, got ${JSON.stringify(tie)}`);
  return {
    nLayer: int(o, 'num_hidden_layers', source, 32, 1),
    hiddenSize,
    attentionSize: int(o, 'attention_hidden_size', source, hiddenSize, 1),
    intermediateSize: int(o, 'intermediate_size', source, 4 * hiddenSize, 1),
    vocabSize: int(o, 'vocab_size', source, 50277, 1),
    layerNormEps: eps,
    rescaleEvery: int(o, 'rescale_every', source, 6, 0),
    tieWordEmbeddings: tie,
  };
}

/** Reads and parses `<dir>/config.json`. */
export function readRwkvConfig(dir: string): RwkvConfig {
  const { raw, path } = readConfigJson(dir);
  return parseRwkvConfig(raw, path);
}

/**
 * Token shift and mix: out[i] = m ⊙ h[i] + (1 − m) ⊙ h[i − 1] (h[i − 1] = 0 at the first token
 * of each sequence), h rows × d; `first[i]` marks sequence starts. Float32 as torch.
 */
export function shiftMix(h: Float32Array, rows: number, d: number, m: Float32Array, first: Uint8Array): Float32Array {
  const out = new Float32Array(rows * d);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < d; j++) {
      const prev = first[i] ? 0 : h[(i - 1) * d + j];
      out[i * d + j] = Math.fround(h[i * d + j] * m[j]) + Math.fround(prev * Math.fround(1 - m[j]));
    }
  }
  return out;
}

/**
 * The WKV recurrence (module doc) over each sequence [offsets[s], offsets[s+1]) of k, v (rows ×
 * n, row-major), per channel, with decay w = −exp(timeDecay) and bonus u = timeFirst; float64
 * internally, float32 out.
 */
export function wkv(k: Float32Array, v: Float32Array, offsets: Int32Array, n: number, timeDecay: Float32Array, timeFirst: Float32Array): Float32Array {
  const out = new Float32Array(k.length);
  const w = Float64Array.from(timeDecay, (x) => -Math.exp(x));
  for (let s = 0; s + 1 < offsets.length; s++) {
    for (let c = 0; c < n; c++) {
      const u = timeFirst[c];
      let a = 0;
      let b = 0;
      let p = -1e38;
      for (let t = offsets[s]; t < offsets[s + 1]; t++) {
        const kt = k[t * n + c];
        const vt = v[t * n + c];
        const q = Math.max(p, u + kt);
        const e1 = Math.exp(p - q);
        const e2 = Math.exp(u + kt - q);
        out[t * n + c] = (e1 * a + e2 * vt) / (e1 * b + e2);
        const p2 = Math.max(p + w[c], kt);
        const f1 = Math.exp(p + w[c] - p2);
        const f2 = Math.exp(kt - p2);
        a = f1 * a + f2 * vt;
        b = f1 * b + f2;
        p = p2;
      }
    }
  }
  return out;
}

function sigmoidInPlace(x: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] = 1 / (1 + Math.exp(-x[i]));
}

/** An RWKV-4 checkpoint; weights read one block at a time. */
export class RwkvModel {
  readonly dir: string;
  readonly config: RwkvConfig;
  readonly st: TensorSource;

  /** `source`: where the weights come from (default: the folder's safetensors; untrained.ts for generated ones). */
  constructor(dir: string, source?: TensorSource) {
    this.dir = dir;
    this.config = readRwkvConfig(dir);
    this.st = source ?? SafetensorsModel.open(dir);
  }

  /** Stored name: bare (RwkvModel) or under `rwkv.` (RwkvForCausalLM). */
  tensorName(name: string): string {
    return this.st.find(name) ? name : this.st.find(`rwkv.${name}`) ? `rwkv.${name}` : name;
  }

  private tensor(name: string, shape: readonly number[]): Float32Array {
    return this.st.get(this.tensorName(name), shape);
  }

  /** result[s][l]: hidden state l of sequence s (T_s × d, row-major), as transformers in eval mode. */
  async hiddenStates(sequences: readonly (readonly number[])[], backend: Backend): Promise<Float32Array[][]> {
    const c = this.config;
    const d = c.hiddenSize;
    const A = c.attentionSize;
    const I = c.intermediateSize;
    const offsets = new Int32Array(sequences.length + 1);
    sequences.forEach((s, i) => { offsets[i + 1] = offsets[i] + s.length; });
    const R = offsets[sequences.length];
    const first = new Uint8Array(R);
    const ids: number[] = [];
    sequences.forEach((seq, s) => seq.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new RangeError(`token id ${id} is outside the vocabulary (0 … ${c.vocabSize - 1})`);
      if (t === 0) first[offsets[s]] = 1;
      ids.push(id);
    }));
    const x = this.st.getRows(this.tensorName('embeddings.weight'), [c.vocabSize, d], ids);
    const states: Float32Array[] = [];
    const h = new Float32Array(R * d);
    const proj = async (inp: Float32Array, k: number, w: Float32Array, n: number): Promise<Float32Array> =>
      (await backend.gemm(matrix(R, k, inp), matrix(n, k, w), { transB: true })).data;
    for (let l = 0; l < c.nLayer; l++) {
      const t = (n: string, s: number[]): Float32Array => this.tensor(`blocks.${l}.${n}`, s);
      if (l === 0) {
        await backend.layerNorm(x, h, R, d, t('pre_ln.weight', [d]), t('pre_ln.bias', [d]), c.layerNormEps);
        x.set(h);
      }
      // Eval mode divides these two weights by 2^⌊l/R⌋; scaling the product by a power of two rounds alike.
      const scale = c.rescaleEvery > 0 ? 2 ** -Math.floor(l / c.rescaleEvery) : 1;
      // Time mix.
      await backend.layerNorm(x, h, R, d, t('ln1.weight', [d]), t('ln1.bias', [d]), c.layerNormEps);
      const k = await proj(shiftMix(h, R, d, t('attention.time_mix_key', [1, 1, d]), first), d, t('attention.key.weight', [A, d]), A);
      const v = await proj(shiftMix(h, R, d, t('attention.time_mix_value', [1, 1, d]), first), d, t('attention.value.weight', [A, d]), A);
      const r = await proj(shiftMix(h, R, d, t('attention.time_mix_receptance', [1, 1, d]), first), d, t('attention.receptance.weight', [A, d]), A);
      sigmoidInPlace(r);
      const y = wkv(k, v, offsets, A, t('attention.time_decay', [A]), t('attention.time_first', [A]));
      for (let i = 0; i < y.length; i++) y[i] *= r[i];
      const att = await proj(y, A, t('attention.output.weight', [d, A]), d);
      for (let i = 0; i < x.length; i++) x[i] += att[i] * scale;
      // Channel mix.
      await backend.layerNorm(x, h, R, d, t('ln2.weight', [d]), t('ln2.bias', [d]), c.layerNormEps);
      const fk = await proj(shiftMix(h, R, d, t('feed_forward.time_mix_key', [1, 1, d]), first), d, t('feed_forward.key.weight', [I, d]), I);
      for (let i = 0; i < fk.length; i++) { const z = fk[i] > 0 ? fk[i] : 0; fk[i] = z * z; }
      const fr = await proj(shiftMix(h, R, d, t('feed_forward.time_mix_receptance', [1, 1, d]), first), d, t('feed_forward.receptance.weight', [d, d]), d);
      sigmoidInPlace(fr);
      const fv = await proj(fk, I, t('feed_forward.value.weight', [d, I]), d);
      for (let i = 0; i < x.length; i++) x[i] += fr[i] * (fv[i] * scale);
      if (c.rescaleEvery > 0 && (l + 1) % c.rescaleEvery === 0) for (let i = 0; i < x.length; i++) x[i] /= 2;
      states.push(x.slice());
    }
    const last = new Float32Array(R * d);
    await backend.layerNorm(x, last, R, d, this.tensor('ln_out.weight', [d]), this.tensor('ln_out.bias', [d]), 1e-5);
    states.push(last);
    return sequences.map((_, s) => states.map((st) => st.slice(offsets[s] * d, offsets[s + 1] * d)));
  }
}
