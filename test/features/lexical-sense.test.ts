/**
 * SENSE (sense:<encoder>:vectors=<LMMS file>): the LMMS recipe against an independent reference,
 * scripts/make-sense-fixture.py (transformers + numpy on the lm zoo's tiny seeded RoBERTa): word-by-word
 * ids, mean of layers 1…L, subword mean, cosine to the (lemma, POS) candidates of a synthetic
 * inventory whose right senses are known (test/fixtures/lexical/senses.txt), sum per sample. Also
 * the counted words without candidates and the one-line errors for bad inventories.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerBuiltinFeatures } from '../../src/features/builtin.js';
import { buildTerm } from '../../src/features/registry.js';
import { parseTerm } from '../../src/features/spec.js';
import { setLexicalWarningSink } from '../../src/features/lexical/register.js';
import { tagText } from '../../src/features/lexical/nlp.js';
import { clearWordVectorMemo, wordInputs } from '../../src/features/lexical/contextual.js';
import { senseFeatures } from '../../src/features/lexical/sense.js';
import { readSenseInventory } from '../../src/features/lexical/vectors.js';
import { loadHfTokenizer } from '../../src/features/lm/hf-tokenizer.js';
import { takeFeatureArtifacts } from '../../src/features/artifacts.js';
import { InputError } from '../../src/data/errors.js';
import { assertClose, textDataset } from '../lm/helpers.js';

registerBuiltinFeatures();
// Word vectors are cached on disk: keep them out of the working tree.
process.env.BRAINMAP_CACHE = mkdtempSync(join(tmpdir(), 'brainmap-sense-cache-'));

const FIX = fileURLToPath(new URL('../fixtures/', import.meta.url));
const SENSES = join(FIX, 'lexical', 'senses.txt');
type Expected = {
  samples: Array<{ text: string; tokens: Array<{ text: string; space: string; lemma: string; pos: string }> }>;
  input_ids: number[][];
  dim: number;
  choices: Array<Array<{ token: number; sense: string | null; cosine?: number }>>;
  words: number;
  missing: number;
  features: number[][];
  block: { blocks: string[]; input_ids: number[][]; choices: Expected['choices']; features: number[][] };
};
const EXP = JSON.parse(readFileSync(join(FIX, 'lexical', 'sense-expected.json'), 'utf8')) as Expected;

/** The zoo RoBERTa with its tokenizer fixture, as one model folder. */
function robertaFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-sense-'));
  for (const f of ['config.json', 'model.safetensors']) symlinkSync(join(FIX, 'lm', 'zoo', 'roberta', f), join(dir, f));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) symlinkSync(join(FIX, 'lm', 'tokenizers', 'roberta', f), join(dir, f));
  return dir;
}

async function build(spec: string, texts: string[], blocks?: string[]): Promise<{ data: Float64Array; cols: number; warnings: string[] }> {
  const warnings: string[] = [];
  const prev = setLexicalWarningSink((l) => warnings.push(l));
  try {
    const m = await buildTerm(parseTerm(spec), { dataset: textDataset(texts, blocks ?? texts.map((_, i) => `b${i}`)) });
    return { data: m.data, cols: m.cols, warnings };
  } finally {
    setLexicalWarningSink(prev);
  }
}

const texts = EXP.samples.map((s) => s.text);

test('the fixture\'s tokens, lemmas and POS are what wink-nlp gives; word-by-word ids are the reference\'s', () => {
  const tok = loadHfTokenizer(join(FIX, 'lm', 'tokenizers', 'roberta'));
  EXP.samples.forEach((s, i) => {
    const tagged = tagText(s.text);
    assert.deepEqual(tagged.map((t) => ({ text: t.text, space: t.space, lemma: t.lemma, pos: t.pos })), s.tokens, s.text);
    assert.deepEqual(wordInputs(tagged, tok).ids, EXP.input_ids[i], `ids of "${s.text}"`);
  });
});

test('sense: picks the reference\'s senses (known right ones: cosine 1, the POS-mismatched verb sense not taken) and sums them', async () => {
  const dir = robertaFolder();
  takeFeatureArtifacts();
  const r = await build(`sense:${dir}:vectors=${SENSES}`, texts);
  assert.equal(r.cols, EXP.dim);
  assertClose(r.data, EXP.features.flat(), 'sense features', 1e-4);
  // The reference's known answers: bank in sample 0 → the noun sense built from it, in sample 1 → its own.
  assert.equal(EXP.choices[0][1].sense, 'bank%1:17:01::');
  assert.equal(EXP.choices[1][0].sense, 'bank%1:14:00::');
  // Every choice, from the artifact table.
  const art = takeFeatureArtifacts().find((a) => a.name === 'sense-choices.tsv');
  assert.ok(art, 'sense-choices.tsv recorded');
  const rows = art.content.trim().split('\n').slice(1).map((l) => l.split('\t'));
  const got = rows.map((c) => [Number(c[0]), Number(c[1]), c[5] === '' ? null : c[5]]);
  const want = EXP.choices.flatMap((cs, i) => cs.map((c) => [i, c.token, c.sense]));
  assert.deepEqual(got, want);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], new RegExp(`: sense: ${EXP.missing} of ${EXP.words} words have no sense for their \\(lemma, POS\\) \\(mud/n\\)`));
});

