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
 * Speed-up with identical results: causal attention makes the hidden states of a prefix
 * independent of the tokens after it, so consecutive samples of a block whose token sequences are
 * prefixes of one another and fit in the window share one forward pass over the longest of them.
 * Samples whose sequence would be truncated (or whose separate tokenisation is not a prefix of
 * the next one) get their own pass, exactly as in the paper's code.
 */
import { InputError } from '../../data/errors.js';
import type { Gpt2Model } from './gpt2.js';
import type { Tokenizer } from './tokenizer.js';

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
  /** The model input (context + current, truncated to the window). */
  ids: number[];
  /** Context tokens before truncation. */
  nContext: number;
  /** Current-text tokens before truncation. */
  nCurrent: number;
  /** Current-text tokens inside the window (what pooling covers): min(nCurrent, ids.length). */
  nPooled: number;
  /** The untruncated sequence was longer than the window. */
  truncated: boolean;
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
 * sequences are returned too (`full`), for planning shared passes.
 */
export function tokenizeSamples(texts: readonly string[], blocks: readonly string[], tokenizer: Tokenizer, rules: LmRules = DEFAULT_LM_RULES): { samples: SampleTokens[]; full: number[][] } {
  if (texts.length !== blocks.length) throw new RangeError(`lm: ${texts.length} texts but ${blocks.length} block labels`);
  if (!Number.isInteger(rules.window) || rules.window < 1) throw new RangeError(`lm: window must be a positive integer, got ${rules.window}`);
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
      const ids = all.length > rules.window ? all.slice(all.length - rules.window) : all;
      samples.push({ ids, nContext: contextIds.length, nCurrent: curIds.length, nPooled: Math.min(curIds.length, ids.length), truncated: all.length > rules.window });
      full.push(all);
      context += cur;
      if (i + 1 < end) contextIds = tokenizer.encode(context);
    }
  }
  return { samples, full };
}

/** One forward pass and the samples it serves (each sample: the end position of its tokens). */
export interface PlannedPass {
  ids: number[];
  samples: Array<{ sample: number; end: number; nPooled: number }>;
}

function isPrefix(a: readonly number[], b: readonly number[]): boolean {
  if (a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Forward passes for all samples: with `share` (default), consecutive samples of a context group
 * whose untruncated sequences fit the window and extend one another share one pass; otherwise one
 * pass per sample.
 */
export function planPasses(blocks: readonly string[], tokens: { samples: SampleTokens[]; full: number[][] }, rules: LmRules, share = true): PlannedPass[] {
  const passes: PlannedPass[] = [];
  for (const [start, end] of contextGroups(blocks, rules.context)) {
    let run: number[] = [];
    const flush = (): void => {
      if (run.length === 0) return;
      const lastIds = tokens.full[run[run.length - 1]];
      passes.push({ ids: lastIds, samples: run.map((i) => ({ sample: i, end: tokens.full[i].length, nPooled: tokens.samples[i].nPooled })) });
      run = [];
    };
    for (let i = start; i < end; i++) {
      const s = tokens.samples[i];
      if (!share || s.truncated) {
        flush();
        passes.push({ ids: s.ids, samples: [{ sample: i, end: s.ids.length, nPooled: s.nPooled }] });
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
}

export interface ExtractOptions {
  rules?: LmRules;
  /** Share forward passes where results are identical (default true). */
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
 * three poolings.
 */
export async function extractLmFeatures(model: Gpt2Model, tokenizer: Tokenizer, texts: readonly string[], blocks: readonly string[], opts: ExtractOptions = {}): Promise<LmFeatures> {
  const rules = opts.rules ?? DEFAULT_LM_RULES;
  const cfg = model.config;
  if (rules.window > cfg.nPositions) throw new InputError(`lm: the ${rules.window}-token window exceeds the model's n_positions ${cfg.nPositions}`);
  const tokens = tokenizeSamples(texts, blocks, tokenizer, rules);
  const passes = planPasses(blocks, tokens, rules, opts.share ?? true);
  const n = texts.length;
  const d = cfg.nEmbd;
  const L = cfg.nLayer + 1;
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
  for (let p0 = 0; p0 < passes.length;) {
    let p1 = p0 + 1;
    let rows = passes[p0].ids.length;
    while (p1 < passes.length && rows + passes[p1].ids.length <= batchTokens) rows += passes[p1++].ids.length;
    const batch = passes.slice(p0, p1);
    const offsets: number[] = [];
    let off = 0;
    for (const pass of batch) { offsets.push(off); off += pass.ids.length; }
    await model.forwardBatch(batch.map((pass) => pass.ids), (layer, state) => {
      batch.forEach((pass, b) => {
        for (const { sample, end: e, nPooled } of pass.samples) {
          const end = offsets[b] + e;
          const o = sample * d;
          pooled.last[layer].set(state.subarray((end - 1) * d, end * d), o);
          acc.fill(0);
          for (let t = end - nPooled; t < end; t++) {
            const r = t * d;
            for (let j = 0; j < d; j++) acc[j] += state[r + j];
          }
          const sum = pooled.sum[layer];
          const mean = pooled.mean[layer];
          for (let j = 0; j < d; j++) { sum[o + j] = acc[j]; mean[o + j] = acc[j] / nPooled; }
        }
      });
    });
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
  };
}
