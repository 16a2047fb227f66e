/**
 * Llama-family forward passes (llama with llama3 RoPE scaling, mistral, qwen2, qwen3; grouped-query
 * attention) against transformers' hidden states for tiny seeded models
 * (scripts/make-lm-zoo-fixtures.py), float32 and bfloat16-stored weights, every layer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/data/errors.js';
import { LlamaModel, parseLlamaConfig, ropeInvFreq } from '../../src/features/lm/llama.js';
import { getBackend } from '../../src/linalg/index.js';
import { f32, relErr, ZOO } from './helpers.js';

type Expected = { model_type: string; input_ids: number[][]; float32: string[][]; bfloat16: string[][]; final_norm_in_last: boolean };

/** max |a − b| / max |b| (relative to the state's scale). */
for (const backendName of ['native', 'portable'] as const) {
  for (const name of ['llama', 'mistral', 'qwen2', 'qwen3']) {
    for (const dtype of ['float32', 'bfloat16'] as const) {
      test(`${name} (${dtype} weights, ${backendName}): every hidden state matches transformers to 1e-5 relative`, async () => {
        const exp = JSON.parse(readFileSync(join(ZOO, name, 'expected.json'), 'utf8')) as Expected;
        assert.equal(exp.final_norm_in_last, true);
        const model = new LlamaModel(join(ZOO, dtype === 'float32' ? name : `${name}-bf16`));
        assert.equal(model.config.modelType, exp.model_type);
        const states = await model.hiddenStates(exp.input_ids, getBackend(backendName));
        exp.input_ids.forEach((ids, s) => {
          assert.equal(states[s].length, exp[dtype][s].length);
          states[s].forEach((h, l) => {
            const ref = f32(exp[dtype][s][l]);
            const e = relErr(h, ref);
            assert.ok(e <= 1e-5, `sample ${s} layer ${l}: relative error ${e.toExponential(2)}`);
          });
        });
      });
    }
  }
}

test('both config layouts (transformers 4 rope_scaling, 5 rope_parameters) give the same llama3 frequencies', () => {
  const c5 = JSON.parse(readFileSync(join(ZOO, 'llama', 'config.json'), 'utf8')) as Record<string, unknown>;
  const c4 = JSON.parse(readFileSync(join(ZOO, 'llama-bf16', 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.ok('rope_parameters' in c5 && 'rope_scaling' in c4);
  const a = parseLlamaConfig(c5, 'c5');
  const b = parseLlamaConfig(c4, 'c4');
  assert.deepEqual(a.ropeScaling, b.ropeScaling);
  assert.equal(a.ropeTheta, b.ropeTheta);
  // head_dim 8, θ = 1e4: wavelengths 2π, 62.8, 628, 6283 vs thresholds 32 (high) and 256 (low):
  // the first kept, the second smoothed, the last two divided by the factor 8.
  // transformers' ROPE_INIT_FUNCTIONS['llama3'] on this config (float32): the first kept, the second
  // smoothed, the last two divided by the factor 8.
  assert.deepEqual(Array.from(ropeInvFreq(8, 1e4, a.ropeScaling)), [1.0, 0.050929583609104156, 0.0012499999720603228, 0.0001250000059371814]);
});

test('bad Llama configs are InputErrors naming the field', () => {
  const ok = { model_type: 'llama', hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 10 };
  const err = (o: Record<string, unknown>, msg: string): void => {
    assert.throws(() => parseLlamaConfig(o, 'cfg.json'), (e: unknown) => e instanceof InputError && e.message === msg);
  };
  err({ ...ok, num_key_value_heads: 3 }, 'cfg.json: num_key_value_heads: 3 does not divide num_attention_heads 4');
  err({ ...ok, hidden_act: 'gelu' }, 'cfg.json: hidden_act: "gelu" is not supported; expected "silu"');
  err({ ...ok, rope_scaling: { type: 'yarn', factor: 4 } }, 'cfg.json: rope_scaling: rope type "yarn" is not supported; expected default, linear or llama3');
  err({ ...ok, rope_scaling: { rope_type: 'llama3', factor: 8 } }, 'cfg.json: rope_scaling: low_freq_factor: missing; rope type llama3 needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings');
  err({ ...ok, model_type: 'gpt2' }, 'cfg.json: model_type: "gpt2" is not a Llama-family model; expected one of llama, mistral, qwen2, qwen3');
  const c = parseLlamaConfig({ ...ok, model_type: 'qwen2' }, 'q');
  assert.equal(c.qkvBias, true);
  assert.equal(c.oBias, false);
  assert.equal(c.nKvHead, 4);
  assert.equal(c.headDim, 8);
});
