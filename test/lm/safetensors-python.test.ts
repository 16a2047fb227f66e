/**
 * The safetensors reader against files written by the Python `safetensors` package
 * (scripts/make-safetensors-fixtures.py): float32, float16 and bfloat16 files and a two-shard
 * checkpoint, every tensor equal bit for bit to torch's `tensor.float()`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../src/data/errors.js';
import { SafetensorsFile, SafetensorsModel } from '../../src/features/lm/safetensors.js';

const DIR = fileURLToPath(new URL('../fixtures/lm/safetensors/', import.meta.url));
type Expected = { tensors: Record<string, Record<string, { shape: number[]; bits: number[] }>> };
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Expected;

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

for (const dtype of ['f32', 'f16', 'bf16'] as const) {
  test(`${dtype} file written by Python safetensors reads as torch's float32 values`, () => {
    const f = SafetensorsFile.open(join(DIR, `${dtype}.safetensors`));
    const exp = expected.tensors[dtype];
    assert.deepEqual([...f.tensors.keys()].sort(), Object.keys(exp).sort());
    for (const [name, e] of Object.entries(exp)) {
      assert.deepEqual(f.tensors.get(name)?.shape, e.shape, name);
      assert.deepEqual(bits(f.read(name)), e.bits, name);
    }
  });
}

test('a two-shard bfloat16 checkpoint (model.safetensors.index.json) reads tensor by tensor from its shard', () => {
  const m = SafetensorsModel.open(join(DIR, 'sharded'));
  assert.equal(m.files.length, 2);
  const exp = expected.tensors.bf16;
  assert.deepEqual(m.names().sort(), Object.keys(exp).sort());
  for (const [name, e] of Object.entries(exp)) {
    assert.deepEqual(bits(m.get(name, e.shape)), e.bits, name);
    assert.match(m.find(name)?.file ?? '', /model-0000[12]-of-00002\.safetensors$/);
  }
  assert.throws(() => m.get('embed.weight', [4, 5]), (e: unknown) => e instanceof InputError
    && e.message === `${join(DIR, 'sharded', 'model-00001-of-00002.safetensors')}: embed.weight: has shape [5, 4]; expected [4, 5] from config.json`);
  assert.throws(() => m.get('nope.weight', [3]), (e: unknown) => e instanceof InputError
    && e.message === `${join(DIR, 'sharded')} (2 shards): nope.weight: missing tensor (expected shape [3])`);
});

test('getRows reads only the rows asked for (embedding lookups), equal to the rows of the whole tensor', () => {
  const m = SafetensorsModel.open(join(DIR, 'sharded'));
  const e = expected.tensors.bf16['embed.weight'];
  const rows = m.getRows('embed.weight', [5, 4], [3, 0, 3, 4]);
  assert.deepEqual(bits(rows), [3, 0, 3, 4].flatMap((r) => e.bits.slice(r * 4, r * 4 + 4)));
  assert.throws(() => m.getRows('embed.weight', [4, 5], [0]), (err: unknown) => err instanceof InputError && err.message.includes('has shape [5, 4]; expected [4, 5]'));
  assert.throws(() => m.getRows('embed.weight', [5, 4], [5]), /row 5 is outside 0 … 4/);
});
