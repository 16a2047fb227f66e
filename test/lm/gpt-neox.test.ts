/**
 * GPT-NeoX (Pythia) forward pass against transformers' hidden states for tiny seeded models
 * (scripts/make-lm-zoo-fixtures.py): parallel and sequential residual, partial rotary, float32 and
 * bfloat16-stored weights, every layer, native and portable backends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/data/errors.js';
import { erf, GptNeoxModel, parseGptNeoxConfig } from '../../src/features/lm/gpt-neox.js';
import { openArchitecture } from '../../src/features/lm/architectures.js';
import { getBackend } from '../../src/linalg/index.js';
import { f32, relErr, ZOO } from './helpers.js';

type Expected = { input_ids: number[][]; float32: string[][]; bfloat16: string[][]; final_norm_in_last: boolean };

for (const backendName of ['native', 'portable'] as const) {
  for (const name of ['gpt_neox', 'gpt_neox_seq']) {
    for (const dtype of ['float32', 'bfloat16'] as const) {
      test(`${name} (${dtype} weights, ${backendName}): every hidden state matches transformers to 1e-5 relative`, async () => {
        const exp = JSON.parse(readFileSync(join(ZOO, name, 'expected.json'), 'utf8')) as Expected;
        assert.equal(exp.final_norm_in_last, true);
        const model = new GptNeoxModel(join(ZOO, dtype === 'float32' ? name : `${name}-bf16`));
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

test('gpt_neox folders go through the registry; both config layouts parse alike', () => {
  assert.equal(openArchitecture(join(ZOO, 'gpt_neox')).modelType, 'gpt_neox');
  const c5 = JSON.parse(readFileSync(join(ZOO, 'gpt_neox', 'config.json'), 'utf8')) as Record<string, unknown>;
  const c4 = JSON.parse(readFileSync(join(ZOO, 'gpt_neox-bf16', 'config.json'), 'utf8')) as Record<string, unknown>;
  const a = parseGptNeoxConfig(c5, 'a');
  assert.deepEqual(a, parseGptNeoxConfig(c4, 'b'));
  assert.equal(a.rotaryDims, 4);
  assert.equal(a.parallelResidual, true);
  assert.throws(() => parseGptNeoxConfig({ ...c4, hidden_act: 'relu' }, 'c.json'), (e: unknown) => e instanceof InputError && e.message === 'c.json: hidden_act: "relu" is not supported; expected "gelu"');
});

test('erf matches scipy.special.erf', () => {
  // scipy.special.erf values
  const ref: Array<[number, number]> = [[0.1, 0.1124629160182849], [-0.5, -0.5204998778130465], [1, 0.8427007929497148],
    [2.4, 0.9993114861033550], [2.6, 0.9997639655834707], [-3.5, -0.9999992569016276], [5, 0.9999999999984626]];
  for (const [x, v] of ref) assert.ok(Math.abs(erf(x) - v) <= 1e-15 + 1e-14 * Math.abs(v), `erf(${x}) = ${erf(x)}, expected ${v}`);
});
