/**
 * SYNT (synt:<model>:layer=…:k=…:seed=…): seeded variants that keep each sentence's tokens, POS and
 * inflection class and replace every content word by another word of the same class from the
 * dataset's vocabulary; the feature is the lm layer on the variants (block context from the
 * variants), averaged over K; the variants are written out (library call and the score output
 * folder).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulateDataset } from '../../src/data/simulate.js';
import { cliEntry } from '../cli-entry.js';
import { registerBuiltinFeatures } from '../../src/features/builtin.js';
import { buildTerm } from '../../src/features/registry.js';
import { parseFeatureSpec, parseTerm } from '../../src/features/spec.js';
import { expandGrid } from '../../src/features/grid.js';
import { tagSamples, tagText, tagTexts, type TaggedToken } from '../../src/features/lexical/nlp.js';
import { inflectionClass, matchCase, syntVariants, syntVocabulary } from '../../src/features/lexical/synt.js';
import { takeFeatureArtifacts } from '../../src/features/artifacts.js';
import { clearLmMemo } from '../../src/features/lm/cache.js';
import { FIXTURE, textDataset } from '../lm/helpers.js';

registerBuiltinFeatures();

const root = fileURLToPath(new URL('../../', import.meta.url));

const TEXTS = [
  'The old dogs were sleeping happily.',
  'A young cat sleeps quietly in the garden.',
  'The farmers planted seeds near the rivers.',
  'Mary walked slowly to the bigger house.',
  'The children saw tall trees and green fields.',
  'John reads new books every morning.',
];

test('inflection classes: tag plus number, verb form or degree, read off the word and its lemma', () => {
  const cls = (text: string): Array<string | null> => tagText(text).map(inflectionClass);
  assert.deepEqual(cls('The old dogs were sleeping happily.'), [null, 'ADJ/positive', 'NOUN/plural', null, 'VERB/ing', 'ADV/positive', null]);
  assert.deepEqual(cls('A young cat sleeps quietly in the garden.'), [null, 'ADJ/positive', 'NOUN/singular', 'VERB/3sg', 'ADV/positive', null, null, 'NOUN/singular', null]);
  // Plurals wink leaves unlemmatised still count as plural; singular -s nouns do not.
  const noun = (text: string): TaggedToken => ({ text, space: ' ', normal: text, lemma: text, pos: 'NOUN', type: 'word' });
  assert.equal(inflectionClass(noun('lawnmowers')), 'NOUN/plural');
  assert.equal(inflectionClass(noun('lens')), 'NOUN/singular');
  assert.equal(inflectionClass(noun('gas')), 'NOUN/singular');
  assert.equal(inflectionClass(noun('grass')), 'NOUN/singular');
  assert.equal(matchCase('dog', 'Cat'), 'Dog');
  assert.equal(matchCase('dog', 'CAT'), 'DOG');
  assert.equal(matchCase('Mary', 'john'), 'Mary');
});

test('samples are tagged in the context of their block (a word-by-word sentence is tagged as the sentence)', () => {
  const words = ['They', 'plant', 'seeds', 'in', 'spring.'];
  const byBlock = tagSamples(words, words.map(() => 's0'));
  assert.deepEqual(byBlock.map((ts) => ts.map((t) => [t.text, t.pos])), [[['They', 'PRON']], [['plant', 'VERB']], [['seeds', 'NOUN']], [['in', 'ADP']], [['spring', 'NOUN'], ['.', 'PUNCT']]]);
  assert.ok(byBlock.every((ts) => ts[0].space === ''));
  // Alone, "plant" is not a verb.
  assert.notEqual(tagText('plant')[0].pos, 'VERB');
  // Samples of different blocks are tagged apart.
  assert.deepEqual(tagSamples(['The dog ran.', 'It slept.'], ['a', 'b']), [tagText('The dog ran.'), tagText('It slept.')]);
});

test('synt variants keep every function word, token count and spacing, and draw each content word from its class (never itself when another exists)', () => {
  const tagged = tagTexts(TEXTS);
  const vocab = syntVocabulary(tagged);
  const K = 4;
  const variants = syntVariants(tagged, K, 7);
  assert.equal(variants.length, K);
  let replaced = 0;
  for (const v of variants) {
    assert.equal(v.length, TEXTS.length);
    v.forEach((text, i) => {
      const orig = tagged[i];
      // Rebuild the variant from the original tokens' spacing: same number of tokens, same separators.
      const words = text.split(/(\s+|(?=[.,!?])|(?<=[.,!?]))/).filter((s) => s !== '' && !/^\s+$/.test(s));
      assert.equal(words.length, orig.length, `"${text}" vs "${TEXTS[i]}"`);
      orig.forEach((t, k) => {
        const c = inflectionClass(t);
        if (c === null) { assert.equal(words[k], t.text, `function word ${k} of "${text}"`); return; }
        const pool = vocab.get(c)!;
        assert.ok(pool.some((w) => w.toLowerCase() === words[k].toLowerCase()), `"${words[k]}" (for ${t.text}) is a ${c} of the dataset`);
        if (pool.length > 1) { assert.notEqual(words[k].toLowerCase(), t.text.toLowerCase()); replaced++; }
        // Case follows the original word's.
        assert.equal(words[k].charAt(0) === words[k].charAt(0).toUpperCase(), t.text.charAt(0) === t.text.charAt(0).toUpperCase() || t.pos === 'PROPN');
      });
    });
  }
  assert.ok(replaced > 20);
  // Plural nouns only from plural nouns, e.g. "dogs" never becomes "cat".
  assert.deepEqual(vocab.get('NOUN/plural'), ['books', 'children', 'dogs', 'farmers', 'fields', 'rivers', 'seeds', 'trees']);
  // Seeded: the same seed gives the same variants, another seed others.
  assert.deepEqual(syntVariants(tagged, K, 7), variants);
  assert.notDeepEqual(syntVariants(tagged, K, 8), variants);
});

test('synt features are the mean over K of the lm layer on the variant passages (block context from the variants), and the variants are written out', async () => {
  clearLmMemo();
  const cache = mkdtempSync(join(tmpdir(), 'brainmap-synt-cache-'));
  const prevCache = process.env.BRAINMAP_CACHE;
  process.env.BRAINMAP_CACHE = cache;
  try {
    const blocks = ['p0', 'p0', 'p0', 'p1', 'p1', 'p1'];
    const ds = textDataset(TEXTS, blocks);
    takeFeatureArtifacts();
    const m = await buildTerm(parseTerm(`synt:${FIXTURE}:layer=1:k=3:seed=5:pool=mean`), { dataset: ds });
    const files = takeFeatureArtifacts();
    assert.deepEqual(files.map((f) => f.name), ['synt-variants-seed5-k3.tsv']);
    const rows = files[0].content.trim().split('\n').map((l) => l.split('\t'));
    assert.deepEqual(rows[0], ['sample', 'block', 'original', 'variant_1', 'variant_2', 'variant_3']);
    const variants = [3, 4, 5].map((c) => rows.slice(1).map((r) => r[c]));
    assert.deepEqual(variants, syntVariants(tagSamples(TEXTS, blocks), 3, 5));
    // Reference: lm:<model>:layer=1:pool=mean on each variant set as a dataset, then the mean.
    const ref = new Float64Array(m.data.length);
    for (const v of variants) {
      const lm = await buildTerm(parseTerm(`lm:${FIXTURE}:layer=1:pool=mean`), { dataset: textDataset(v, blocks) });
      for (let i = 0; i < ref.length; i++) ref[i] += lm.data[i] / 3;
    }
    assert.equal(m.rows, TEXTS.length);
    for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(m.data[i] - ref[i]) <= 1e-9 * Math.max(1, Math.abs(ref[i])), `element ${i}`);
    // Not the lm layer on the original text.
    const orig = await buildTerm(parseTerm(`lm:${FIXTURE}:layer=1:pool=mean`), { dataset: ds });
    assert.ok(orig.data.some((x, i) => Math.abs(x - m.data[i]) > 1e-3));
  } finally {
    if (prevCache === undefined) delete process.env.BRAINMAP_CACHE; else process.env.BRAINMAP_CACHE = prevCache;
  }
});

test('synt:<model>:layer=all is a grid over the model\'s hidden states 0…n_layer', () => {
  const { axis, specs } = expandGrid(parseFeatureSpec(`synt:${FIXTURE}:layer=all:k=2`));
  const nLayer = (JSON.parse(readFileSync(join(FIXTURE, 'config.json'), 'utf8')) as { n_layer: number }).n_layer;
  assert.deepEqual(axis?.values, Array.from({ length: nLayer + 1 }, (_, i) => i));
  assert.equal(specs[1].bands[0].terms[0].params.layer, '1');
  assert.equal(specs[1].bands[0].terms[0].params.k, '2');
});

test('synt: bad terms are one-line errors', async () => {
  const ds = textDataset(TEXTS, TEXTS.map(() => 'p'));
  await assert.rejects(buildTerm(parseTerm(`synt:${FIXTURE}:layer=1:k=0`), { dataset: ds }), /k=0 is not an integer in 1…1000/);
  await assert.rejects(buildTerm(parseTerm(`synt:${FIXTURE}:layer=99`), { dataset: ds }), /layer=99 is not an integer/);
  await assert.rejects(buildTerm(parseTerm('synt:layer=1'), { dataset: ds }), /expected synt:<model folder/);
  await assert.rejects(buildTerm(parseTerm(`synt:${FIXTURE}:layer=1:sigma=2`), { dataset: ds }), /unknown argument "sigma"; synt takes/);
});

/** Runs `brainmap <args> --out <tmp>` with a synt:…:k=2:seed=3 term and checks the variants file it leaves there. */
function checkSyntVariantsWritten(command: string, args: string[]): void {
  const out = mkdtempSync(join(tmpdir(), `brainmap-synt-${command}-`));
  const cache = mkdtempSync(join(tmpdir(), 'brainmap-synt-cache-'));
  const r = spawnSync(process.execPath, [...cliEntry(), command, '--dataset', 'sim:fedorenko:units=0.1', ...args, '--out', out],
    { encoding: 'utf8', cwd: root, env: { ...process.env, BRAINMAP_CACHE: cache } });
  assert.equal(r.status, 0, r.stderr);
  const file = join(out, 'synt-variants-seed3-k2.tsv');
  assert.ok(existsSync(file), `${file} written`);
  const rows = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const d = simulateDataset('fedorenko', { units: 0.1 });
  const want = syntVariants(tagSamples(d.samples.text, d.samples.block), 2, 3);
  assert.equal(rows.length, d.y.rows + 1);
  assert.deepEqual(rows.slice(1).map((c) => [c[2], c[3], c[4]]), d.samples.text.map((t, i) => [t, want[0][i], want[1][i]]));
}

test('score --out writes the synt variants next to score.json', { timeout: 300_000 }, () => {
  checkSyntVariantsWritten('score', ['--features', `synt:${FIXTURE}:layer=1:k=2:seed=3`]);
});

test('partition --out writes the synt variants too (the one writer score, partition, audit and deconstruct share)', { timeout: 300_000 }, () => {
  checkSyntVariantsWritten('partition', ['--a', 'wp', '--b', `synt:${FIXTURE}:layer=1:k=2:seed=3`, '--alphas', '1,100']);
});
