/**
 * Perplexity of a causal model on the dataset's own text, computed in the feature extraction's
 * passes (docs/method.md, "Perplexity"):
 *
 *   every token t of a sample's current text that is pooled (its non-special tokens inside the
 *   window) and has at least one token before it in the model input gets
 *   NLL_t = −log softmax(W · h_{t−1})[id_t], h the model's last hidden state (after its final
 *   norm: GPT-2 ln_f, Llama norm, GPT-NeoX final_layer_norm, RWKV ln_out), W (vocab × d) the LM
 *   head; perplexity = exp(Σ NLL / number of such tokens) over the whole dataset.
 *
 * The LM head per family (transformers' *ForCausalLM): GPT-2 the tied `wte`; Llama family
 * `lm_head.weight`, or the embeddings when config.json has `tie_word_embeddings: true`; GPT-NeoX
 * `embed_out.weight` (or embed_in when tied); RWKV `head.weight` (or the embeddings when tied).
 * A base-model folder without a head (and not tied) has no perplexity. Bidirectional models have
 * none.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../linalg/backend.js';
import { matrix } from '../../linalg/matrix.js';
import type { TensorSource } from './untrained.js';

/** An LM head: scores every vocabulary entry from final hidden states. */
export interface LmHead {
  readonly vocabSize: number;
  /**
   * Negative log-likelihoods: row i of x (n × d, row-major) predicts targets[i];
   * result[i] = logsumexp(W·x_i) − (W·x_i)[targets[i]] (float64).
   */
  nll(x: Float32Array, n: number, targets: Int32Array): Promise<Float64Array>;
}

/** What a feature extraction records of the perplexity (per sample and overall). */
export interface LmPerplexity {
  /** Per sample: Σ NLL over its scored tokens (nats). */
  nll: Float64Array;
  /** Per sample: tokens scored. */
  tokens: Int32Array;
  /** exp(Σ nll / Σ tokens); NaN when no token was scored. */
  value: number;
}

/** exp of the mean NLL per token over all samples. */
export function perplexityOf(nll: ArrayLike<number>, tokens: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < nll.length; i++) { s += nll[i]; n += tokens[i]; }
  return n > 0 ? Math.exp(s / n) : Number.NaN;
}

/** Rows per logits block (bounds memory at rows × vocab floats). */
const CHUNK = 64;

/**
 * An LM head from its weight (vocab × d, row-major float32, made on first use), scored on
 * `backend` in blocks of 64 rows.
 */
export function lmHead(vocabSize: number, d: number, weight: () => Float32Array, backend: Backend): LmHead {
  let w: Float32Array | undefined;
  return {
    vocabSize,
    async nll(x, n, targets) {
      w ??= weight();
      const out = new Float64Array(n);
      for (let r0 = 0; r0 < n; r0 += CHUNK) {
        const m = Math.min(CHUNK, n - r0);
        const logits = (await backend.gemm(matrix(m, d, x.subarray(r0 * d, (r0 + m) * d)), matrix(vocabSize, d, w), { transB: true })).data;
        for (let i = 0; i < m; i++) {
          const row = logits.subarray(i * vocabSize, (i + 1) * vocabSize);
          let mx = -Infinity;
          for (let j = 0; j < vocabSize; j++) if (row[j] > mx) mx = row[j];
          let s = 0;
          for (let j = 0; j < vocabSize; j++) s += Math.exp(row[j] - mx);
          const t = targets[r0 + i];
          if (!(t >= 0 && t < vocabSize)) throw new RangeError(`perplexity: token id ${t} is outside the LM head's ${vocabSize} rows`);
          out[r0 + i] = mx + Math.log(s) - row[t];
        }
      }
      return out;
    },
  };
}

/** config.json's tie_word_embeddings (absent: false, the default of every causal family but GPT-2's). */
export function tiedEmbeddings(dir: string): boolean {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) return false;
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { tie_word_embeddings?: unknown }).tie_word_embeddings === true;
  } catch {
    return false;
  }
}

/**
 * The head weight's tensor name in `st`: the embeddings (first of `embedNames` present) when tied,
 * else the first of `headNames` present; null when there is none.
 */
export function headTensorName(st: TensorSource, tied: boolean, headNames: readonly string[], embedNames: readonly string[]): string | null {
  const first = (names: readonly string[]): string | null => names.find((n) => st.find(n)) ?? null;
  return tied ? first(embedNames) : first(headNames);
}
