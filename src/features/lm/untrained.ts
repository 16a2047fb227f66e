/**
 * Untrained (randomly initialised) weights of any supported architecture, from a Hugging Face
 * folder's config.json, with the distributions of transformers' `_init_weights` (read in
 * transformers 5.18's modeling_utils.py and modeling_*.py; METHODS §3.6 "Untrained"):
 *
 *  - llama, mistral, qwen2, qwen3, gpt_neox, bert, roberta, xlm-roberta (PreTrainedModel's rule):
 *    every linear weight and embedding ~ N(0, r), r = `initializer_range` (default 0.02); every
 *    bias 0; LayerNorm / RMSNorm weights 1 (Qwen3's q_norm and k_norm too), LayerNorm biases 0;
 *    an embedding's `padding_idx` row 0: the word embeddings' row `pad_token_id` (Llama family and
 *    BERT family, when the config sets one) and RoBERTa / XLM-R's position embeddings' row
 *    `pad_token_id`;
 *  - t5 (T5PreTrainedModel, f = `initializer_factor`, default 1): shared embeddings ~ N(0, f);
 *    attention q ~ N(0, f·(d_model·d_kv)^−½), k and v ~ N(0, f·d_model^−½), o ~ N(0, f·(n_heads·d_kv)^−½),
 *    the relative attention bias ~ N(0, f·d_model^−½); MLP wi, wi_0, wi_1 ~ N(0, f·d_model^−½),
 *    wo ~ N(0, f·d_ff^−½); layer norm weights f;
 *  - rwkv (RwkvPreTrainedModel): every linear weight orthogonal (torch.nn.init.orthogonal_) with
 *    gain √(out/in) when out > in, else 1 (× 0.5 for the vocab × hidden head); the embeddings
 *    orthogonal with gain 1e-4·√max(vocab, hidden); LayerNorms 1/0; per block i of L and channel
 *    j of n (attention width A): time_decay_j = −5 + 8·(j/(A−1))^(0.7 + 1.3·i/(L−1)),
 *    time_first = 1 (transformers writes ones_like(…)), time_mix_key = (j/n)^(1 − i/L),
 *    time_mix_value = (j/n)^(1 − i/L) + 0.3·i/(L−1), time_mix_receptance = (j/n)^(0.5·(1 − i/L))
 *    (feed_forward's key and receptance mixes: (j/n)^(1 − i/L)). An orthogonal tensor is built
 *    whole (the QR of a seeded standard normal matrix, as torch: max(r, c) × min(r, c), R's
 *    diagonal made positive), so an RWKV embedding table costs one QR of vocab × hidden;
 *  - gpt2 folders use init.ts (GPT-2's scaled c_proj rule) with the folder's config.
 *
 * The random stream (reproducible, independent of the order in which tensors are read): row k of
 * the tensor named `name` (as the forward pass asks for it, e.g. `layers.0.mlp.up_proj.weight`)
 * is `std · np.random.RandomState([seed, fnv1a32(name), k]).standard_normal(cols)` rounded to
 * float32 (a 1-D tensor is one row), so an embedding table's rows are made only for the tokens
 * that occur. As for GPT-2, these are not any published model's weights; only the distributions
 * match transformers' (torch's generator cannot be reproduced here).
 */
import { inputError } from '../../data/errors.js';
import { fillNormal } from '../../linalg/nn.js';
import { parseRwkvConfig } from './rwkv.js';
import { readConfigJson } from './config.js';

/** What the forward passes read weights from: a safetensors checkpoint or generated weights. */
export interface TensorSource {
  /** The weight files (none for generated weights). */
  readonly files: readonly string[];
  /** Whether the tensor exists (truthy) under this exact name. */
  find(name: string): unknown;
  /** The whole tensor as float32, of this shape. */
  get(name: string, shape: readonly number[]): Float32Array;
  /** Rows `rows` of a 2-D tensor, stacked (rows.length × shape[1]). */
  getRows(name: string, shape: readonly [number, number], rows: readonly number[]): Float32Array;
}

