/**
 * A seeded generator of simple English sentences for the simulated datasets. The word lists and
 * templates are written here (no corpus text is copied). Sentences are grammatical enough to read
 * and to tokenise, and vary in length (a planted effect depends on it).
 */
import { MT19937 } from '../random/mt19937.js';

const NAMES = ['Anna', 'Ben', 'Clara', 'David', 'Elena', 'Farid', 'Grace', 'Hugo', 'Iris', 'Jonas', 'Kemal', 'Lena', 'Marco', 'Nadia', 'Omar', 'Priya'];
const NOUNS = ['teacher', 'farmer', 'doctor', 'child', 'sailor', 'painter', 'baker', 'student', 'pilot', 'neighbour', 'driver', 'singer', 'nurse', 'gardener', 'writer', 'climber'];
const OBJECTS = ['a letter', 'the door', 'a small boat', 'the old map', 'a warm coat', 'the garden', 'a heavy box', 'the kitchen table', 'a red kite', 'the front window', 'a loaf of bread', 'the station clock', 'a paper lantern', 'the wooden bridge', 'a glass of water', 'the empty room'];
const VERBS = ['opened', 'painted', 'carried', 'found', 'cleaned', 'repaired', 'watched', 'described', 'moved', 'noticed', 'measured', 'visited', 'borrowed', 'followed', 'built', 'remembered'];
const ADVERBS = ['slowly', 'carefully', 'quietly', 'early', 'again', 'happily', 'at last', 'without a word'];
const PLACES = ['near the river', 'in the village', 'after the storm', 'before dinner', 'on a cold morning', 'behind the school', 'during the festival', 'at the harbour', 'under the bridge', 'in the mountains'];
const CLAUSES = ['because it was late', 'while the rain fell', 'although nobody asked', 'when the bell rang', 'so that everyone could see', 'as the sun went down'];

function pick<T>(rng: MT19937, xs: readonly T[]): T {
  return xs[rng.randomInterval(xs.length - 1)];
}

function subject(rng: MT19937): string {
  return rng.randomDouble() < 0.4 ? pick(rng, NAMES) : `the ${pick(rng, NOUNS)}`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** One sentence of roughly 5–18 words, ending with a period. */
export function makeSentence(rng: MT19937): string {
  const parts = [subject(rng), pick(rng, VERBS), pick(rng, OBJECTS)];
  if (rng.randomDouble() < 0.5) parts.push(pick(rng, ADVERBS));
  if (rng.randomDouble() < 0.6) parts.push(pick(rng, PLACES));
  if (rng.randomDouble() < 0.35) parts.push(pick(rng, CLAUSES));
  return `${capitalise(parts.join(' '))}.`;
}

/** One sentence of exactly `n` words (n ≥ 3), ending with a period (Fedorenko-style stimuli). */
export function makeSentenceOfLength(rng: MT19937, n: number): string {
  if (n < 3) throw new RangeError(`makeSentenceOfLength: n must be ≥ 3 (got ${n})`);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const words = makeSentence(rng).slice(0, -1).split(' ');
    if (words.length >= n) return `${words.slice(0, n).join(' ')}.`;
  }
  throw new Error('makeSentenceOfLength: could not reach the requested length');
}

/** A story as a stream of words (for TR-chunked listening datasets). */
export function makeStoryWords(rng: MT19937, nWords: number): string[] {
  const words: string[] = [];
  while (words.length < nWords) words.push(...makeSentence(rng).split(' '));
  return words.slice(0, nWords);
}

/** Lower-case word forms without punctuation (the vocabulary key used by content effects). */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().split(/\s+/).map((w) => w.replace(/[^a-z0-9']/g, '')).filter((w) => w !== '');
}
