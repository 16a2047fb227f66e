import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/data/errors.js';
import { SafetensorsFile, SafetensorsModel, toFloat32 } from '../../src/features/lm/safetensors.js';
import { Gpt2Model, SafetensorsGpt2Weights } from '../../src/features/lm/gpt2.js';
import { getBackend } from '../../src/linalg/index.js';
import { FIXTURE, tempDir } from './helpers.js';

type Entry = { name: string; dtype: string; shape: number[]; bytes: Uint8Array };

/** Builds a safetensors file by the spec: u64 LE header length, JSON header, data. */
function safetensors(entries: Entry[], opts: { pad?: boolean } = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let off = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + e.bytes.length] };
    off += e.bytes.length;
  }
  let json = JSON.stringify(header);
  if (opts.pad !== false) json += ' '.repeat((8 - (json.length % 8)) % 8);
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  let p = 8 + h.length;
  for (const e of entries) { out.set(e.bytes, p); p += e.bytes.length; }
  return out;
}

const f32 = (v: number[]): Uint8Array => new Uint8Array(new Float32Array(v).buffer);
const f64 = (v: number[]): Uint8Array => new Uint8Array(new Float64Array(v).buffer);
const u16 = (v: number[]): Uint8Array => new Uint8Array(new Uint16Array(v).buffer);

test('F32, F64, F16 and BF16 tensors convert to f32', () => {
  const dir = tempDir();
  const p = join(dir, 'model.safetensors');
  writeFileSync(p, safetensors([
    { name: 'a', dtype: 'F32', shape: [2, 2], bytes: f32([1, -2, 0.5, 3.25]) },
    // half: 1.0 = 0x3c00, -2 = 0xc000, 65504 = 0x7bff, smallest subnormal 2^-24 = 0x0001, 0.333 ≈ 0x3555
    { name: 'h', dtype: 'F16', shape: [5], bytes: u16([0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555]) },
    // bfloat16: upper half of the f32 bits: 1.0 = 0x3f80, -2.5 = 0xc020, 3.140625 = 0x4049
    { name: 'b', dtype: 'BF16', shape: [3], bytes: u16([0x3f80, 0xc020, 0x4049]) },
    { name: 'd', dtype: 'F64', shape: [2], bytes: f64([0.1, -1e10]) },
    { name: 'i', dtype: 'I64', shape: [1], bytes: new Uint8Array(8) },
  ], { pad: false }));
  const f = SafetensorsFile.open(p);
  assert.deepEqual(Array.from(f.read('a')), [1, -2, 0.5, 3.25]);
  assert.deepEqual(Array.from(f.read('h')), [1, -2, 65504, 2 ** -24, Math.fround(0.333251953125)]);
  assert.deepEqual(Array.from(f.read('b')), [1, -2.5, 3.140625]);
  assert.deepEqual(Array.from(f.read('d')), [Math.fround(0.1), Math.fround(-1e10)]);
  assert.throws(() => f.read('i'), (e: unknown) => e instanceof InputError && e.message === `${p}: i: dtype I64 is not supported; expected F32, F16, BF16 or F64`);
  assert.throws(() => f.read('zzz'), (e: unknown) => e instanceof InputError && e.message === `${p}: zzz: missing tensor`);
  // Unaligned bytes are copied, not viewed.
  const raw = new Uint8Array(9);
  raw.set(f32([7, 8]), 1);
  assert.deepEqual(Array.from(toFloat32(raw.subarray(1), 'F32')), [7, 8]);
});

test('bad headers are InputErrors naming the file and the header or tensor', () => {
  const dir = tempDir();
  const p = join(dir, 'x.safetensors');
  const expectError = (bytes: Uint8Array, re: RegExp): void => {
    writeFileSync(p, bytes);
    assert.throws(() => SafetensorsFile.open(p), (e: unknown) => e instanceof InputError && re.test(e.message), String(re));
  };
  expectError(new Uint8Array(4), new RegExp(`^${p}: header: file has 4 bytes`));
  const big = new Uint8Array(16);
  new DataView(big.buffer).setBigUint64(0, 1000n, true);
  expectError(big, new RegExp(`^${p}: header: header length 1000 is impossible for a file of 16 bytes`));
  const notJson = new Uint8Array(8 + 4);
  new DataView(notJson.buffer).setBigUint64(0, 4n, true);
  notJson.set(new TextEncoder().encode('{bad'), 8);
  expectError(notJson, new RegExp(`^${p}: header: is not valid UTF-8 JSON`));
  const good = safetensors([{ name: 'w', dtype: 'F32', shape: [3], bytes: f32([1, 2, 3]) }]);
  expectError(good.subarray(0, good.length - 4), new RegExp(`^${p}: w: data_offsets \\[0, 12\\] run past the end of the data`));
  expectError(safetensors([{ name: 'w', dtype: 'F32', shape: [4], bytes: f32([1, 2, 3]) }]), /w: data_offsets \[0, 12\] hold 12 bytes; shape \[4\] of F32 needs 16/);
  expectError(safetensors([{ name: 'w', dtype: 'Q4', shape: [1], bytes: new Uint8Array(1) }]), /w: dtype "Q4" is not a safetensors dtype/);
  assert.throws(() => SafetensorsFile.open(join(dir, 'missing.safetensors')), /missing\.safetensors: weights: no such file or directory/);
});

