/**
 * SENSE (METHODS §3.5, the LMMS recipe): each word's contextual embedding (contextual.ts) is
 * matched by cosine similarity to the sense vectors of its lemma and POS in an LMMS-format
 * inventory (vectors.ts); the sample's vector is the sum of the chosen sense vectors.
 *
 * Candidate POS from the word's Universal Dependencies tag: NOUN and PROPN → n, VERB → v, ADJ → a
 * (WordNet adjectives and satellites, ss_type 3 and 5), ADV → r. Other tags (function words,
 * AUX, NUM, PUNCT) are not disambiguated. A content word whose (lemma, POS) has no sense in the
 * inventory is skipped and counted. Ties in cosine go to the sense listed first in the file.
 */
import { InputError } from '../../data/errors.js';
import type { Matrix64 } from '../../linalg/matrix.js';
import { zeros64 } from '../../linalg/matrix.js';
import type { TaggedToken } from './nlp.js';
import { senseLookupKey, type SenseInventory, type SensePos } from './vectors.js';
import { sortedCounts, type LookupReport } from './word.js';

const UD_TO_WN: Record<string, SensePos> = { NOUN: 'n', PROPN: 'n', VERB: 'v', ADJ: 'a', ADV: 'r' };

/** WordNet POS of a UD tag, or null when the tag is not disambiguated. */
export function sensePosOf(udTag: string): SensePos | null {
  return UD_TO_WN[udTag] ?? null;
}

/** Cosine similarity of q (d) and row `row` of the inventory; 0 when either has zero norm. */
export function cosine(q: ArrayLike<number>, inv: SenseInventory, row: number): number {
  const d = inv.dim;
  let dot = 0; let qq = 0; let vv = 0;
  for (let j = 0; j < d; j++) {
    const a = q[j]; const b = inv.vectors[row * d + j];
    dot += a * b; qq += a * a; vv += b * b;
  }
  return qq > 0 && vv > 0 ? dot / Math.sqrt(qq * vv) : 0;
}

/** The candidate with the highest cosine to q (the first one on ties). */
export function bestSense(q: ArrayLike<number>, inv: SenseInventory, candidates: readonly number[]): { row: number; cosine: number } {
  let best = candidates[0];
  let bestCos = -Infinity;
  for (const r of candidates) {
    const c = cosine(q, inv, r);
    if (c > bestCos) { bestCos = c; best = r; }
  }
  return { row: best, cosine: bestCos };
}

/** A sample's words as matched: token index, the chosen sense key (null: no candidate) and its cosine. */
export interface SenseChoice {
  token: number;
  lemma: string;
  pos: SensePos;
  sense: string | null;
  cosine: number | null;
}

/**
 * samples × d sums of chosen sense vectors. `tagged[i]`: sample i's tokens; `wordVectors[i]`:
 * one contextual vector (d values) per token of sample i, in token order, or null for tokens the
 * encoder gave none.
 */
export function senseFeatures(tagged: ReadonlyArray<readonly TaggedToken[]>, wordVectors: ReadonlyArray<ReadonlyArray<ArrayLike<number> | null>>, inv: SenseInventory): { features: Matrix64; choices: SenseChoice[][]; report: LookupReport } {
  const d = inv.dim;
  const m = zeros64(tagged.length, d);
  const missing = new Map<string, number>();
  let words = 0;
  let nMissing = 0;
  let emptySamples = 0;
  const choices = tagged.map((toks, i) => {
    const out: SenseChoice[] = [];
    toks.forEach((t, k) => {
      const pos = sensePosOf(t.pos);
      if (pos === null) return;
      words++;
      const cands = inv.byLemma.get(senseLookupKey(t.lemma, pos));
      const q = wordVectors[i][k];
      if (!cands || cands.length === 0 || q === null) {
        nMissing++;
        const key = `${t.lemma}/${pos}`;
        missing.set(key, (missing.get(key) ?? 0) + 1);
        out.push({ token: k, lemma: t.lemma, pos, sense: null, cosine: null });
        return;
      }
      if (q.length !== d) throw new InputError(`${inv.path}: dimension: the sense vectors have ${d} values; the encoder's word vectors have ${q.length}`);
      const b = bestSense(q, inv, cands);
      for (let j = 0; j < d; j++) m.data[i * d + j] += inv.vectors[b.row * d + j];
      out.push({ token: k, lemma: t.lemma, pos, sense: inv.senses[b.row].key, cosine: b.cosine });
    });
    if (!out.some((c) => c.sense !== null)) emptySamples++;
    return out;
  });
  return { features: m, choices, report: { words, missing: nMissing, missingLemmas: sortedCounts(missing), emptySamples } };
}
