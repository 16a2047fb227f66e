import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readWordVectors } from '../../src/io/glove.js';
import { alignSentences, bagOfWords, embeddingTokens, poolWordVectors } from '../../src/features/embeddings.js';
import { pereiraGlove } from '../../src/features/pereira-glove.js';
import { pereiraPassages } from '../../src/data/pereira-design.js';
import type { Dataset } from '../../src/data/dataset.js';

const pereiraDir = fileURLToPath(new URL('../../../shared/data/pereira2018/', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'brainmap-emb-'));

test('tokenisation: lower case, edge punctuation stripped, possessive split', () => {
  assert.deepEqual(embeddingTokens("It is in every beekeeper's interest, (really)."), ['it', 'is', 'in', 'every', 'beekeeper', "'s", 'interest', 'really']);
  assert.deepEqual(embeddingTokens('  '), []);
});

test('GloVe text format and word2vec header; sum and mean pooling; unknown words skipped', () => {
  const dir = tmp();
  const p = join(dir, 'vec.txt');
  writeFileSync(p, 'the 1 0\ncat 0 2\nsat 1 1\n');
  const wv = readWordVectors(p);
  assert.equal(wv.dim, 2);
  const { features, unknownTokens, emptySamples } = poolWordVectors(['The cat sat.', 'Zebra!', 'cat cat'], wv, 'sum');
  assert.deepEqual(Array.from(features.data), [2, 3, 0, 0, 0, 4]);
  assert.equal(unknownTokens, 1);
  assert.equal(emptySamples, 1);
  assert.deepEqual(Array.from(poolWordVectors(['The cat sat.'], wv, 'mean').features.data), [2 / 3, 1]);
  const w2v = join(dir, 'w2v.txt');
  writeFileSync(w2v, '2 3\na 1 2 3\nb 4 5 6\n');
  assert.equal(readWordVectors(w2v).index.size, 2);
  writeFileSync(w2v, '3 3\na 1 2 3\nb 4 5 6\n');
  assert.throws(() => readWordVectors(w2v), { message: `${w2v}: header: declares 3 words, the file has 2` });
  writeFileSync(p, 'the 1 0\ncat 0\n');
  assert.throws(() => readWordVectors(p), { message: `${p}: line 2: word "cat" has 1 values; expected 2 (format: one word then its vector, space-separated)` });
  writeFileSync(p, 'the 1 x\n');
  assert.throws(() => readWordVectors(p), { message: `${p}: line 1: value 2 of "the" is "x"; expected a finite number` });
});

test('bag of words counts tokens over the dataset vocabulary (sorted)', () => {
  const d = { samples: { text: ['b a b', 'c'] }, y: { rows: 2 }, source: 't' } as unknown as Dataset;
  assert.deepEqual(Array.from(bagOfWords(d, 'sum').data), [1, 2, 0, 0, 0, 1]);
});

/** The 627 Pereira sentences in the analysis order with the passage design (no responses needed). */
function pereiraTextDataset(text: string[]): Dataset {
  const experiment: string[] = [];
  for (const p of pereiraPassages()) for (let s = 0; s < p.nSentences; s++) experiment.push(p.experiment);
  const n = text.length;
  return {
    name: 'pereira-text', source: 'pereira-text', y: { rows: n, cols: 1, data: new Float64Array(n) },
    samples: { stimulusId: text.map((_, i) => String(i)), text, block: text.map((_, i) => String(i)), position: new Int32Array(n), experiment, fold: null },
    units: { id: ['u'], subject: ['s'], network: [''], coords: null }, design: { kind: 'labels' }, shuffleOrder: [],
  };
}

const lines = (f: string) => readFileSync(join(pereiraDir, f), 'utf8').split('\n').filter((l) => l.trim() !== '');

test('the Pereira GloVe sentence vectors are aligned to the analysis order by sentence text (627 of 627)', () => {
  const text = lines('sentences_ordered.txt');
  assert.equal(text.length, 627);
  const x = pereiraGlove(pereiraTextDataset(text), pereiraDir);
  assert.deepEqual([x.rows, x.cols], [627, 300]);
  // Row 0 of the analysis order ("Astronauts train a long time for their spacewalks.") is line k of stimuli_243sentences.txt.
  const stim243 = lines('stimuli_243sentences.txt');
  const vec243 = lines('glove_sentence_vectors_243.txt');
  const k = stim243.indexOf(text[0]);
  assert.ok(k >= 0);
  assert.deepEqual(Array.from(x.data.subarray(0, 3)), vec243[k].trim().split(/\s+/).slice(0, 3).map(Number));
  // "bunches" (presented) vs "bunchs" (Pereira's list): aligned by word overlap, not dropped.
  const i = text.findIndex((t) => t.includes('bunches'));
  const stim384 = lines('stimuli_384sentences.txt');
  const vec384 = lines('glove_sentence_vectors_384.txt');
  const j = stim384.findIndex((t) => t.includes('bunchs'));
  assert.deepEqual(Array.from(x.data.subarray(i * 300, i * 300 + 3)), vec384[j].trim().split(/\s+/).slice(0, 3).map(Number));
});

test('a sentence that matches nothing fails loudly, naming it', () => {
  const text = lines('sentences_ordered.txt');
  text[5] = 'Completely unrelated words about quantum gravity.';
  assert.throws(() => pereiraGlove(pereiraTextDataset(text), pereiraDir), (e: Error) => {
    assert.match(e.message, /stimuli_243sentences\.txt: sentences: no row matches the dataset's sentence 5 "Completely unrelated words about quantum gravity\." \(best word overlap 0\.\d\d; expected an exact or near-exact match\)/);
    return true;
  });
  assert.throws(() => alignSentences(['a b c', 'a b c'], ['a b c', 'x y z'], 'src'), { message: 'src: sentences: row 0 "a b c" matches both dataset sentences 0 and 1' });
});
