/**
 * WORD (word:vectors=…): Σ of static vectors over each sample's lemmas (wink-nlp), from a text
 * vectors file or .npy + vocab; dereferenced Pereira text (deref=) and text=<file>; words without a
 * vector counted in one warning; bad files as one-line errors. References are closed-form sums of
 * the vectors written in the test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerBuiltinFeatures } from '../../src/features/builtin.js';
import { buildTerm, getFeature } from '../../src/features/registry.js';
import { parseTerm } from '../../src/features/spec.js';
import { setLexicalWarningSink } from '../../src/features/lexical/register.js';
import { tagText } from '../../src/features/lexical/nlp.js';
import { encodeNpy } from '../../src/io/npy.js';
import { InputError } from '../../src/data/errors.js';
import { termInputFiles } from '../../src/pipeline/sweep/plan.js';
import { FIXTURE, textDataset } from '../lm/helpers.js';

registerBuiltinFeatures();

const VEC: Record<string, number[]> = {
  the: [1, 0, 0], dog: [0, 1, 0], dogs: [0, 100, 0], run: [0, 0, 1], ran: [0, 0, 100],
  cat: [2, 2, 0], sleep: [0, 3, 3], beekeeper: [5, 0, 5], it: [7, 7, 7], be: [0.5, 0.5, 0.5],
};

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'brainmap-word-'));
}

function writeText(d: string, vec: Record<string, number[]>, name = 'vectors.txt', header = false): string {
  const p = join(d, name);
  const lines = Object.entries(vec).map(([w, v]) => `${w} ${v.join(' ')}`);
  writeFileSync(p, (header ? `${lines.length} 3\n` : '') + lines.join('\n') + '\n');
  return p;
}

async function build(spec: string, texts: string[], blocks?: string[], experiment?: string[]): Promise<{ data: number[][]; warnings: string[] }> {
  const ds = textDataset(texts, blocks ?? texts.map((_, i) => `b${i}`));
  if (experiment) ds.samples.experiment = experiment;
  const warnings: string[] = [];
  const prev = setLexicalWarningSink((l) => warnings.push(l));
  try {
    const m = await buildTerm(parseTerm(spec), { dataset: ds });
    return { data: Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols))), warnings };
  } finally {
    setLexicalWarningSink(prev);
  }
}

const sum = (...ws: string[]): number[] => ws.reduce((a, w) => a.map((x, k) => x + VEC[w][k]), [0, 0, 0]);

test('wink-nlp gives lemma and UD POS per token, and the whitespace to rebuild the text', () => {
  const toks = tagText('The dogs ran, and the cat sleeps.');
  assert.deepEqual(toks.map((t) => [t.text, t.lemma, t.pos]), [
    ['The', 'the', 'DET'], ['dogs', 'dog', 'NOUN'], ['ran', 'run', 'VERB'], [',', ',', 'PUNCT'], ['and', 'and', 'CCONJ'],
    ['the', 'the', 'DET'], ['cat', 'cat', 'NOUN'], ['sleeps', 'sleep', 'VERB'], ['.', '.', 'PUNCT'],
  ]);
  assert.equal(toks.map((t) => t.space + t.text).join(''), 'The dogs ran, and the cat sleeps.');
});

test('word: the sum of the lemmas\' vectors (dogs → dog, ran → run), punctuation left out', async () => {
  const d = dir();
  const p = writeText(d, VEC);
  const r = await build(`word:vectors=${p}`, ['The dogs ran.', 'The cat sleeps, the dog ran!']);
  assert.deepEqual(r.data, [sum('the', 'dog', 'run'), sum('the', 'cat', 'sleep', 'the', 'dog', 'run')]);
  assert.deepEqual(r.warnings, []);
  // pool=mean divides by the words found.
  const m = await build(`word:vectors=${p}:pool=mean`, ['The dogs ran.']);
  assert.deepEqual(m.data, [sum('the', 'dog', 'run').map((x) => x / 3)]);
});

test('word: a word2vec header and .npy + vocab give the same sums as the text file', async () => {
  const d = dir();
  const texts = ['The dogs ran.', 'The cat sleeps.'];
  const expected = [sum('the', 'dog', 'run'), sum('the', 'cat', 'sleep')];
  assert.deepEqual((await build(`word:vectors=${writeText(d, VEC, 'w2v.txt', true)}`, texts)).data, expected);
  const words = Object.keys(VEC);
  const npy = join(d, 'vectors.npy');
  writeFileSync(npy, encodeNpy(Float32Array.from(words.flatMap((w) => VEC[w])), [words.length, 3]));
  const vocab = join(d, 'vocab.txt');
  writeFileSync(vocab, words.join('\n') + '\n');
  assert.deepEqual((await build(`word:vectors=${npy}:vocab=${vocab}`, texts)).data, expected);
});

test('word: words without a vector are skipped and counted in one warning line naming the file', async () => {
  const d = dir();
  const p = writeText(d, VEC);
  const r = await build(`word:vectors=${p}`, ['The zebras ran.', 'Quokkas quokka.']);
  assert.deepEqual(r.data, [sum('the', 'run'), [0, 0, 0]]);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], new RegExp(`^warning: ${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: word: 3 of 5 words have no vector`));
  assert.match(r.warnings[0], /zebra/);
  assert.match(r.warnings[0], /1 sample\(s\) have none and get the zero vector/);
});

test('word: deref=<dir> reads Pereira\'s dereferenced sentences, aligned through stimuli_<exp>sentences.txt', async () => {
  const d = dir();
  const p = writeText(d, VEC);
  writeFileSync(join(d, 'stimuli_243sentences.txt'), 'It ran.\nThe cat sleeps.\n');
  writeFileSync(join(d, 'stimuli_243sentences_dereferencedpronouns.txt'), 'The beekeeper ran.\nThe cat sleeps.\n');
  // Dataset order differs from the file's.
  const r = await build(`word:vectors=${p}:deref=${d}`, ['The cat sleeps.', 'It ran.'], ['a', 'a'], ['243', '243']);
  assert.deepEqual(r.data, [sum('the', 'cat', 'sleep'), sum('the', 'beekeeper', 'run')]);
  const t = join(d, 'text.txt');
  writeFileSync(t, 'The dogs ran.\nIt ran.\n');
  assert.deepEqual((await build(`word:vectors=${p}:text=${t}`, ['x y', 'z'])).data, [sum('the', 'dog', 'run'), sum('it', 'run')]);
});

test('word: bad files and terms are one-line errors naming the file, the field and what was expected', async () => {
  const d = dir();
  const bad = join(d, 'bad.txt');
  writeFileSync(bad, 'the 1 0 0\ndog 0 1\n');
  const one = async (spec: string, re: RegExp, texts = ['The dog ran.']): Promise<void> => {
    await assert.rejects(build(spec, texts), (e: unknown) => e instanceof InputError && re.test(e.message) && !e.message.includes('\n'));
  };
  await one(`word:vectors=${bad}`, new RegExp(`^${bad}: line 2: word "dog" has 2 values; expected 3`));
  writeFileSync(join(d, 'nan.txt'), 'the 1 0 0\ndog 0 x 0\n');
  await one(`word:vectors=${join(d, 'nan.txt')}`, /nan\.txt: line 2: value 2 of "dog" is "x"; expected a finite number$/);
  await one(`word:vectors=${join(d, 'none.txt')}`, /none\.txt: vectors: no such file or directory$/);
  const npy = join(d, 'v.npy');
  writeFileSync(npy, encodeNpy(new Float32Array(6), [2, 3]));
  await one(`word:vectors=${npy}`, /v\.npy: vocab: a \.npy vectors file needs vocab=<file>/);
  writeFileSync(join(d, 'vocab.txt'), 'the\ndog\ncat\n');
  await one(`word:vectors=${npy}:vocab=${join(d, 'vocab.txt')}`, /vocab\.txt: lines: has 3 words; expected 2, one per row of .*v\.npy$/);
  await one('word', /"word": missing vectors=</);
  writeFileSync(join(d, 'other.txt'), 'zebra 1 2 3\n');
  await one(`word:vectors=${join(d, 'other.txt')}`, /other\.txt: vectors: none of the dataset's 5 words has a vector for its lemma or form; expected vectors covering its vocabulary/, ['The dog ran.', 'A cat.']);
  await one(`word:vectors=${writeText(d, VEC)}:pool=max`, /pool=max; expected pool=sum or pool=mean/);
  await one(`word:vectors=${writeText(d, VEC)}:text=${join(d, 'vocab.txt')}`, /vocab\.txt: lines: has 3 lines; expected 1, one per sample/);
  writeFileSync(join(d, 'stimuli_243sentences.txt'), 'The dog ran.\n');
  writeFileSync(join(d, 'stimuli_243sentences_dereferencedpronouns.txt'), 'The dog ran.\nextra\n');
  await assert.rejects(build(`word:vectors=${writeText(d, VEC)}:deref=${d}`, ['The dog ran.'], ['a'], ['243']), /dereferencedpronouns\.txt: lines: has 2 sentences; expected 1/);
  await assert.rejects(build(`word:vectors=${writeText(d, VEC)}:deref=${d}`, ['The dog ran.'], ['a'], ['']), /deref= needs Pereira2018 experiments 243\/384/);
});

test('word, sense and synt are registered with their parameters', () => {
  assert.deepEqual([...getFeature('word').params].sort(), ['deref', 'pool', 'text', 'vectors', 'vocab']);
  assert.ok(getFeature('sense').params.includes('vectors'));
  assert.ok(getFeature('synt').params.includes('k'));
});

test('a sweep job\'s key covers the files word, sense and synt read (vectors, vocab, text, dereferenced sentences, the model\'s files)', () => {
  const d = dir();
  writeFileSync(join(d, 'stimuli_243sentences.txt'), 'x\n');
  writeFileSync(join(d, 'stimuli_243sentences_dereferencedpronouns.txt'), 'x\n');
  assert.deepEqual(termInputFiles(parseTerm(`word:vectors=${d}/v.npy:vocab=${d}/w.txt:deref=${d}`)),
    [`${d}/v.npy`, `${d}/w.txt`, join(d, 'stimuli_243sentences.txt'), join(d, 'stimuli_243sentences_dereferencedpronouns.txt')]);
  const model = join(FIXTURE);
  const files = termInputFiles(parseTerm(`synt:${model}:layer=1:text=${d}/t.txt`));
  assert.equal(files[0], `${d}/t.txt`);
  assert.ok(files.includes(join(model, 'config.json')) && files.some((f) => f.endsWith('.safetensors')), files.join(', '));
  assert.deepEqual(termInputFiles(parseTerm(`sense:${model}:untrained:vectors=${d}/s.txt`)).slice(0, 2), [`${d}/s.txt`, join(model, 'config.json')]);
});
