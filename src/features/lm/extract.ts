/**
 * The paper's rules for turning samples into LLM features (METHODS §3.6, `generate_activations/LLM.py`):
 *
 *  - samples are processed in dataset order; the context is every previous sample's text of the
 *    same block, reset whenever the block label changes (context 'none': reset at every sample);
 *  - the current text is `txt.rstrip()` when the context is empty, else `' ' + txt.rstrip()`;
 *  - context and current text are tokenised separately and concatenated; the last `window` (512)
 *    tokens are kept; no BOS token;
 *  - one vector per layer per sample, pooled over the current text's tokens only: the last token,
 *    the mean or the sum.
 *
 * Models other than GPT-2 (the paper's model zoo, `LLM_v2.py`; METHODS §3.6 "Other models"):
 *  - the tokenizer's special tokens are put around the kept tokens as its post-processor does
 *    (transformers' `build_inputs_with_special_tokens` / `tokenizer(text)`: `[CLS] … [SEP]`,
 *    `<s> … </s>`, `<|begin_of_text|> …`, `… </s>`), and removed again before pooling: pooling covers
 *    the last `nCurrent` non-special tokens, so `last` is the last non-special token of the
 *    current text;
 *  - the tokens kept are the last `window − len(tokenizer('')['input_ids'])` (512 − number of
 *    special tokens), so that input with special tokens is at most `window` long.
 * GPT-2's tokenizer adds no special tokens, so both rules give the GPT-2 rules above.
 *
 * Speed-up with identical results: causal attention makes the hidden states of a prefix
 * independent of the tokens after it, so consecutive samples of a block whose token sequences are
 * prefixes of one another and fit in the window share one forward pass over the longest of them.
 * Samples whose sequence would be truncated (or whose separate tokenisation is not a prefix of
 * the next one, e.g. because the tokenizer appends an end token) get their own pass, exactly as
 * in the paper's code. Bidirectional models (BERT family, T5 encoder) always get one pass per
 * sample.
 */
import { InputError } from '../../data/errors.js';
import type { Gpt2Model } from './gpt2.js';
import { lmHead, perplexityOf, type LmHead, type LmPerplexity } from './perplexity.js';
import type { Tokenizer } from './tokenizer.js';

/** Special tokens a tokenizer's post-processor puts around one text, and the ids that count as special. */
export interface SpecialTokens {
  /** Ids before the text (e.g. [CLS], <s>, <|begin_of_text|>). */
  prefix: readonly number[];
  /** Ids after the text (e.g. [SEP], </s>). */
  suffix: readonly number[];
  /** Every special id (transformers' `all_special_ids`): such ids inside the text are not pooled either. */
  ids: ReadonlySet<number>;
}

/** A tokenizer that may add special tokens (`specialTokens` absent: none, as GPT-2). */
export interface LmTokenizer extends Tokenizer {
  specialTokens?(): SpecialTokens;
}

/** What extraction needs of a model: its depth, width and a batched forward pass. */
export interface LmRunner {
  /** Blocks L (L + 1 hidden states). */
  readonly nLayer: number;
  /** Width of the hidden states. */
  readonly dim: number;
  /** Causal models may share passes between samples whose inputs are prefixes of one another. */
  readonly causal: boolean;
  /** Longest input the model takes (learned absolute positions), or null when unlimited. */
  readonly maxPositions: number | null;
  /** Runs sequences at once; `onState(layer, state)` gets each hidden state as (Σ T_s) × dim rows. */
  forwardBatch(seqs: ReadonlyArray<ArrayLike<number>>, onState: (layer: number, state: Float32Array) => void): Promise<void>;
  /** The LM head on the last hidden state (causal models with one): perplexity is computed in the same passes. */
  readonly head?: LmHead | null;
}

/**
 * A GPT-2 model seen as an LmRunner. `withHead: false` leaves out the LM head: untrained models'
 * perplexity (≈ the vocabulary size) means nothing, and for GPT-2-small-sized models the head is
 * ~45 % more forward work.
 */
