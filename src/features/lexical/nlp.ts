/**
 * Lemmas and parts of speech for the lexical features (WORD, SENSE, SYNT; METHODS §3.5), from
 * wink-nlp with its English model wink-eng-lite-web-model (both MIT, pure JavaScript, on npm, no
 * network or native code at run time). The paper used spaCy `en_core_web_trf`; wink is the
 * maintained offline npm library closest to it: the same Universal Dependencies POS tag set,
 * tokenisation that splits clitics ("'s", "'ve") and punctuation, and a lemmatiser keyed on the
 * POS tag (wink reports ≈ 95 % POS accuracy on WSJ; spaCy's transformer pipeline is more
 * accurate, e.g. wink may tag "select" in "…, and select the best ways" as ADJ).
 *
 * A text is tagged as a whole (sentence splitting included); the features tag each block (passage,
 * sentence, story) as one text and give every sample its own tokens (tagSamples). A token keeps
 * the whitespace before it, so joining `space + text` over the tokens gives the text back (up to
 * its leading whitespace).
 */
import { createRequire } from 'node:module';

/** One token of a tagged text. */
export interface TaggedToken {
  /** The token as written. */
  text: string;
  /** Whitespace before it in the text ('' for the first token and for clitics/punctuation attached to the previous token). */
  space: string;
  /** Lower-case form (wink's `normal`: lower case, "'ve" → "have"). */
  normal: string;
  /** Lemma, lower case (wink's lemmatiser). */
  lemma: string;
  /** Universal Dependencies POS tag: NOUN, VERB, ADJ, ADV, PROPN, PRON, DET, ADP, AUX, PUNCT, NUM, … */
  pos: string;
  /** wink token type: 'word', 'number', 'punctuation', 'symbol', 'emoji', … */
  type: string;
}

/** The content tags (SYNT replaces these; WORD/SENSE's candidate POS come from them). */
export const CONTENT_TAGS: ReadonlySet<string> = new Set(['NOUN', 'VERB', 'ADJ', 'ADV', 'PROPN']);

type WinkFn = typeof import('wink-nlp').default;
type Wink = ReturnType<WinkFn>;
let nlp: Wink | undefined;
const memo = new Map<string, TaggedToken[]>();

function pipeline(): Wink {
  if (nlp) return nlp;
  // Loaded on first use (the model is a few MB of JavaScript; the CLI should not pay it at start).
  const require = createRequire(import.meta.url);
  const winkNLP = require('wink-nlp') as WinkFn;
  const model = require('wink-eng-lite-web-model') as Parameters<WinkFn>[0];
  // Sentence boundaries and POS are all the lemmatiser needs (NER, negation and sentiment are left out).
  nlp = winkNLP(model, ['sbd', 'pos']);
  return nlp;
}

/** Tokens of one text with lemma and POS (memoised per text). */
export function tagText(text: string): TaggedToken[] {
  const hit = memo.get(text);
  if (hit) return hit;
  const w = pipeline();
  const its = w.its;
  const doc = w.readDoc(text);
  const toks = doc.tokens();
  const values = toks.out() as string[];
  const spaces = toks.out(its.precedingSpaces) as string[];
  const normals = toks.out(its.normal) as string[];
  // (wink's typings give its.lemma a third parameter that out() does not declare.)
  const lemmas = toks.out(its.lemma as unknown as typeof its.normal) as string[];
  const pos = toks.out(its.pos) as string[];
  const types = toks.out(its.type) as string[];
  const out = values.map((v, i) => ({ text: v, space: i === 0 ? '' : spaces[i], normal: normals[i], lemma: lemmas[i].toLowerCase(), pos: pos[i], type: types[i] }));
  if (memo.size > 100000) memo.clear();
  memo.set(text, out);
  return out;
}

/** Every text tagged on its own (in order). */
export function tagTexts(texts: readonly string[]): TaggedToken[][] {
  return texts.map(tagText);
}

/**
 * Every sample's tokens, tagged in the context of its block: the block's texts (trimmed) are
 * joined with one space and tagged as one text, and each token goes to the sample its characters
 * come from (the first token of a sample gets space ''). So a word-by-word dataset (Fedorenko2016:
 * one word per sample, the sentence as block) or TR chunks (Blank2014) are tagged as the
 * sentences they belong to, not as isolated words. A block whose tokens do not fall within its
 * samples' characters (a token across a sample boundary) is tagged sample by sample instead.
 */
export function tagSamples(texts: readonly string[], blocks: readonly string[]): TaggedToken[][] {
  if (texts.length !== blocks.length) throw new RangeError(`tagSamples: ${texts.length} texts but ${blocks.length} block labels`);
  const out: TaggedToken[][] = new Array<TaggedToken[]>(texts.length);
  for (let start = 0; start < texts.length;) {
    let end = start + 1;
    while (end < texts.length && blocks[end] === blocks[start]) end++;
    const byBlock = end - start > 1 ? splitBlock(texts.slice(start, end)) : null;
    for (let i = start; i < end; i++) out[i] = byBlock ? byBlock[i - start] : tagText(texts[i]);
    start = end;
  }
  return out;
}

/** The block's texts tagged as one text and split back per sample, or null when tokens cross a sample boundary. */
function splitBlock(texts: readonly string[]): TaggedToken[][] | null {
  const parts = texts.map((t) => t.trim());
  const joined = parts.join(' ');
  const starts: number[] = [];
  let pos = 0;
  for (const p of parts) { starts.push(pos); pos += p.length + 1; }
  const lists: TaggedToken[][] = parts.map(() => []);
  let off = 0;
  let s = 0;
  for (const t of tagText(joined)) {
    off += t.space.length;
    if (joined.slice(off, off + t.text.length) !== t.text) return null;
    while (s + 1 < parts.length && off >= starts[s + 1]) s++;
    if (off < starts[s] || off + t.text.length > starts[s] + parts[s].length) return null;
    lists[s].push(lists[s].length === 0 ? { ...t, space: '' } : t);
    off += t.text.length;
  }
  return lists.every((l, i) => l.length > 0 || parts[i] === '') ? lists : null;
}

/** Tokens that are words for the features (not punctuation, symbols or emoji; numbers count). */
export function isWordToken(t: TaggedToken): boolean {
  return t.pos !== 'PUNCT' && t.pos !== 'SYM' && t.type !== 'punctuation' && t.type !== 'symbol' && t.type !== 'emoji' && t.type !== 'emoticon';
}

/** A tagged text written back: `space + text` over the tokens. */
export function joinTokens(tokens: ReadonlyArray<Pick<TaggedToken, 'space' | 'text'>>): string {
  return tokens.map((t) => t.space + t.text).join('');
}
