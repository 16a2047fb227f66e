import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpz, type NpyArray } from '../../src/io/npy.js';
import { getBackend } from '../../src/linalg/index.js';
import { InputError } from '../../src/data/errors.js';
import { Gpt2Model, SafetensorsGpt2Weights } from '../../src/features/lm/gpt2.js';
import { loadTokenizer, r50kTokenizer } from '../../src/features/lm/tokenizer.js';
import { extractLmFeatures, planPasses, tokenizeSamples, LM_POOLINGS } from '../../src/features/lm/extract.js';
import { gpt2Config, parseGpt2Config, readGpt2Config } from '../../src/features/lm/config.js';
import { UntrainedGpt2Weights } from '../../src/features/lm/init.js';
import { assertClose, FIXTURE, fixtureExpected, groupBlocks, tempDir } from './helpers.js';

const expected = fixtureExpected();
const npz = readNpz(join(FIXTURE, 'expected_hidden_states.npz'));
const arr = (k: string): NpyArray => {
  const a = npz.get(k);
  assert.ok(a, `npz member ${k}`);
  return a;
};
const nums = (a: NpyArray): number[] => Array.from(a.data as ArrayLike<number | bigint>, Number);
const texts = expected.samples.map((s) => s.text);
const blocks = groupBlocks(expected.group_sizes);
const L = expected.n_layer + 1;
const D = expected.n_embd;

test('config.json of the fixture is read from the file, not assumed', () => {
  const cfg = readGpt2Config(FIXTURE);
  assert.equal(cfg.nLayer, expected.n_layer);
  assert.equal(cfg.nEmbd, expected.n_embd);
  assert.equal(cfg.nHead, expected.n_head);
  assert.equal(cfg.nInner, 4 * expected.n_embd);
  assert.equal(cfg.nPositions, 512);
  assert.equal(cfg.layerNormEpsilon, 1e-5);
});

test('token ids of every sample (context + current) match Hugging Face exactly', () => {
  const tok = loadTokenizer(FIXTURE);
  assert.equal(tok.kind, 'tokenizer.json');
  const { samples } = tokenizeSamples(texts, blocks, tok);
  expected.samples.forEach((s, i) => {
    assert.deepEqual(samples[i].ids, nums(arr(`input_ids_${i}`)), `sample ${i} ids`);
    assert.equal(samples[i].nContext, s.n_context_tokens, `sample ${i} context tokens`);
    assert.equal(samples[i].nCurrent, s.n_current_tokens, `sample ${i} current tokens`);
  });
});

test('every hidden state of every sample matches HF output_hidden_states (1e-5 relative; 5.4e-7 measured), on the native and the portable backend', async () => {
  const weights = new SafetensorsGpt2Weights(FIXTURE);
  for (const model of [new Gpt2Model(weights, getBackend('native')), new Gpt2Model(weights, getBackend('portable'))])
  for (let i = 0; i < expected.samples.length; i++) {
    const ids = nums(arr(`input_ids_${i}`));
    const hidden = arr(`hidden_${i}`);
    assert.deepEqual(hidden.shape, [L, ids.length, D]);
    const states = await model.forward(ids);
    assert.equal(states.length, L);
    const T = ids.length;
    for (let k = 0; k < L; k++) {
      const exp = (hidden.data as Float32Array).subarray(k * T * D, (k + 1) * T * D);
      assertClose(states[k], exp, `sample ${i} hidden_${k} (${model.backend.name})`, 1e-5);
    }
  }
});

test('pooled features (last, mean, sum) of every layer match, with one pass per block and with one pass per sample', async () => {
  const model = new Gpt2Model(new SafetensorsGpt2Weights(FIXTURE), getBackend());
  const tok = loadTokenizer(FIXTURE);
  const shared = await extractLmFeatures(model, tok, texts, blocks);
  const single = await extractLmFeatures(model, tok, texts, blocks, { share: false, batchTokens: 1 });
  assert.equal(shared.passes, expected.group_sizes.length, 'one forward pass per block');
  assert.equal(single.passes, texts.length);
  const names = { last: 'pooled_last_token', mean: 'pooled_mean', sum: 'pooled_sum' } as const;
  const n = texts.length;
  for (const p of LM_POOLINGS) {
    const ref = arr(names[p]);
    assert.deepEqual(ref.shape, [n, L, D]);
    for (let k = 0; k < L; k++) {
      const exp = new Float32Array(n * D);
      for (let s = 0; s < n; s++) exp.set((ref.data as Float32Array).subarray((s * L + k) * D, (s * L + k + 1) * D), s * D);
      assertClose(shared.pooled[p][k], exp, `${p} layer ${k} (shared passes)`);
      assertClose(single.pooled[p][k], exp, `${p} layer ${k} (per-sample passes)`);
      assertClose(shared.pooled[p][k], single.pooled[p][k], `${p} layer ${k} shared vs per-sample`, 1e-5);
    }
  }
  assert.deepEqual(Array.from(shared.tokens.current), expected.samples.map((s) => s.n_current_tokens));
  assert.deepEqual(Array.from(shared.tokens.context), expected.samples.map((s) => s.n_context_tokens));
});

