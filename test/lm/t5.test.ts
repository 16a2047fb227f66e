/**
 * T5 encoders (ReLU and gated-GELU MLP) against transformers' T5EncoderModel hidden states for tiny
 * seeded models fed the t5 tokenizer fixture's ids (scripts/make-lm-zoo-fixtures.py), float32
 * and bfloat16-stored weights, every layer, native and portable backends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openArchitecture } from '../../src/features/lm/architectures.js';
import { T5EncoderModel, t5Bucket } from '../../src/features/lm/t5.js';
import { getBackend } from '../../src/linalg/index.js';
import { f32, relErr, ZOO } from './helpers.js';

type Expected = { input_ids: number[][]; float32: string[][]; bfloat16: string[][]; final_norm_in_last: boolean };

for (const backendName of ['native', 'portable'] as const) {
  for (const name of ['t5', 't5-gated']) {
    for (const dtype of ['float32', 'bfloat16'] as const) {
      test(`${name} encoder (${dtype} weights, ${backendName}): every hidden state matches transformers to 1e-5 relative`, async () => {
        const exp = JSON.parse(readFileSync(join(ZOO, name, 'expected.json'), 'utf8')) as Expected;
        assert.equal(exp.final_norm_in_last, true);
        const model = new T5EncoderModel(join(ZOO, dtype === 'float32' ? name : `${name}-bf16`));
        const states = await model.hiddenStates(exp.input_ids, getBackend(backendName));
        exp.input_ids.forEach((_, s) => {
          assert.equal(states[s].length, 3);
          states[s].forEach((h, l) => {
            const e = relErr(h, f32(exp[dtype][s][l]));
            assert.ok(e <= 1e-5, `sample ${s} layer ${l}: relative error ${e.toExponential(2)}`);
          });
        });
      });
    }
  }
}

test('relative position buckets equal transformers\' T5Attention._relative_position_bucket (32 buckets, distance 128)', () => {
  // T5Attention._relative_position_bucket(torch.tensor(rel), True, 32, 128)
  const rel = [-200, -128, -127, -64, -20, -9, -8, -7, -1, 0, 1, 7, 8, 9, 20, 64, 127, 128, 200];
  const ref = [15, 15, 15, 14, 10, 8, 8, 7, 1, 0, 17, 23, 24, 24, 26, 30, 31, 31, 31];
  assert.deepEqual(rel.map((r) => t5Bucket(r, 32, 128)), ref);
  assert.equal(openArchitecture(join(ZOO, 't5')).modelType, 't5');
  assert.equal(openArchitecture(join(ZOO, 't5')).causal, false);
});
