/**
 * Fedorenko2016 sample text (issue 11 point 2): the paper ran GPT-2 on sentences_ordered.txt
 * ("Alex was tired so he took a nap."), not on the assembly's upper-case words. Reference:
 * test/fixtures/reference/fedorenko_token_counts.json, written by
 * scripts/reference/fedorenko_token_counts.py (transformers' GPT2TokenizerFast on that file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAssembly } from '../../src/io/assemblies.js';
import { loadDataset } from '../../src/io/dataset.js';
import { getDatasetNotes } from '../../src/io/notes.js';
import { r50kTokenizer } from '../../src/features/lm/tokenizer.js';
import { tokenizeSamples } from '../../src/features/lm/extract.js';
import { rejects, tempDir } from './helpers.js';

const DATA = fileURLToPath(new URL('../../../shared/data/fedorenko2016/', import.meta.url));
const REAL = join(DATA, 'fedorenko2016.nc');
const ORDERED = join(DATA, 'sentences_ordered.txt');
const REF = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/reference/fedorenko_token_counts.json', import.meta.url)), 'utf8')) as {
  per_word: number[][];
  per_sentence: number[];
  ids: number[][][];
};

test('fedorenko text: per-word GPT-2 tokens of all 52 sentences equal GPT2TokenizerFast on sentences_ordered.txt', async () => {
  const d = await readAssembly(REAL);
  const { samples } = tokenizeSamples(d.samples.text, d.samples.block, r50kTokenizer());
  assert.equal(samples.length, 416);
  const counts = Array.from({ length: 52 }, (_, s) => samples.slice(8 * s, 8 * s + 8).map((x) => x.nCurrent));
  assert.deepEqual(counts, REF.per_word);
  // The first sentence: 9 tokens as written (12 for "ALEX WAS TIRED SO HE TOOK A NAP").
  assert.equal(counts[0].reduce((a, b) => a + b, 0), 9);
  const ids = Array.from({ length: 52 }, (_, s) => samples.slice(8 * s, 8 * s + 8).map((x) => x.ids.slice(x.ids.length - x.nCurrent)));
  assert.deepEqual(ids, REF.ids);
  // Whole sentences (context of word 8 + its own tokens) tokenise as the sentence does.
  assert.deepEqual(Array.from({ length: 52 }, (_, s) => samples[8 * s + 7].ids.length), REF.per_sentence);
  const notes = getDatasetNotes(d);
  assert.match(notes?.text ?? '', /^the paper's text \(sentences_ordered\.txt: "Alex was tired so he took a nap\."\), rebuilt from the upper-case assembly coordinate 'word'/);
});

test('fedorenko text: --stimuli sentences_ordered.txt gives the same words; ::text=assembly keeps the stored words', async () => {
  const byDefault = await readAssembly(REAL);
  const fromFile = await loadDataset(`fedorenko2016:${REAL}`, { stimuli: ORDERED });
  assert.deepEqual(fromFile.samples.text, byDefault.samples.text);
  assert.equal(getDatasetNotes(fromFile)?.text, `${ORDERED} (its words as written, matched to the assembly's words in sentence_id order)`);
  const inSpec = await loadDataset(`fedorenko2016:${REAL}::stimuli=${ORDERED}`);
  assert.deepEqual(inSpec.samples.text, byDefault.samples.text);
  const stored = await loadDataset(`fedorenko2016:${REAL}::text=assembly`);
  assert.equal(stored.samples.text.slice(0, 8).join(' '), 'ALEX WAS TIRED SO HE TOOK A NAP');
  assert.equal(stored.samples.text.slice(408).join(' '), 'WHEN JOHN CAME HOME HIS DAD WAS THERE');
  assert.deepEqual(fromFile.y, byDefault.y);
});

test('fedorenko text: a stimuli file that does not fit the assembly is one error line', async () => {
  const dir = tempDir();
  const lines = readFileSync(ORDERED, 'utf8').trimEnd().split('\n');
  const short = join(dir, 'short.txt');
  writeFileSync(short, lines.slice(1).join('\n') + '\n');
  await rejects(loadDataset(`fedorenko2016:${REAL}`, { stimuli: short }), `${short}: lines: has 51 lines, expected 52 (one sentence per line, in sentence_id order, as in sentences_ordered.txt)`);
  const swapped = join(dir, 'swapped.txt');
  writeFileSync(swapped, [lines[1], lines[0], ...lines.slice(2)].join('\n') + '\n');
  await rejects(loadDataset(`fedorenko2016:${REAL}`, { stimuli: swapped }), `${swapped}: line 1: word 2 is 'wore', expected 'WAS' up to case and punctuation (the sentences must follow ${REAL} in sentence_id order)`);
  const extra = join(dir, 'extra.txt');
  writeFileSync(extra, [`${lines[0]} Then`, ...lines.slice(1)].join('\n') + '\n');
  await rejects(loadDataset(`fedorenko2016:${REAL}`, { stimuli: extra }), `${extra}: line 1: has 9 words, expected 8 (the words of sentence 1 of ${REAL}: ALEX WAS TIRED SO HE TOOK A NAP)`);
  await rejects(loadDataset(`fedorenko2016:${REAL}::text=lower`), `fedorenko2016:${REAL}::text=lower: text: is 'lower'; expected text=paper (the paper's sentences, default) or text=assembly (the words as stored)`);
  await rejects(loadDataset(`fedorenko2016:${REAL}::text=assembly`, { stimuli: ORDERED }), `fedorenko2016:${REAL}::text=assembly: text: given with a stimuli file; give one of them`);
});
