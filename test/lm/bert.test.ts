/**
 * BERT, RoBERTa and XLM-R encoders against transformers' hidden states for tiny seeded models
 * (scripts/make-lm-zoo-fixtures.py; inputs from each family's tokenizer fixture, special tokens
 * included), float32 and bfloat16-stored weights, every layer, native and portable backends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/data/errors.js';
import { BertModel, bertPositions, fullAttention, fullAttentionGemm, parseBertConfig } from '../../src/features/lm/bert.js';
import { openArchitecture } from '../../src/features/lm/architectures.js';
import { getBackend } from '../../src/linalg/index.js';
import { f32, relErr, ZOO } from './helpers.js';

type Expected = { input_ids: number[][]; float32: string[][]; bfloat16: string[][] };

for (const backendName of ['native', 'portable'] as const) {
  for (const name of ['bert', 'roberta', 'xlm-roberta']) {
    for (const dtype of ['float32', 'bfloat16'] as const) {
      test(`${name} (${dtype} weights, ${backendName}): every hidden state matches transformers to 1e-5 relative`, async () => {
        const exp = JSON.parse(readFileSync(join(ZOO, name, 'expected.json'), 'utf8')) as Expected;
        const model = new BertModel(join(ZOO, dtype === 'float32' ? name : `${name}-bf16`));
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

test('positions: BERT from 0, RoBERTa from pad + 1 skipping pads; registry and config errors', () => {
  const bert = parseBertConfig({ model_type: 'bert', hidden_size: 8, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 10 }, 'b');
  const rob = parseBertConfig({ model_type: 'roberta', hidden_size: 8, intermediate_size: 8, num_hidden_layers: 1, num_attention_heads: 2, vocab_size: 10, pad_token_id: 1 }, 'r');
  assert.deepEqual(bertPositions([5, 6, 7], bert), [0, 1, 2]);
  // transformers' create_position_ids_from_input_ids([[0, 5, 1, 6]], padding_idx=1) = [[2, 3, 1, 4]]
  assert.deepEqual(bertPositions([0, 5, 1, 6], rob), [2, 3, 1, 4]);
  for (const name of ['bert', 'roberta', 'xlm-roberta']) {
    const m = openArchitecture(join(ZOO, name));
    assert.equal(m.modelType, name);
    assert.equal(m.causal, false);
  }
  assert.throws(() => parseBertConfig({ model_type: 'bert', hidden_size: 8, num_attention_heads: 2, position_embedding_type: 'relative_key' }, 'c.json'),
    (e: unknown) => e instanceof InputError && e.message === 'c.json: position_embedding_type: "relative_key" is not supported; expected "absolute"');
});

test('bidirectional attention on the backend GEMMs equals the float64 loop', async () => {
  // Two sequences (5 and 3 rows), d = 8, 2 heads, deterministic values.
  const offsets = Int32Array.from([0, 5, 8]);
  const d = 8;
  const qkv = Float32Array.from({ length: 8 * 3 * d }, (_, i) => Math.sin(i * 0.37) * 2);
  const ref = new Float32Array(8 * d);
  fullAttention(qkv, offsets, ref, d, 2, 0.5);
  for (const name of ['native', 'portable'] as const) {
    const out = new Float32Array(8 * d);
    await fullAttentionGemm(qkv, offsets, out, d, 2, 0.5, getBackend(name));
    for (let i = 0; i < out.length; i++) assert.ok(Math.abs(out[i] - ref[i]) < 1e-5, `${name} ${i}`);
  }
  // Rows of the second sequence attend only within it: changing sequence 0 leaves them alone.
  const qkv2 = qkv.slice();
  qkv2.fill(9, 0, 5 * 3 * d);
  const out2 = new Float32Array(8 * d);
  fullAttention(qkv2, offsets, out2, d, 2, 0.5);
  assert.deepEqual(out2.subarray(5 * d), ref.subarray(5 * d));
});
