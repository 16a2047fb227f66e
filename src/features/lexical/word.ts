/**
 * WORD (METHODS §3.5, "LMMS static word vectors summed over the lemmas"): each sample's vector is
 * the sum (or mean) of static word vectors over its words' lemmas.
 *
 * Words are wink's tokens that are not punctuation or symbols (nlp.ts). A word's vector is its
 * lemma's; when the file has no vector for the lemma, the word form (lower case) is tried. Words
 * with neither are skipped and counted; a sample with no word found gets the zero vector.
 */
import type { WordVectors } from '../../io/glove.js';
import type { Matrix64 } from '../../linalg/matrix.js';
import { zeros64 } from '../../linalg/matrix.js';
import { isWordToken, type TaggedToken } from './nlp.js';

/** How the words fared. */
export interface LookupReport {
  /** Words looked up. */
  words: number;
  /** Words without a vector (or without a candidate). */
  missing: number;
  /** The missing lemmas and how often each was missed, most frequent first. */
  missingLemmas: Array<[string, number]>;
  /** Samples that got the zero vector (no word found). */
  emptySamples: number;
}

/** The lookup keys of a word: its lemma, then its lower-case form. */
export function wordKeys(t: TaggedToken): string[] {
  const form = t.text.toLowerCase();
  return form === t.lemma ? [t.lemma] : [t.lemma, form];
}

/** Every key WORD may look up in a dataset's tagged texts (to read only those vectors). */
export function wordVocabulary(tagged: ReadonlyArray<readonly TaggedToken[]>): Set<string> {
  const v = new Set<string>();
  for (const s of tagged) for (const t of s) if (isWordToken(t)) for (const k of wordKeys(t)) v.add(k);
  return v;
}

export function sortedCounts(m: Map<string, number>): Array<[string, number]> {
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * samples × d: Σ (or mean) over each sample's words of the vector of its lemma (else its form).
 * `tagged[i]` are sample i's tokens.
 */
export function lemmaVectorSum(tagged: ReadonlyArray<readonly TaggedToken[]>, wv: WordVectors, pooling: 'sum' | 'mean' = 'sum'): { features: Matrix64; report: LookupReport } {
  const d = wv.dim;
  const m = zeros64(tagged.length, d);
  const missing = new Map<string, number>();
  let words = 0;
  let nMissing = 0;
  let emptySamples = 0;
  tagged.forEach((toks, i) => {
    let found = 0;
    for (const t of toks) {
      if (!isWordToken(t)) continue;
      words++;
      let row: number | undefined;
      for (const k of wordKeys(t)) { row = wv.index.get(k); if (row !== undefined) break; }
      if (row === undefined) { nMissing++; missing.set(t.lemma, (missing.get(t.lemma) ?? 0) + 1); continue; }
      found++;
      for (let j = 0; j < d; j++) m.data[i * d + j] += wv.vectors[row * d + j];
    }
    if (found === 0) emptySamples++;
    else if (pooling === 'mean') for (let j = 0; j < d; j++) m.data[i * d + j] /= found;
  });
  return { features: m, report: { words, missing: nMissing, missingLemmas: sortedCounts(missing), emptySamples } };
}

/** The one-line warning for words left out (null when none). */
export function lookupWarning(what: string, path: string, r: LookupReport, missingWhat: string): string | null {
  if (r.missing === 0 && r.emptySamples === 0) return null;
  const top = r.missingLemmas.slice(0, 8).map(([w, n]) => (n > 1 ? `${w} ×${n}` : w)).join(', ');
  const more = r.missingLemmas.length > 8 ? `, … (${r.missingLemmas.length} distinct)` : '';
  const empty = r.emptySamples > 0 ? `; ${r.emptySamples} sample(s) have none and get the zero vector` : '';
  return `warning: ${path}: ${what}: ${r.missing} of ${r.words} words have ${missingWhat} (${top}${more}); they are left out of the sums${empty}`;
}