export function gpt2Runner(model: Gpt2Model, withHead = true): LmRunner {
  return {
    nLayer: model.config.nLayer,
    dim: model.config.nEmbd,
    causal: true,
    maxPositions: model.config.nPositions,
    forwardBatch: (seqs, onState) => model.forwardBatch(seqs, onState),
    // GPT2LMHeadModel's lm_head is tied to wte.
    head: !withHead ? null : lmHead(model.config.vocabSize, model.config.nEmbd, () => {
      const { vocabSize: V, nEmbd: d } = model.config;
      const w = new Float32Array(V * d);
      for (let id = 0; id < V; id++) w.set(model.weights.tokenEmbedding(id), id * d);
      return w;
    }, model.backend),
  };
}

function isRunner(m: Gpt2Model | LmRunner): m is LmRunner {
  return typeof (m as LmRunner).dim === 'number';
}

const NO_SPECIALS: SpecialTokens = { prefix: [], suffix: [], ids: new Set() };

/** The tokenizer's special tokens (none for GPT-2's). */
export function specialTokensOf(tokenizer: Tokenizer): SpecialTokens {
  const t = tokenizer as LmTokenizer;
  return typeof t.specialTokens === 'function' ? t.specialTokens() : NO_SPECIALS;
}

export type LmPooling = 'last' | 'mean' | 'sum';
export const LM_POOLINGS: readonly LmPooling[] = ['last', 'mean', 'sum'];
export type LmContext = 'block' | 'none';

/** The extraction rules (what the cache key and manifest record). */
export interface LmRules {
  context: LmContext;
  /** Tokens kept (the last ones); 512 in the paper. */
  window: number;
}

export const DEFAULT_LM_RULES: LmRules = { context: 'block', window: 512 };

/** One sample's token sequence. */
export interface SampleTokens {
  /** The model input (special prefix + context + current, truncated to the window, + special suffix). */
  ids: number[];
  /** Context tokens before truncation. */
  nContext: number;
  /** Current-text tokens before truncation. */
  nCurrent: number;
  /** Current-text tokens inside the window (what pooling covers): min(nCurrent, ids.length). */
  nPooled: number;
  /** The untruncated sequence was longer than the window. */
  truncated: boolean;
  /** Positions in `ids` pooled over: the last nPooled non-special tokens (ascending). */
  rows: number[];
}

/** Python's `str.rstrip()` (whitespace as `str.isspace`, close to JS's trimEnd). */
function rstrip(s: string): string {
  return s.replace(/[\s\x1c-\x1f\x85]+$/u, '');
}

/** Runs of consecutive samples that share a context (by block label, or one sample each). */
export function contextGroups(blocks: readonly string[], context: LmContext): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const n = blocks.length;
  for (let i = 0; i < n;) {
    let j = i + 1;
    if (context === 'block') while (j < n && blocks[j] === blocks[i]) j++;
    out.push([i, j]);
    i = j;
  }
  return out;
}

/**
 * Token sequences of every sample under the rules (texts and blocks in dataset order). Untruncated
 * sequences (with the special tokens) are returned too (`full`), for planning shared passes.
 */
export function tokenizeSamples(texts: readonly string[], blocks: readonly string[], tokenizer: Tokenizer, rules: LmRules = DEFAULT_LM_RULES): { samples: SampleTokens[]; full: number[][] } {
  if (texts.length !== blocks.length) throw new RangeError(`lm: ${texts.length} texts but ${blocks.length} block labels`);
  if (!Number.isInteger(rules.window) || rules.window < 1) throw new RangeError(`lm: window must be a positive integer, got ${rules.window}`);
  const sp = specialTokensOf(tokenizer);
  const nSpecial = sp.prefix.length + sp.suffix.length;
  // 512 − len(tokenizer('')['input_ids']) tokens of text.
  const keep = rules.window - nSpecial;
  if (keep < 1) throw new RangeError(`lm: a ${rules.window}-token window leaves no room for text next to the tokenizer's ${nSpecial} special tokens`);
  const samples: SampleTokens[] = [];
  const full: number[][] = [];
  for (const [start, end] of contextGroups(blocks, rules.context)) {
    let context = '';
    let contextIds: number[] = [];
    for (let i = start; i < end; i++) {
      const txt = rstrip(texts[i]);
      const cur = context === '' ? txt : ` ${txt}`;
      const curIds = tokenizer.encode(cur);
      if (curIds.length === 0) {
        throw new InputError(`sample ${i}: text: ${JSON.stringify(texts[i])} has no tokens; lm features pool over the sample's own tokens, so every sample needs text`);
      }
      const all = contextIds.concat(curIds);
      const kept = all.length > keep ? all.slice(all.length - keep) : all;
      const ids = nSpecial === 0 ? kept : [...sp.prefix, ...kept, ...sp.suffix];
      // The last nCurrent non-special tokens of the text (fewer when truncation cut into it).
      const rows: number[] = [];
      for (let t = sp.prefix.length + kept.length - 1; t >= sp.prefix.length && rows.length < curIds.length; t--) {
        if (nSpecial === 0 || !sp.ids.has(ids[t])) rows.push(t);
      }
      rows.reverse();
      if (rows.length === 0) throw new InputError(`sample ${i}: text: ${JSON.stringify(texts[i])} has only special tokens; lm features pool over the sample's own non-special tokens`);
      samples.push({ ids, nContext: contextIds.length, nCurrent: curIds.length, nPooled: rows.length, truncated: all.length > keep, rows });
      full.push(nSpecial === 0 ? all : [...sp.prefix, ...all, ...sp.suffix]);
      context += cur;
      if (i + 1 < end) contextIds = tokenizer.encode(context);
    }
  }
  return { samples, full };
}