test('context=none resets at every sample; the window truncates and falls back to per-sample passes', async () => {
  const tok = loadTokenizer(FIXTURE);
  const none = tokenizeSamples(texts, blocks, tok, { context: 'none', window: 512 });
  none.samples.forEach((s) => assert.equal(s.nContext, 0));
  assert.equal(planPasses(blocks, none, { context: 'none', window: 512 }).length, texts.length);
  // A 30-token window: samples 2 and 3 of block 0 (41 and 61 tokens) and 6 of block 1 (52) are truncated.
  const rules = { context: 'block' as const, window: 30 };
  const short = tokenizeSamples(texts, blocks, tok, rules);
  assert.deepEqual(short.samples.map((s) => s.truncated), [false, false, true, true, false, true, true]);
  assert.deepEqual(short.samples.map((s) => s.ids.length), [13, 21, 30, 30, 18, 30, 30]);
  const passes = planPasses(blocks, short, rules);
  assert.deepEqual(passes.map((p) => p.samples.map((s) => s.sample)), [[0, 1], [2], [3], [4], [5], [6]]);
  const model = new Gpt2Model(new SafetensorsGpt2Weights(FIXTURE), getBackend());
  const a = await extractLmFeatures(model, tok, texts, blocks, { rules });
  const b = await extractLmFeatures(model, tok, texts, blocks, { rules, share: false });
  // Truncated samples are run as in the paper: on their last 30 tokens.
  const hidden3 = await model.forward(nums(arr('input_ids_3')).slice(-30));
  for (let k = 0; k < L; k++) {
    assertClose(a.pooled.last[k].subarray(3 * D, 4 * D), hidden3[k].subarray(29 * D, 30 * D), `truncated sample 3 layer ${k}`);
    for (const p of LM_POOLINGS) assertClose(a.pooled[p][k], b.pooled[p][k], `${p} ${k}`, 1e-5);
  }
});

test('nothing is tied to the fixture shape: an untrained model of another shape runs, shared passes equal per-sample ones', async () => {
  const cfg = gpt2Config({ nLayer: 3, nEmbd: 48, nHead: 6, nPositions: 128 });
  const model = new Gpt2Model(new UntrainedGpt2Weights(cfg, 7), getBackend());
  const tok = r50kTokenizer();
  const t = ['The owl hunts at night.', 'It eats mice.', "Snow isn't   cold to it.", 'A second block starts here.', 'And ends.'];
  const bl = ['a', 'a', 'a', 'b', 'b'];
  const a = await extractLmFeatures(model, tok, t, bl, { rules: { context: 'block', window: 128 } });
  const b = await extractLmFeatures(model, tok, t, bl, { rules: { context: 'block', window: 128 }, share: false });
  assert.equal(a.nLayers, 4);
  assert.equal(a.dim, 48);
  assert.equal(a.passes, 2);
  for (let k = 0; k < 4; k++) for (const p of LM_POOLINGS) assertClose(a.pooled[p][k], b.pooled[p][k], `${p} ${k}`, 1e-5);
  // The last state is ln_f's output (weight 1, bias 0): each row has mean 0 and variance
  // var/(var + eps) < 1, close to 1 (the residual stream's variance is ~1e-3, eps 1e-5).
  const states = await model.forward([464, 34799, 32427]);
  const last = states[3];
  for (let r = 0; r < 3; r++) {
    const row = Array.from(last.subarray(r * 48, (r + 1) * 48));
    const mean = row.reduce((x, y) => x + y, 0) / 48;
    const v = row.reduce((x, y) => x + (y - mean) ** 2, 0) / 48;
    assert.ok(Math.abs(mean) < 1e-5 && v < 1 && v > 0.95, `ln_f row ${r}: mean ${mean}, var ${v}`);
  }
  await assert.rejects(model.forward(Array.from({ length: 129 }, () => 1)), /exceed the model's n_positions 128/);
  await assert.rejects(model.forward([50257]), /outside the vocabulary/);
});

test('config validation names the file and the field', () => {
  assert.throws(() => parseGpt2Config({ model_type: 'llama', n_layer: 2 }, 'x/config.json'), (e: unknown) => e instanceof InputError && /^x\/config\.json: model_type: "llama" is not supported/.test(e.message));
  assert.throws(() => parseGpt2Config({ model_type: 'gpt2', architectures: ['BertModel'], n_layer: 1, n_embd: 8, n_head: 2, vocab_size: 10 }, 'c.json'), /c\.json: architectures: \["BertModel"\] is not supported/);
  assert.throws(() => parseGpt2Config({ model_type: 'gpt2', n_embd: 8, n_head: 2, vocab_size: 10 }, 'c.json'), /c\.json: n_layer: missing/);
  assert.throws(() => parseGpt2Config({ model_type: 'gpt2', n_layer: 1, n_embd: 10, n_head: 3, vocab_size: 10 }, 'c.json'), /n_embd 10 is not a multiple of n_head 3/);
  assert.throws(() => parseGpt2Config({ model_type: 'gpt2', n_layer: 1, n_embd: 8, n_head: 2, vocab_size: 10, activation_function: 'swish' }, 'c.json'), /activation_function: "swish" is not supported/);
  const dir = tempDir();
  cpSync(FIXTURE, dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...readGpt2ConfigRaw(), n_layer: 5 }));
  assert.throws(() => new SafetensorsGpt2Weights(dir), (e: unknown) => e instanceof InputError && e.message === `${join(dir, 'model.safetensors')}: h.4.ln_1.weight: missing tensor (expected shape [32])`);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...readGpt2ConfigRaw(), n_inner: 64 }));
  assert.throws(() => new SafetensorsGpt2Weights(dir), /h\.0\.mlp\.c_fc\.weight: has shape \[32, 128\]; expected \[32, 64\]/);
  assert.throws(() => readGpt2Config(join(dir, 'nope')), /nope: model: no such folder/);
});

function readGpt2ConfigRaw(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURE, 'config.json'), 'utf8')) as Record<string, unknown>;
}
