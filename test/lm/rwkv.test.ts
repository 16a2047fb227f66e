/**
 * RWKV-4 forward pass against transformers' RwkvModel in eval mode (output_hidden_states=True) for
 * a tiny seeded model with rescale_every = 2 (scripts/make-lm-zoo-fixtures.py): float32 and
 * bfloat16-stored weights, every state (blocks 1 … 3 and ln_out), native and portable backends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/data/errors.js';
import { openArchitecture, readArchitectureShape } from '../../src/features/lm/architectures.js';
import { parseRwkvConfig, RwkvModel } from '../../src/features/lm/rwkv.js';
import { getBackend } from '../../src/linalg/index.js';
import { f32, relErr, ZOO } from './helpers.js';

type Expected = { input_ids: number[][]; float32: string[][]; bfloat16: string[][]; final_norm_in_last: boolean };

for (const backendName of ['native', 'portable'] as const) {
  for (const dtype of ['float32', 'bfloat16'] as const) {
    test(`rwkv (${dtype} weights, ${backendName}): every hidden state matches transformers (eval mode) to 1e-5 relative`, async () => {
      const exp = JSON.parse(readFileSync(join(ZOO, 'rwkv', 'expected.json'), 'utf8')) as Expected;
      assert.equal(exp.final_norm_in_last, true);
      const model = new RwkvModel(join(ZOO, dtype === 'float32' ? 'rwkv' : 'rwkv-bf16'));
      const states = await model.hiddenStates(exp.input_ids, getBackend(backendName));
      exp.input_ids.forEach((_, s) => {
        assert.equal(states[s].length, 4);
        states[s].forEach((h, l) => {
          const e = relErr(h, f32(exp[dtype][s][l]));
          assert.ok(e <= 1e-5, `sample ${s} layer ${l}: relative error ${e.toExponential(2)}`);
        });
      });
    });
  }
}

test('rwkv folders go through the registry; config defaults as RwkvConfig', () => {
  const a = openArchitecture(join(ZOO, 'rwkv'));
  assert.equal(a.modelType, 'rwkv');
  assert.equal(a.causal, true);
  assert.equal(a.nLayer, 3);
  assert.deepEqual(readArchitectureShape(join(ZOO, 'rwkv')).causal, true);
  const c = parseRwkvConfig({ model_type: 'rwkv', hidden_size: 8 }, 'c.json');
  assert.deepEqual(c, { nLayer: 32, hiddenSize: 8, attentionSize: 8, intermediateSize: 32, vocabSize: 50277, layerNormEps: 1e-5, rescaleEvery: 6, tieWordEmbeddings: false });
  assert.throws(() => parseRwkvConfig({ model_type: 'rwkv', rescale_every: -1 }, 'c.json'), (e: unknown) => e instanceof InputError && e.message === 'c.json: rescale_every: expected an integer ≥ 0, got -1');
});
