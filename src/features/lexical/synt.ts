/**
 * SYNT (METHODS §3.5, after Caucheteux, Gramfort & King 2021): sentences that keep the syntactic
 * structure and drop the content. For each sample, K variants keep every token but replace each
 * content word (NOUN, VERB, ADJ, ADV, PROPN) by a word drawn from the dataset's own vocabulary
 * with the same tag and inflection class; function words, numbers and punctuation stay. The
 * features are a language model's layer on the variants (the lm rules, block context built from
 * the variants: variant k of a passage is the passages' sentences' variant k), averaged over K.
 *
 * Inflection class (wink gives UD tags without morphology, so it is read off the word and its
 * lemma): NOUN/PROPN singular (form = lemma) or plural (also a noun wink left unlemmatised that
 * ends in -s, "lawnmowers", unless it is a known singular such as "lens"); VERB base, -ing, 3rd-person -s, or
 * past/participle (any other form); ADJ/ADV positive, comparative (-er), superlative (-est) or
 * other. Draws are uniform over the class's distinct words (lower case; PROPN as first written),
 * never the word itself when the class has another; the replacement takes the original's case
 * (all caps, capitalised, or as in the vocabulary). One MT19937(seed) stream draws variant by
 * variant, sample by sample, token by token, so a (texts, K, seed) triple always gives the same
 * variants.
 */
import { MT19937 } from '../../random/index.js';
import { CONTENT_TAGS, joinTokens, type TaggedToken } from './nlp.js';

/** Nouns ending in -s that are singular (or agree as singular): not plurals wink failed to lemmatise. */
const SINGULAR_S = new Set(['lens', 'canvas', 'atlas', 'bias', 'chaos', 'news', 'species', 'series', 'means', 'physics', 'mathematics', 'economics', 'politics', 'ethics', 'athletics', 'gymnastics', 'genetics', 'statistics', 'linguistics', 'electronics', 'robotics', 'measles', 'diabetes', 'herpes', 'rabies', 'walrus', 'bonus', 'virus', 'census', 'status', 'campus', 'circus', 'focus', 'chorus', 'cosmos', 'pathos', 'ethos', 'thermos', 'iris', 'axis', 'basis', 'crisis', 'analysis', 'thesis', 'oasis', 'tennis', 'texas', 'christmas']);

/**
 * A noun whose lemma is its own form but that looks plural (-s after a letter other than s, u, i,
 * longer than 3 letters, not in SINGULAR_S): wink leaves some plurals of words it does not know
 * unlemmatised ("lawnmowers", "boulders").
 */
function unlemmatisedPlural(w: string): boolean {
  return w.length > 3 && /[^sui]s$/.test(w) && !SINGULAR_S.has(w);
}

/** `${tag}/${inflection}` of a content word, or null for a word that is kept. */
export function inflectionClass(t: TaggedToken): string | null {
  if (!CONTENT_TAGS.has(t.pos) || t.type !== 'word') return null;
  const w = t.text.toLowerCase();
  const l = t.lemma;
  let infl: string;
  switch (t.pos) {
    case 'NOUN':
    case 'PROPN':
      infl = w !== l || (t.pos === 'NOUN' && unlemmatisedPlural(w)) ? 'plural' : 'singular';
      break;
    case 'VERB':
      if (w === l) infl = 'base';
      else if (w.endsWith('ing')) infl = 'ing';
      else if (w === `${l}s` || w === `${l}es` || (l.endsWith('y') && w === `${l.slice(0, -1)}ies`)) infl = '3sg';
      else infl = 'past';
      break;
    default:
      if (w === l) infl = 'positive';
      else if (w.endsWith('est')) infl = 'superlative';
      else if (w.endsWith('er')) infl = 'comparative';
      else infl = 'other';
  }
  return `${t.pos}/${infl}`;
}

/** Vocabulary form of a word: lower case, except proper nouns (as written). */
function vocabForm(t: TaggedToken): string {
  return t.pos === 'PROPN' ? t.text : t.text.toLowerCase();
}

/** class → its distinct words (first-seen order of the lower-case forms, then sorted for determinism). */
export function syntVocabulary(tagged: ReadonlyArray<readonly TaggedToken[]>): Map<string, string[]> {
  const seen = new Map<string, Map<string, string>>();
  for (const s of tagged) {
    for (const t of s) {
      const c = inflectionClass(t);
      if (c === null) continue;
      let m = seen.get(c);
      if (!m) { m = new Map(); seen.set(c, m); }
      const key = t.text.toLowerCase();
      if (!m.has(key)) m.set(key, vocabForm(t));
    }
  }
  const out = new Map<string, string[]>();
  for (const [c, m] of [...seen].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    out.set(c, [...m.values()].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : a < b ? -1 : a > b ? 1 : 0)));
  }
  return out;
}

/** `word` with the case of `like`: all caps, capitalised, or unchanged. */
export function matchCase(word: string, like: string): string {
  if (like.length > 1 && like === like.toUpperCase() && like !== like.toLowerCase()) return word.toUpperCase();
  const first = like.charAt(0);
  if (first !== first.toLowerCase()) return word.charAt(0).toUpperCase() + word.slice(1);
  return word;
}

/**
 * The K variants of every sample: `variants[k][i]` is variant k of sample i (`tagged[i]`).
 * See the module comment for the rules.
 */
export function syntVariants(tagged: ReadonlyArray<readonly TaggedToken[]>, k: number, seed: number): string[][] {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`syntVariants: k must be a positive integer, got ${k}`);
  const vocab = syntVocabulary(tagged);
  const rng = new MT19937(seed);
  const out: string[][] = [];
  for (let v = 0; v < k; v++) {
    out.push(tagged.map((toks) => joinTokens(toks.map((t) => {
      const c = inflectionClass(t);
      if (c === null) return t;
      const words = vocab.get(c)!;
      const self = words.findIndex((w) => w.toLowerCase() === t.text.toLowerCase());
      let pick: number;
      if (words.length === 1) pick = 0;
      else if (self < 0) pick = rng.randomInterval(words.length - 1);
      else { pick = rng.randomInterval(words.length - 2); if (pick >= self) pick++; }
      return { space: t.space, text: matchCase(words[pick], t.text) };
    }))));
  }
  return out;
}

/** The variants as a table a reader can open: sample, block, original text, variant 1 … K (tab-separated). */
export function syntVariantsTsv(texts: readonly string[], blocks: readonly string[], variants: readonly string[][]): string {
  const clean = (s: string): string => s.replace(/\s+/g, ' ').trim();
  const head = ['sample', 'block', 'original', ...variants.map((_, k) => `variant_${k + 1}`)].join('\t');
  const rows = texts.map((t, i) => [String(i), clean(blocks[i]), clean(t), ...variants.map((v) => clean(v[i]))].join('\t'));
  return [head, ...rows].join('\n') + '\n';
}