test('sense:…:context=block embeds each block\'s samples as one input (reference: the same recipe on the joined words)', async () => {
  const dir = robertaFolder();
  takeFeatureArtifacts();
  const r = await build(`sense:${dir}:vectors=${SENSES}:context=block`, texts, EXP.block.blocks);
  assertClose(r.data, EXP.block.features.flat(), 'sense features, block context', 1e-4);
  const art = takeFeatureArtifacts().find((a) => a.name === 'sense-choices.tsv')!;
  const got = art.content.trim().split('\n').slice(1).map((l) => l.split('\t')).map((c) => [Number(c[0]), Number(c[1]), c[5] === '' ? null : c[5]]);
  assert.deepEqual(got, EXP.block.choices.flatMap((cs, i) => cs.map((c) => [i, c.token, c.sense])));
  // Context changes a choice: "banks" of sample 2 goes to the other noun sense.
  assert.notEqual(EXP.block.choices[2][0].sense, EXP.choices[2][0].sense);
  await assert.rejects(build(`sense:${dir}:vectors=${SENSES}:context=passage`, texts), /context=passage; expected context=sample/);
});

test('sense: word vectors come back from the disk cache; a damaged entry is reported in one line and recomputed', async () => {
  const dir = robertaFolder();
  const cache = mkdtempSync(join(tmpdir(), 'brainmap-sense-cache2-'));
  const prev = process.env.BRAINMAP_CACHE;
  process.env.BRAINMAP_CACHE = cache;
  try {
    clearWordVectorMemo();
    const first = await build(`sense:${dir}:vectors=${SENSES}`, texts);
    const files = readdirSync(join(cache, 'words'));
    assert.deepEqual(files.map((f) => f.replace(/^[0-9a-f]{32}/, 'KEY')).sort(), ['KEY.json', 'KEY.npy']);
    clearWordVectorMemo();
    const again = await build(`sense:${dir}:vectors=${SENSES}`, texts);
    assert.deepEqual(Array.from(again.data), Array.from(first.data));
    assert.ok(!again.warnings.some((w) => w.includes('cache')));
    const npy = join(cache, 'words', files.find((f) => f.endsWith('.npy'))!);
    const bytes = readFileSync(npy);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(npy, bytes);
    clearWordVectorMemo();
    const fixed = await build(`sense:${dir}:vectors=${SENSES}`, texts);
    assert.deepEqual(Array.from(fixed.data), Array.from(first.data));
    const w = fixed.warnings.filter((l) => l.includes('word vector cache'));
    assert.equal(w.length, 1);
    assert.match(w[0], /^warning: .*\.npy: word vector cache: content does not match its sha256; recomputing$/);
  } finally {
    process.env.BRAINMAP_CACHE = prev;
  }
});

test('sense matching alone: cosine argmax within (lemma, POS) on given word vectors (closed form)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-sense-'));
  const p = join(dir, 's.txt');
  // bank noun: two senses; bank verb equal to the query (must not be picked for a NOUN).
  writeFileSync(p, 'bank%2:40:00:: 1 0\nbank%1:17:01:: 0 1\nbank%1:14:00:: 1 1\nold%5:00:00:young:00 3 0\n');
  const inv = readSenseInventory(p);
  assert.deepEqual(inv.senses.map((s) => s.pos), ['v', 'n', 'n', 'a']);
  const tagged = [tagText('The old bank.')];
  // q for "bank" = (1, 0): cos to (0,1) = 0, to (1,1) = 0.707 → bank%1:14:00::; "old" → its only (satellite) sense.
  const vecs = [[null, Float32Array.of(5, 5), Float32Array.of(1, 0), null]];
  const r = senseFeatures(tagged, vecs, inv);
  assert.deepEqual(r.choices[0].map((c) => c.sense), ['old%5:00:00:young:00', 'bank%1:14:00::']);
  assert.deepEqual(Array.from(r.features.data), [4, 1]);
});

test('sense: bad inventories and a dimension mismatch are one-line errors naming the file and what was expected', async () => {
  const dir = robertaFolder();
  const d = mkdtempSync(join(tmpdir(), 'brainmap-sense-bad-'));
  const one = async (content: string, re: RegExp): Promise<void> => {
    const p = join(d, `inv-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(p, content);
    await assert.rejects(build(`sense:${dir}:vectors=${p}`, texts), (e: unknown) => e instanceof InputError && re.test(e.message) && !e.message.includes('\n'));
  };
  await one('bank%1:14:00:: 1 2 3\n', /: dimension: the sense vectors have 3 values; expected 32, the hidden size of /);
  await one('bank%1:14:00:: 1 2 3\nbank 1 2 3\n', /inv-\w+\.txt: line 2: "bank" is not a WordNet sense key; expected lemma%ss_type:lex_filenum:lex_id:head_word:head_id/);
  await one('bank%1:14:00:: 1 2 3\nbank%1:17:01:: 1 2\n', /line 2: sensekey "bank%1:17:01::" has 2 values; expected 3/);
  await one('bank%1:14:00:: 1 2 3\nbank%1:17:01:: 1 2 3 4\n', /line 2: sensekey "bank%1:17:01::" has 4 values; expected 3/);
  await one('', /no vectors found; expected lines of "<sensekey> <v1> … <vd>"/);
  await one(`zebra%1:05:00:: ${Array.from({ length: 32 }, () => '1').join(' ')}\n`, /inv-\w+\.txt: senses: none of the dataset's 16 content words has a sense for its \(lemma, POS\); expected sense keys such as bank%1:…, approve%2:…$/);
  await assert.rejects(build(`sense:vectors=${SENSES}`, texts), /expected sense:<encoder folder/);
  await assert.rejects(build(`sense:${dir}:vectors=${SENSES}:layers=0-9`, texts), /layers=0-9; expected <lo>-<hi> with 0 ≤ lo ≤ hi ≤ 2/);
  await assert.rejects(build(`sense:${join(d, 'nope')}:vectors=${SENSES}`, texts), /nope: model: no such folder/);
});