/** How one tensor is initialised. */
export type InitRule =
  | { kind: 'normal'; std: number; /** Rows set to 0 (an embedding's padding_idx). */ zeroRows?: readonly number[] }
  | { kind: 'const'; value: number }
  /** Exact values, one per element (deterministic, e.g. RWKV's time parameters). */
  | { kind: 'values'; values: Float32Array }
  /** torch.nn.init.orthogonal_(gain): orthonormal rows or columns (whichever are fewer) times gain. */
  | { kind: 'orthogonal'; gain: number };

/**
 * A rows × cols matrix with orthonormal columns (rows ≥ cols) or rows (rows < cols), times gain,
 * as torch.nn.init.orthogonal_: Q of the QR of a standard normal max × min matrix (row k of the
 * normal matrix from fillNormal(key + [k])), with R's diagonal positive; Gram–Schmidt applied twice
 * in float64.
 */
export function orthogonalMatrix(rows: number, cols: number, gain: number, key: readonly number[]): Float32Array {
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  // Columns of the m × n matrix, each of length m (column c = normal row c of an n × m draw... kept as rows of A^T).
  const a = new Float32Array(m * n);
  for (let r = 0; r < m; r++) fillNormal(a, r * n, n, [...key, r], 1);
  const q: Float64Array[] = [];
  for (let c = 0; c < n; c++) {
    const v = new Float64Array(m);
    for (let r = 0; r < m; r++) v[r] = a[r * n + c];
    for (let pass = 0; pass < 2; pass++) {
      for (const u of q) {
        let dot = 0;
        for (let r = 0; r < m; r++) dot += u[r] * v[r];
        for (let r = 0; r < m; r++) v[r] -= dot * u[r];
      }
    }
    let norm = 0;
    for (let r = 0; r < m; r++) norm += v[r] * v[r];
    norm = Math.sqrt(norm);
    for (let r = 0; r < m; r++) v[r] /= norm;
    q.push(v);
  }
  const out = new Float32Array(rows * cols);
  for (let c = 0; c < n; c++) {
    for (let r = 0; r < m; r++) {
      if (rows >= cols) out[r * cols + c] = gain * q[c][r];
      else out[c * cols + r] = gain * q[c][r];
    }
  }
  return out;
}

/** FNV-1a 32-bit hash of a string's UTF-16 code units (the tensor number of a name). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Generated weights: each tensor from its rule (null: not part of the model), rows made on demand. */
export class UntrainedTensors implements TensorSource {
  readonly files: readonly string[] = [];
  readonly seed: number;
  private readonly rule: (name: string) => InitRule | null;
  private readonly source: string;

  constructor(rule: (name: string) => InitRule | null, seed: number, source: string) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`untrained weights: seed must be an integer in [0, 2^32 - 1], got ${seed}`);
    this.rule = rule;
    this.seed = seed;
    this.source = source;
  }

  find(name: string): InitRule | null {
    return this.rule(name);
  }

  private ruleOf(name: string): InitRule {
    const r = this.rule(name);
    if (r === null) throw inputError(this.source, name, 'is not a weight of this architecture (untrained initialisation)');
    return r;
  }

  /** Row `row` (cols values) of tensor `name` into out at offset. */
  private readonly whole = new Map<string, Float32Array>();

  /** A tensor made whole (orthogonal), kept while this source lives. */
  private wholeTensor(name: string, gain: number, rows: number, cols: number): Float32Array {
    const k = `${name}\0${rows}x${cols}`;
    let t = this.whole.get(k);
    if (!t) {
      t = orthogonalMatrix(rows, cols, gain, [this.seed, fnv1a32(name)]);
      this.whole.set(k, t);
    }
    return t;
  }

  private fillRow(rule: InitRule, name: string, row: number, cols: number, out: Float32Array, offset: number, rows = 1): void {
    if (rule.kind === 'const') { out.fill(rule.value, offset, offset + cols); return; }
    if (rule.kind === 'values') {
      if (rule.values.length !== rows * cols) throw new RangeError(`${name}: ${rule.values.length} initial values for ${rows} × ${cols}`);
      out.set(rule.values.subarray(row * cols, (row + 1) * cols), offset);
      return;
    }
    if (rule.kind === 'orthogonal') { out.set(this.wholeTensor(name, rule.gain, rows, cols).subarray(row * cols, (row + 1) * cols), offset); return; }
    if (rule.zeroRows?.includes(row)) { out.fill(0, offset, offset + cols); return; }
    fillNormal(out, offset, cols, [this.seed, fnv1a32(name), row], rule.std);
  }

  get(name: string, shape: readonly number[]): Float32Array {
    const rule = this.ruleOf(name);
    const cols = shape.length === 0 ? 1 : shape[shape.length - 1];
    const rows = shape.length <= 1 ? 1 : shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) this.fillRow(rule, name, r, cols, out, r * cols, rows);
    return out;
  }

  getRows(name: string, shape: readonly [number, number], rows: readonly number[]): Float32Array {
    const rule = this.ruleOf(name);
    const cols = shape[1];
    const out = new Float32Array(rows.length * cols);
    rows.forEach((r, i) => {
      if (!Number.isInteger(r) || r < 0 || r >= shape[0]) throw new RangeError(`${name}: row ${r} is outside 0 … ${shape[0] - 1}`);
      this.fillRow(rule, name, r, cols, out, i * cols, shape[0]);
    });
    return out;
  }
}