/** One forward pass and the samples it serves (each sample: the end position of its tokens). */
export interface PlannedPass {
  ids: number[];
  /** Per sample served: its length `end` in this pass, and the positions pooled (`rows`, nPooled of them). */
  samples: Array<{ sample: number; end: number; nPooled: number; rows: readonly number[] }>;
}

function isPrefix(a: readonly number[], b: readonly number[]): boolean {
  if (a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Forward passes for all samples: with `share` (default; only valid for causal models),
 * consecutive samples of a context group whose untruncated sequences fit the window and extend one
 * another share one pass; otherwise one pass per sample.
 */
export function planPasses(blocks: readonly string[], tokens: { samples: SampleTokens[]; full: number[][] }, rules: LmRules, share = true): PlannedPass[] {
  const passes: PlannedPass[] = [];
  for (const [start, end] of contextGroups(blocks, rules.context)) {
    let run: number[] = [];
    const flush = (): void => {
      if (run.length === 0) return;
      const lastIds = tokens.full[run[run.length - 1]];
      passes.push({ ids: lastIds, samples: run.map((i) => ({ sample: i, end: tokens.full[i].length, nPooled: tokens.samples[i].nPooled, rows: tokens.samples[i].rows })) });
      run = [];
    };
    for (let i = start; i < end; i++) {
      const s = tokens.samples[i];
      if (!share || s.truncated) {
        flush();
        passes.push({ ids: s.ids, samples: [{ sample: i, end: s.ids.length, nPooled: s.nPooled, rows: s.rows }] });
        continue;
      }
      if (run.length > 0 && !isPrefix(tokens.full[run[run.length - 1]], tokens.full[i])) flush();
      run.push(i);
    }
    flush();
  }
  return passes;
}

/** Pooled features: `pooled[pool][layer]` is nSamples × dim, row-major float32. */
export interface LmFeatures {
  nSamples: number;
  /** n_layer + 1 hidden states. */
  nLayers: number;
  dim: number;
  pooled: Record<LmPooling, Float32Array[]>;
  /** Per sample: context tokens and current-text tokens (before truncation), and whether it was truncated. */
  tokens: { context: Int32Array; current: Int32Array; truncated: Uint8Array };
  /** Forward passes run and tokens pushed through the model. */
  passes: number;
  tokensProcessed: number;
  /** Causal models with an LM head: the perplexity on the samples' own text (perplexity.ts). */
  perplexity?: LmPerplexity;
}

export interface ExtractOptions {
  rules?: LmRules;
  /** Share forward passes where results are identical (default true; never for bidirectional models). */
  share?: boolean;
  /**
   * Passes are run together, their token rows stacked, up to this many rows per batch (default
   * 512; a longer pass runs alone). Only changes speed (and float32 rounding).
   */
  batchTokens?: number;
  /** Progress in tokens processed. */
  onProgress?: (doneTokens: number, totalTokens: number) => void;
}

/**
 * Features of every sample (texts and block labels in dataset order) at every layer, under all
 * three poolings. `model`: a GPT-2 model or any LmRunner.
 */
export async function extractLmFeatures(model: Gpt2Model | LmRunner, tokenizer: Tokenizer, texts: readonly string[], blocks: readonly string[], opts: ExtractOptions = {}): Promise<LmFeatures> {
  const rules = opts.rules ?? DEFAULT_LM_RULES;
  const runner = isRunner(model) ? model : gpt2Runner(model);
  if (runner.maxPositions !== null && rules.window > runner.maxPositions) throw new InputError(`lm: the ${rules.window}-token window exceeds the model's n_positions ${runner.maxPositions}`);
  const tokens = tokenizeSamples(texts, blocks, tokenizer, rules);
  const passes = planPasses(blocks, tokens, rules, (opts.share ?? true) && runner.causal);
  const n = texts.length;
  const d = runner.dim;
  const L = runner.nLayer + 1;
  const pooled: Record<LmPooling, Float32Array[]> = {
    last: Array.from({ length: L }, () => new Float32Array(n * d)),
    mean: Array.from({ length: L }, () => new Float32Array(n * d)),
    sum: Array.from({ length: L }, () => new Float32Array(n * d)),
  };
  const total = passes.reduce((a, p) => a + p.ids.length, 0);
  let done = 0;
  opts.onProgress?.(0, total);
  const acc = new Float64Array(d);
  const batchTokens = opts.batchTokens ?? 512;
  const head = runner.causal ? runner.head ?? null : null;
  const nll = new Float64Array(n);
  const scored = new Int32Array(n);
  for (let p0 = 0; p0 < passes.length;) {
    let p1 = p0 + 1;
    let rows = passes[p0].ids.length;
    while (p1 < passes.length && rows + passes[p1].ids.length <= batchTokens) rows += passes[p1++].ids.length;
    const batch = passes.slice(p0, p1);
    const offsets: number[] = [];
    let off = 0;
    for (const pass of batch) { offsets.push(off); off += pass.ids.length; }
    // Perplexity: the last state at t − 1 predicts each pooled token t ≥ 1 (gathered here, scored after the pass).
    const predRows: number[] = [];
    const predSample: number[] = [];
    const predTarget: number[] = [];
    let pred: Float32Array | null = null;
    await runner.forwardBatch(batch.map((pass) => pass.ids), (layer, state) => {
      if (head && layer === runner.nLayer) {
        batch.forEach((pass, b) => {
          for (const { sample, rows } of pass.samples) {
            for (const t of rows) {
              if (t < 1) continue;
              predRows.push(offsets[b] + t - 1);
              predSample.push(sample);
              predTarget.push(pass.ids[t]);
            }
          }
        });
        pred = new Float32Array(predRows.length * d);
        predRows.forEach((r, i) => pred!.set(state.subarray(r * d, (r + 1) * d), i * d));
      }
      batch.forEach((pass, b) => {
        for (const { sample, nPooled, rows } of pass.samples) {
          const base = offsets[b];
          const o = sample * d;
          const lastRow = base + rows[rows.length - 1];
          pooled.last[layer].set(state.subarray(lastRow * d, (lastRow + 1) * d), o);
          acc.fill(0);
          for (const t0 of rows) {
            const r = (base + t0) * d;
            for (let j = 0; j < d; j++) acc[j] += state[r + j];
          }
          const sum = pooled.sum[layer];
          const mean = pooled.mean[layer];
          for (let j = 0; j < d; j++) { sum[o + j] = acc[j]; mean[o + j] = acc[j] / nPooled; }
        }
      });
    });
    if (head && pred !== null && predRows.length > 0) {
      const v = await head.nll(pred, predRows.length, Int32Array.from(predTarget));
      v.forEach((x, i) => { nll[predSample[i]] += x; scored[predSample[i]]++; });
    }
    done += rows;
    opts.onProgress?.(done, total);
    p0 = p1;
  }
  return {
    nSamples: n,
    nLayers: L,
    dim: d,
    pooled,
    tokens: {
      context: Int32Array.from(tokens.samples, (s) => s.nContext),
      current: Int32Array.from(tokens.samples, (s) => s.nCurrent),
      truncated: Uint8Array.from(tokens.samples, (s) => (s.truncated ? 1 : 0)),
    },
    passes: passes.length,
    tokensProcessed: total,
    ...(head ? { perplexity: { nll, tokens: scored, value: perplexityOf(nll, scored) } } : {}),
  };
}
