/** The architecture registry: model_type → forward pass; unsupported types refused in one line. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/data/errors.js';
import { openArchitecture, SUPPORTED_MODEL_TYPES } from '../../src/features/lm/architectures.js';
import { Gpt2Model, SafetensorsGpt2Weights } from '../../src/features/lm/gpt2.js';
import { getBackend } from '../../src/linalg/index.js';
import { FIXTURE, ZOO } from './helpers.js';

test('unsupported or missing model_type: one line naming it and the supported list', () => {
  assert.deepEqual([...SUPPORTED_MODEL_TYPES], ['gpt2', 'gpt_neox', 'llama', 'mistral', 'qwen2', 'qwen3', 'bert', 'roberta', 'xlm-roberta', 't5', 'rwkv']);
  for (const mt of ['albert', 'xlnet', 'xlm', 'mamba']) {
    const dir = mkdtempSync(join(tmpdir(), 'brainmap-arch-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: mt }));
    assert.throws(() => openArchitecture(dir), (e: unknown) => e instanceof InputError
      && e.message === `${join(dir, 'config.json')}: model_type: "${mt}" is not supported; expected one of gpt2, gpt_neox, llama, mistral, qwen2, qwen3, bert, roberta, xlm-roberta, t5, rwkv`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-arch-'));
  writeFileSync(join(dir, 'config.json'), '{}');
  assert.throws(() => openArchitecture(dir), (e: unknown) => e instanceof InputError
    && e.message === `${join(dir, 'config.json')}: model_type: missing; expected one of gpt2, gpt_neox, llama, mistral, qwen2, qwen3, bert, roberta, xlm-roberta, t5, rwkv`);
});

test('llama-family folders dispatch to the Llama forward pass (transformers hidden states)', async () => {
  for (const name of ['llama', 'qwen3']) {
    const exp = JSON.parse(readFileSync(join(ZOO, name, 'expected.json'), 'utf8')) as { input_ids: number[][]; float32: string[][] };
    const m = openArchitecture(join(ZOO, name));
    assert.equal(m.modelType, name);
    assert.equal(m.nLayer, 2);
    const st = await m.hiddenStates(exp.input_ids.slice(1), getBackend('portable'));
    assert.equal(st[0].length, 3);
    const buf = Buffer.from(exp.float32[1][2], 'base64');
    const ref = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    let e = 0;
    for (let i = 0; i < ref.length; i++) e = Math.max(e, Math.abs(st[0][2][i] - ref[i]));
    assert.ok(e < 1e-4, `${name}: ${e}`);
  }
});

test('gpt2 folders dispatch to the GPT-2 forward pass, states split per sequence', async () => {
  const m = openArchitecture(FIXTURE);
  assert.equal(m.modelType, 'gpt2');
  const seqs = [[1, 2, 3], [4, 5]];
  const st = await m.hiddenStates(seqs, getBackend('portable'));
  const direct = new Gpt2Model(new SafetensorsGpt2Weights(FIXTURE), getBackend('portable'));
  for (let s = 0; s < 2; s++) {
    const ref = await direct.forward(seqs[s]);
    assert.equal(st[s].length, m.nLayer + 1);
    st[s].forEach((h, l) => {
      for (let i = 0; i < h.length; i++) assert.ok(Math.abs(h[i] - ref[l][i]) <= 1e-5 * (1 + Math.abs(ref[l][i])));
    });
  }
});