type Json = Record<string, unknown>;

function readConfig(dir: string): { raw: Json; path: string } {
  const { raw, path } = readConfigJson(dir);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw inputError(path, 'config', 'expected a JSON object');
  return { raw: raw as Json, path };
}

function positive(raw: Json, key: string, path: string, fallback: number): number {
  const v = raw[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw inputError(path, key, `expected a positive number, got ${JSON.stringify(v)}`);
  return v;
}

/** The padding_idx row: config.json's pad_token_id (absent: BertConfig's default 0, RobertaConfig's 1, none for the Llama family). */
function padRow(raw: Json, modelType: string): number[] {
  const fallback = modelType === 'bert' ? 0 : modelType === 'roberta' || modelType === 'xlm-roberta' ? 1 : null;
  const p = raw.pad_token_id === undefined ? fallback : raw.pad_token_id;
  return typeof p === 'number' && Number.isInteger(p) && p >= 0 ? [p] : [];
}

const isBias = (name: string): boolean => name.endsWith('.bias');
const isNorm = (name: string): boolean => /(^|\.)[^.]*(norm|LayerNorm)[^.]*\.weight$/i.test(name);

/**
 * The init rule of each tensor of a folder's architecture (names as the forward passes ask for
 * them), per `model_type`; null for names that are not weights of that architecture.
 */
export function initRules(dir: string, modelType: string): (name: string) => InitRule | null {
  const { raw, path } = readConfig(dir);
  if (modelType === 't5') {
    const f = positive(raw, 'initializer_factor', path, 1);
    const d = positive(raw, 'd_model', path, 512);
    const dkv = positive(raw, 'd_kv', path, 64);
    const dff = positive(raw, 'd_ff', path, 2048);
    const H = positive(raw, 'num_heads', path, 8);
    return (name) => {
      if (name === 'shared.weight' || name === 'encoder.embed_tokens.weight') return { kind: 'normal', std: f };
      if (!name.startsWith('encoder.')) return null;
      if (name.endsWith('layer_norm.weight')) return { kind: 'const', value: f };
      if (name.endsWith('SelfAttention.q.weight')) return { kind: 'normal', std: f * (d * dkv) ** -0.5 };
      if (name.endsWith('SelfAttention.k.weight') || name.endsWith('SelfAttention.v.weight')) return { kind: 'normal', std: f * d ** -0.5 };
      if (name.endsWith('SelfAttention.o.weight')) return { kind: 'normal', std: f * (H * dkv) ** -0.5 };
      if (name.endsWith('relative_attention_bias.weight')) return { kind: 'normal', std: f * d ** -0.5 };
      if (/DenseReluDense\.wi(_0|_1)?\.weight$/.test(name)) return { kind: 'normal', std: f * d ** -0.5 };
      if (name.endsWith('DenseReluDense.wo.weight')) return { kind: 'normal', std: f * dff ** -0.5 };
      return null;
    };
  }
  if (modelType === 'rwkv') return rwkvRules(raw, path);
  const r = positive(raw, 'initializer_range', path, 0.02);
  const pad = padRow(raw, modelType);
  const roberta = modelType === 'roberta' || modelType === 'xlm-roberta';
  return (name) => {
    if (!name.endsWith('.weight') && !isBias(name)) return null;
    if (isBias(name)) return { kind: 'const', value: 0 };
    if (isNorm(name)) return { kind: 'const', value: 1 };
    // Word embeddings with padding_idx = pad_token_id (Llama family, BERT family); RoBERTa's positions too.
    if (name === 'embed_tokens.weight' || name === 'embeddings.word_embeddings.weight') return { kind: 'normal', std: r, zeroRows: pad };
    if (name === 'embeddings.position_embeddings.weight' && roberta) return { kind: 'normal', std: r, zeroRows: pad };
    return { kind: 'normal', std: r };
  };
}

/** RWKV's _init_weights (module doc), names as src/features/lm/rwkv.ts reads them (bare or under `rwkv.`). */
function rwkvRules(raw: Json, path: string): (name: string) => InitRule | null {
  const c = parseRwkvConfig(raw, path);
  const d = c.hiddenSize;
  const A = c.attentionSize;
  const L = c.nLayer;
  const pow = (n: number, e: number, add = 0): Float32Array => Float32Array.from({ length: n }, (_, j) => Math.fround(j / n) ** e + add);
  return (full) => {
    const name = full.startsWith('rwkv.') ? full.slice(5) : full;
    if (name === 'embeddings.weight') return { kind: 'orthogonal', gain: 1e-4 * Math.sqrt(Math.max(c.vocabSize, d)) };
    if (full === 'head.weight') return { kind: 'orthogonal', gain: (c.vocabSize > d ? Math.sqrt(c.vocabSize / d) : 1) * 0.5 };
    if (/^(ln_out|blocks\.\d+\.(ln1|ln2|pre_ln))\.weight$/.test(name)) return { kind: 'const', value: 1 };
    if (/^(ln_out|blocks\.\d+\.(ln1|ln2|pre_ln))\.bias$/.test(name)) return { kind: 'const', value: 0 };
    const m = /^blocks\.(\d+)\.(attention|feed_forward)\.(.+)$/.exec(name);
    if (!m) return null;
    const i = Number(m[1]);
    if (i >= L) return null;
    const r01 = L > 1 ? i / (L - 1) : Number.NaN; // transformers divides by L − 1 (NaN for one block, as there)
    const r10 = 1 - i / L;
    const lin = (out: number, inp: number): InitRule => ({ kind: 'orthogonal', gain: (out > inp ? Math.sqrt(out / inp) : 1) * (out === c.vocabSize && inp === d ? 0.5 : 1) });
    if (m[2] === 'attention') {
      switch (m[3]) {
        case 'time_decay': return { kind: 'values', values: Float32Array.from({ length: A }, (_, h) => -5 + 8 * (h / (A - 1)) ** (0.7 + 1.3 * r01)) };
        case 'time_first': return { kind: 'const', value: 1 };
        case 'time_mix_key': return { kind: 'values', values: pow(d, r10) };
        case 'time_mix_value': return { kind: 'values', values: pow(d, r10, 0.3 * r01) };
        case 'time_mix_receptance': return { kind: 'values', values: pow(d, 0.5 * r10) };
        case 'key.weight': case 'value.weight': case 'receptance.weight': return lin(A, d);
        case 'output.weight': return lin(d, A);
        default: return null;
      }
    }
    switch (m[3]) {
      case 'time_mix_key': case 'time_mix_receptance': return { kind: 'values', values: pow(d, r10) };
      case 'key.weight': return lin(c.intermediateSize, d);
      case 'receptance.weight': return lin(d, d);
      case 'value.weight': return lin(d, c.intermediateSize);
      default: return null;
    }
  };
}
