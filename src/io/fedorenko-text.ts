/**
 * The text of Fedorenko2016 samples (one word each). The Brain-Score assembly stores every word in
 * upper case without the final period ("ALEX WAS TIRED SO HE TOOK A NAP"); the paper ran GPT-2 on
 * its `fedorenko_data/sentences_ordered.txt` ("Alex was tired so he took a nap."), which METHODS
 * §1.2 says was rebuilt from those words: first letter of each sentence capitalised, the rest lower
 * case, "." appended to word 8, and a few proper nouns fixed by hand. This module applies the same
 * rules (no sentence text is shipped: the words come from the assembly, and the hand-fixed proper
 * nouns are the four mid-sentence names of that file), or takes the words of a stimuli file.
 */
import { inputError } from '../data/errors.js';
import { readSentenceLines } from './pereira.js';

/**
 * Words written capitalised inside a sentence in the paper's sentences_ordered.txt (all other
 * words after the first are lower case there, e.g. "timmy", "tuesday").
 */
export const FEDORENKO_PROPER_NOUNS: ReadonlySet<string> = new Set(['SAM', 'LARRY', 'HANNAH', 'JOHN']);

/** Where the text of a Fedorenko2016 dataset comes from. */
export type FedorenkoTextSource = 'paper' | 'assembly';

/** True when a word has letters and none of them is lower case (how Brain-Score stores the words). */
function isUpperCaseWord(w: string): boolean {
  return /\p{Lu}/u.test(w) && !/\p{Ll}/u.test(w);
}

function capitalise(w: string): string {
  const lower = w.toLowerCase();
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}

/**
 * The paper's text of one sentence from its upper-case words (word k of a sentence, k = 0..n−1):
 * word 0 and the proper nouns capitalised, other words lower case, "." after the last word.
 */
export function paperSentenceWords(words: readonly string[]): string[] {
  return words.map((w, k) => {
    const out = k === 0 || FEDORENKO_PROPER_NOUNS.has(w.toUpperCase()) ? capitalise(w) : w.toLowerCase();
    return k === words.length - 1 && !/[.!?]$/.test(out) ? `${out}.` : out;
  });
}

/** The comparison form of a word: upper case, without punctuation around it. */
function wordKey(w: string): string {
  return w.replace(/^[^\p{L}\p{N}']+|[^\p{L}\p{N}']+$/gu, '').toUpperCase();
}

/**
 * Sample text for Fedorenko2016 rows in (sentence, word) order. `sentences[s]` are the assembly's
 * words of sentence s (in word order). Returns the text per row and a note saying where it came
 * from (for `inspect`).
 *
 *  - `stimuli` given: a file with one sentence per line, in sentence_id order, each with exactly
 *    the sentence's words separated by whitespace; every word must equal the assembly's word up to
 *    case and surrounding punctuation. Its words are used as written.
 *  - `source` 'paper' (default): when every word is upper case, the paper's text rebuilt by
 *    `paperSentenceWords`; otherwise the words as stored (they already have their casing).
 *  - `source` 'assembly': the words as stored.
 */
export function fedorenkoText(sentences: readonly (readonly string[])[], opts: { path: string; textCoord: string; source: FedorenkoTextSource; stimuli?: string }): { text: string[]; note: string } {
  const nWords = sentences.reduce((a, s) => a + s.length, 0);
  if (opts.stimuli !== undefined) {
    const file = opts.stimuli;
    const lines = readSentenceLines(file);
    if (lines.length !== sentences.length) {
      throw inputError(file, 'lines', `has ${lines.length} line${lines.length === 1 ? '' : 's'}, expected ${sentences.length} (one sentence per line, in sentence_id order, as in sentences_ordered.txt)`);
    }
    const text: string[] = [];
    lines.forEach((line, s) => {
      const words = line.trim().split(/\s+/);
      const want = sentences[s];
      if (words.length !== want.length) {
        throw inputError(file, `line ${s + 1}`, `has ${words.length} words, expected ${want.length} (the words of sentence ${s + 1} of ${opts.path}: ${want.join(' ')})`);
      }
      words.forEach((w, k) => {
        if (wordKey(w) !== wordKey(want[k])) {
          throw inputError(file, `line ${s + 1}`, `word ${k + 1} is '${w}', expected '${want[k]}' up to case and punctuation (the sentences must follow ${opts.path} in sentence_id order)`);
        }
      });
      text.push(...words);
    });
    return { text, note: `${file} (its words as written, matched to the assembly's words in sentence_id order)` };
  }
  const stored = sentences.flat();
  if (opts.source === 'assembly') {
    return { text: stored, note: `assembly coordinate '${opts.textCoord}' as stored (chosen with ::text=assembly)` };
  }
  if (!stored.every(isUpperCaseWord)) {
    return { text: stored, note: `assembly coordinate '${opts.textCoord}' as stored (not all upper case, so used as written)` };
  }
  const text = sentences.flatMap((s) => paperSentenceWords(s));
  const changed = text.filter((t, k) => t !== stored[k]).length;
  return {
    text,
    note: `the paper's text (sentences_ordered.txt: "${sentences.length > 0 ? paperSentenceWords(sentences[0]).join(' ') : ''}"), rebuilt from the upper-case assembly coordinate '${opts.textCoord}': sentence case, proper nouns ${[...FEDORENKO_PROPER_NOUNS].map(capitalise).join(', ')}, "." after each sentence's last word (${changed} of ${nWords} words recased; ::text=assembly keeps them as stored; --stimuli <file> takes another text)`,
  };
}
