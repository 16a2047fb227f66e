/**
 * Static word-embedding features (METHODS §3.5): each sample's vector is the sum or the mean of
 * the vectors of its words.
 *
 * Tokenisation (documented, since the paper's is unknown): lower-case the text, split on
 * whitespace, split a trailing possessive "'s" into its own token (GloVe has "'s"), and strip
 * punctuation from both ends of each token. Tokens not in the vocabulary are skipped; a sample
 * with no known token gets the zero vector (and is counted in `missing`).
 */
import type { Dataset } from '../data/dataset.js';
import { InputError } from '../data/errors.js';
import type { WordVectors } from '../io/glove.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { zeros64 } from '../linalg/matrix.js';

export type Pooling = 'sum' | 'mean';

export function embeddingTokens(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.toLowerCase().split(/\s+/)) {
    let w = raw.replace(/^[^\p{L}\p{N}']+|[^\p{L}\p{N}']+$/gu, '');
    let possessive = false;
    if (w.length > 2 && w.endsWith("'s")) { w = w.slice(0, -2); possessive = true; }
    w = w.replace(/^'+|'+$/g, '');
    if (w !== '') out.push(w);
    if (possessive) out.push("'s");
  }
  return out;
}

/** samples × d pooled word vectors, and the number of tokens / samples with no vector. */
export function poolWordVectors(texts: readonly string[], wv: WordVectors, pooling: Pooling): { features: Matrix64; unknownTokens: number; emptySamples: number } {
  const d = wv.dim;
  const m = zeros64(texts.length, d);
  let unknownTokens = 0;
  let emptySamples = 0;
  texts.forEach((t, i) => {
    let found = 0;
    for (const tok of embeddingTokens(t)) {
      const row = wv.index.get(tok);
      if (row === undefined) { unknownTokens++; continue; }
      found++;
      for (let k = 0; k < d; k++) m.data[i * d + k] += wv.vectors[row * d + k];
    }
    if (found === 0) emptySamples++;
    else if (pooling === 'mean') for (let k = 0; k < d; k++) m.data[i * d + k] /= found;
  });
  return { features: m, unknownTokens, emptySamples };
}

/** The set of tokens of a dataset's texts (to read only those vectors). */
export function datasetVocabulary(d: Dataset): Set<string> {
  const v = new Set<string>();
  for (const t of d.samples.text) for (const tok of embeddingTokens(t)) v.add(tok);
  if (v.size === 0) throw new InputError(`${d.source}: text: the dataset has no text to embed`);
  return v;
}

/**
 * Bag of words over the dataset's own vocabulary: samples × V token counts (a content feature that
 * needs no external file; with pooling 'mean', counts divided by the sample's token count).
 */
export function bagOfWords(d: Dataset, pooling: Pooling): Matrix64 {
  const vocab = [...datasetVocabulary(d)].sort();
  const col = new Map(vocab.map((w, i) => [w, i]));
  const m = zeros64(d.y.rows, vocab.length);
  d.samples.text.forEach((t, i) => {
    const toks = embeddingTokens(t);
    for (const tok of toks) m.data[i * vocab.length + col.get(tok)!] += pooling === 'mean' ? 1 / toks.length : 1;
  });
  return m;
}

/** Normalised text for alignment: collapse whitespace, trim. */
function normaliseSentence(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter || 1);
}

/**
 * Order of `sourceSentences` rows that matches each of `targetSentences` (the dataset's order):
 * exact match after collapsing whitespace, else the unique best word-set Jaccard overlap ≥ 0.75
 * (Pereira's stimulus lists differ from the presented text by a typo or a double space). Fails,
 * naming the sentence, when a target matches nothing, matches ambiguously, or two targets take
 * the same source row.
 */
export function alignSentences(targetSentences: readonly string[], sourceSentences: readonly string[], sourceName: string): Int32Array {
  const exact = new Map<string, number[]>();
  sourceSentences.forEach((s, i) => {
    const k = normaliseSentence(s);
    exact.set(k, [...(exact.get(k) ?? []), i]);
  });
  const sourceWords = sourceSentences.map((s) => new Set(embeddingTokens(s)));
  const out = new Int32Array(targetSentences.length);
  const used = new Map<number, number>();
  targetSentences.forEach((t, i) => {
    const hits = exact.get(normaliseSentence(t));
    let row: number;
    if (hits && hits.length === 1) row = hits[0];
    else if (hits && hits.length > 1) throw new InputError(`${sourceName}: sentences: "${t}" appears ${hits.length} times; expected each sentence once`);
    else {
      const words = new Set(embeddingTokens(t));
      let best = -1; let bestScore = -1; let second = -1;
      sourceWords.forEach((w, k) => {
        const s = jaccard(words, w);
        if (s > bestScore) { second = bestScore; bestScore = s; best = k; } else if (s > second) second = s;
      });
      if (bestScore < 0.75 || bestScore === second) {
        throw new InputError(`${sourceName}: sentences: no row matches the dataset's sentence ${i} "${t}" (best word overlap ${bestScore.toFixed(2)}${bestScore === second ? ', tied' : ''}; expected an exact or near-exact match)`);
      }
      row = best;
    }
    if (used.has(row)) throw new InputError(`${sourceName}: sentences: row ${row} "${sourceSentences[row]}" matches both dataset sentences ${used.get(row)} and ${i}`);
    used.set(row, i);
    out[i] = row;
  });
  return out;
}
