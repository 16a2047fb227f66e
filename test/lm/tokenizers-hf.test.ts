/**
 * tokenizer.json tokenizers of every family (byte-level BPE, SentencePiece BPE with byte fallback,
 * Unigram + Metaspace, WordPiece) give transformers' ids on every Pereira, Fedorenko and Blank text
 * (reference: scripts/make-tokenizer-fixtures.py with transformers' AutoTokenizer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../src/data/errors.js';
import { loadHfTokenizer } from '../../src/features/lm/hf-tokenizer.js';

const DIR = fileURLToPath(new URL('../fixtures/lm/tokenizers/', import.meta.url));
type Family = { class: string; empty: number[]; ids_head: number[][]; fnv_ids: string; fnv_ids_no_special: string; n_ids: number };
const ref = JSON.parse(readFileSync(join(DIR, 'reference.json'), 'utf8')) as { texts: string[]; families: Record<string, Family> };

/** 32-bit FNV-1a over the UTF-8 bytes of s (as the fixture script). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

function hashes(b64: string): Uint32Array {
  const buf = Buffer.from(b64, 'base64');
  return new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

test('the fixture covers every family and all texts', () => {
  assert.deepEqual(Object.keys(ref.families).sort(), ['bert', 'gpt2', 'llama2', 'llama3', 'mistral', 'qwen2', 'roberta', 't5', 'xlmr']);
  assert.ok(ref.texts.length > 2000);
});

for (const [name, fam] of Object.entries(ref.families)) {
  test(`${name} (${fam.class}): ids with and without special tokens equal transformers' on every text`, () => {
    const tok = loadHfTokenizer(join(DIR, name));
    const withSp = hashes(fam.fnv_ids);
    const noSp = hashes(fam.fnv_ids_no_special);
    assert.equal(withSp.length, ref.texts.length);
    let n = 0;
    ref.texts.forEach((text, i) => {
      const { ids, special } = tok.encodeWithSpecial(text);
      if (i < fam.ids_head.length) assert.deepEqual(ids, fam.ids_head[i], `text ${i} ${JSON.stringify(text)}`);
      assert.equal(fnv1a(ids.join(' ')), withSp[i], `text ${i} ${JSON.stringify(text)}: ${ids.join(' ')}`);
      const plain = tok.encode(text);
      assert.equal(fnv1a(plain.join(' ')), noSp[i], `text ${i} (no special tokens) ${JSON.stringify(text)}`);
      // Removing the special tokens leaves exactly the text's ids.
      assert.deepEqual(ids.filter((_, k) => !special[k]), plain);
      n += ids.length;
    });
    assert.equal(n, fam.n_ids);
    assert.deepEqual(tok.encodeWithSpecial('').ids, fam.empty);
    assert.equal(tok.specialCount(), fam.empty.length);
  });
}

test('a missing or broken tokenizer.json is an InputError naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-tok-'));
  assert.throws(() => loadHfTokenizer(dir), (e: unknown) => e instanceof InputError && e.message === `${join(dir, 'tokenizer.json')}: tokenizer: no such file; expected the model's tokenizer.json`);
  writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
  assert.throws(() => loadHfTokenizer(dir), (e: unknown) => e instanceof InputError && e.message.startsWith(`${join(dir, 'tokenizer.json')}: tokenizer: is not valid JSON`));
  writeFileSync(join(dir, 'tokenizer.json'), '{"version": "1.0"}');
  assert.throws(() => loadHfTokenizer(dir), (e: unknown) => e instanceof InputError && e.message === `${join(dir, 'tokenizer.json')}: model: missing; expected a tokenizer.json with a "model" object`);
});
