import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getEncoding } from 'js-tiktoken';
import { InputError } from '../../src/data/errors.js';
import { bytesToUnicode, loadTokenizer, r50kTokenizer, readTokenizerJson, readVocabMerges } from '../../src/features/lm/tokenizer.js';
import { FIXTURE, tempDir } from './helpers.js';

const TRICKY = [
  '',
  'Hello world',
  "I'm sure they'll say it's theirs, we've, you'd, I'M, 'twas",
  "don't DON'T rock'n'roll O'Neill ''quoted''",
  'They may spend 8 to 10 hours; 3.14159, 1,000,000 and 2024-06-01.',
  'numbers123abc 42nd ½ ² ٣ 一二三',
  'multiple   spaces\tand\ttabs\n\nnew lines   \n  trailing   ',
  '   leading spaces',
  'unicode: café naïve Zürich Ελληνικά русский 日本語 🧠🤖 emoji👍🏽 family 👨‍👩‍👧',
  'punctuation!!! ?? ... --- ((x)) [y] {z} <|notspecial|> @#$%^&*',
  'Text with <|endoftext|> inside',
  'ſtraße ﬁne Ⅻ ㎏ a\u0301 \u00a0nbsp\u2003em\u200bzero',
  ' ',
  '\n',
];

test('bytes→unicode is GPT-2 map: printable bytes map to themselves, 256 distinct characters', () => {
  const m = bytesToUnicode();
  assert.equal(new Set(m).size, 256);
  assert.equal(m[0x41], 'A');
  assert.equal(m[0x20], 'Ġ');
  assert.equal(m[0x0a], 'Ċ');
  assert.equal(m[0xad], 'Ń');
});

test('own byte-level BPE (tokenizer.json and vocab.json + merges.txt) agrees with js-tiktoken r50k_base on tricky strings', () => {
  const ref = getEncoding('r50k_base');
  const fromJson = readTokenizerJson(join(FIXTURE, 'tokenizer.json'));
  const fromFiles = readVocabMerges(join(FIXTURE, 'vocab.json'), join(FIXTURE, 'merges.txt'));
  const fallback = r50kTokenizer();
  for (const s of TRICKY) {
    const want = ref.encode(s, 'all');
    assert.deepEqual(fromJson.encode(s), want, `tokenizer.json: ${JSON.stringify(s)}`);
    assert.deepEqual(fromFiles.encode(s), want, `vocab+merges: ${JSON.stringify(s)}`);
    assert.deepEqual(fallback.encode(s), want, `r50k fallback: ${JSON.stringify(s)}`);
  }
  assert.deepEqual(fromJson.encode('Text with <|endoftext|> inside').includes(50256), true);
  assert.deepEqual(fromJson.encode('Hello world'), [15496, 995]);
});

test('tokenizer choice: tokenizer.json, else vocab.json + merges.txt, else r50k_base', () => {
  assert.equal(loadTokenizer(FIXTURE).kind, 'tokenizer.json');
  assert.equal(loadTokenizer(tempDir()).kind, 'r50k_base');
  assert.equal(loadTokenizer(null).kind, 'r50k_base');
});

test('tokenizer files that are not GPT-2 byte-level BPE are InputErrors naming the file and field', () => {
  const dir = tempDir();
  const p = join(dir, 'tokenizer.json');
  writeFileSync(p, JSON.stringify({ model: { type: 'WordPiece', vocab: {} } }));
  assert.throws(() => readTokenizerJson(p), (e: unknown) => e instanceof InputError && e.message === `${p}: model.type: "WordPiece" is not supported; expected "BPE" (GPT-2 byte-level BPE)`);
  writeFileSync(p, '{not json');
  assert.throws(() => readTokenizerJson(p), /tokenizer\.json: tokenizer: is not valid JSON/);
  const v = join(dir, 'vocab.json');
  const m = join(dir, 'merges.txt');
  writeFileSync(v, JSON.stringify({ a: 0, b: 1 }));
  writeFileSync(m, '#version: 0.2\na b\n');
  assert.throws(() => readVocabMerges(v, m).encode('ab'), /no id for the BPE symbol "ab"/);
  writeFileSync(m, '#version: 0.2\na b c\n');
  assert.throws(() => readVocabMerges(v, m), /merges\.txt: line 2: "a b c" is not "left right"/);
});