/** Fixture tensors re-encoded: `transformer.` prefix, given dtype, split over `shards` files. */
function rewriteFixture(dir: string, opts: { prefix: string; dtype: 'F32' | 'F16' | 'BF16'; shards: number; drop?: string }): void {
  const src = SafetensorsFile.open(join(FIXTURE, 'model.safetensors'));
  const names = [...src.tensors.keys()].filter((n) => n !== opts.drop);
  const entries: Entry[] = names.map((name) => {
    const v = src.read(name);
    let bytes: Uint8Array;
    if (opts.dtype === 'F32') bytes = new Uint8Array(v.slice().buffer);
    else if (opts.dtype === 'BF16') {
      const bits = new Uint32Array(v.slice().buffer);
      bytes = u16(Array.from(bits, (b) => b >>> 16));
    } else {
      bytes = u16(Array.from(v, (x) => f16bits(x)));
    }
    return { name: opts.prefix + name, dtype: opts.dtype, shape: src.tensors.get(name)!.shape, bytes };
  });
  rmSync(join(dir, 'model.safetensors'), { force: true });
  if (opts.shards === 1) {
    writeFileSync(join(dir, 'model.safetensors'), safetensors(entries));
    return;
  }
  const weightMap: Record<string, string> = {};
  const per = Math.ceil(entries.length / opts.shards);
  for (let s = 0; s < opts.shards; s++) {
    const file = `model-0000${s + 1}-of-0000${opts.shards}.safetensors`;
    const part = entries.slice(s * per, (s + 1) * per);
    for (const e of part) weightMap[e.name] = file;
    writeFileSync(join(dir, file), safetensors(part));
  }
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
}

/** Round-to-nearest-even float → IEEE half bits (normal range only; enough for these weights). */
function f16bits(x: number): number {
  const f = new Float32Array([x]);
  const b = new Uint32Array(f.buffer)[0];
  const sign = (b >>> 16) & 0x8000;
  const e = ((b >>> 23) & 0xff) - 127 + 15;
  let m = b & 0x7fffff;
  if (e <= 0) return sign; // underflow to zero (fine for a test)
  let h = sign | (e << 10) | (m >>> 13);
  m &= 0x1fff;
  if (m > 0x1000 || (m === 0x1000 && (h & 1))) h++;
  return h;
}

test('sharded checkpoints with the transformer. prefix load and give the same states as the single file', async () => {
  const ids = [464, 3290, 318, 257, 1332, 13];
  const ref = await new Gpt2Model(new SafetensorsGpt2Weights(FIXTURE), getBackend()).forward(ids);
  const dir = tempDir();
  cpSync(FIXTURE, dir, { recursive: true });
  rewriteFixture(dir, { prefix: 'transformer.', dtype: 'F32', shards: 3 });
  const w = new SafetensorsGpt2Weights(dir);
  assert.equal(w.st.files.length, 3);
  const got = await new Gpt2Model(w, getBackend()).forward(ids);
  for (let k = 0; k < ref.length; k++) assert.deepEqual(got[k], ref[k]);
  // BF16 and F16 versions of the same weights: close, not equal.
  for (const dtype of ['BF16', 'F16'] as const) {
    rewriteFixture(dir, { prefix: '', dtype, shards: 1 });
    rmSync(join(dir, 'model.safetensors.index.json'), { force: true });
    const st = new Gpt2Model(new SafetensorsGpt2Weights(dir), getBackend());
    const out = await st.forward(ids);
    const tol = dtype === 'BF16' ? 0.05 : 0.005;
    for (let k = 0; k < ref.length; k++) {
      let num = 0;
      let den = 0;
      for (let i = 0; i < ref[k].length; i++) { num += (out[k][i] - ref[k][i]) ** 2; den += ref[k][i] ** 2; }
      assert.ok(Math.sqrt(num / den) < tol, `${dtype} layer ${k}: relative error ${Math.sqrt(num / den)}`);
    }
  }
});

test('a missing tensor names the file and the tensor; a shard listed in the index must hold its tensors', () => {
  const dir = tempDir();
  cpSync(FIXTURE, dir, { recursive: true });
  rewriteFixture(dir, { prefix: '', dtype: 'F32', shards: 1, drop: 'h.2.attn.c_proj.bias' });
  assert.throws(() => new SafetensorsGpt2Weights(dir), (e: unknown) => e instanceof InputError && e.message === `${join(dir, 'model.safetensors')}: h.2.attn.c_proj.bias: missing tensor (expected shape [32])`);
  rewriteFixture(dir, { prefix: '', dtype: 'F32', shards: 2, drop: 'ln_f.weight' });
  assert.throws(() => new SafetensorsGpt2Weights(dir), (e: unknown) => e instanceof InputError && e.message === `${dir} (2 shards): ln_f.weight: missing tensor (expected shape [32])`);
  const index = join(dir, 'model.safetensors.index.json');
  const raw = JSON.parse(readFileSync(index, 'utf8')) as { weight_map: Record<string, string> };
  raw.weight_map['h.9.extra'] = 'model-00001-of-00002.safetensors';
  writeFileSync(index, JSON.stringify(raw));
  assert.throws(() => SafetensorsModel.open(dir), /model-00001-of-00002\.safetensors: h\.9\.extra: missing tensor \(listed in .*index\.json\)/);
  const empty = tempDir();
  assert.throws(() => SafetensorsModel.open(empty), (e: unknown) => e instanceof InputError && e.message.startsWith(`${empty}: weights: no model.safetensors or model.safetensors.index.json`));
});
