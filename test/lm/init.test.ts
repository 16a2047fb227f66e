import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fillNormal, normalTensor, UntrainedGpt2Weights } from '../../src/features/lm/init.js';
import { gpt2Config, untrainedConfig } from '../../src/features/lm/config.js';
import { MT19937 } from '../../src/random/mt19937.js';
import { getBackend, type LinearWeights } from '../../src/linalg/index.js';
import { unpackPanel64 } from '../../src/linalg/nn.js';

test('the stream is numpy RandomState(key).standard_normal (init_by_array keys; integer keys = MT19937)', () => {
  // numpy 2.x: np.random.RandomState([1234, 5, 7]).standard_normal(10).astype(np.float32)
  const want = [2.0039079189300537, -0.5056458711624146, -0.8665483593940735, -0.6108382344245911, -1.6355754137039185, 2.0524775981903076, 0.6533952951431274, -0.7955843210220337, 0.02821170724928379, -0.15051335096359253];
  const got = new Float32Array(10);
  fillNormal(got, 0, 10, [1234, 5, 7], 1);
  assert.deepEqual(Array.from(got), want);
  // (0.02 * np.random.RandomState([3, 1, 4]).standard_normal(2000)).astype(np.float32)[[623, 1234, 1999]]
  // (index 623 straddles the first refill of the 624-word state)
  const big = new Float32Array(2000);
  fillNormal(big, 0, 2000, [3, 1, 4], 0.02);
  assert.deepEqual([big[623], big[1234], big[1999]], [0.026737431064248085, 0.016574012115597725, -0.00923245307058096]);
  // An integer key is init_genrand: the project's MT19937 gives the same normals.
  const rng = new MT19937(42);
  const a = new Float32Array(1001);
  fillNormal(a, 0, 1001, 42, 1);
  for (let i = 0; i < a.length; i++) assert.equal(a[i], Math.fround(rng.standardNormal()), `value ${i}`);
});

/** Checks mean ≈ 0 and std ≈ sd for n i.i.d. draws: 5 standard errors (mean: sd/√n, std: sd/√(2n)). */
function checkNormal(values: Float32Array[], sd: number, what: string): void {
  let n = 0;
  let s = 0;
  let ss = 0;
  for (const v of values) for (let i = 0; i < v.length; i++) { n++; s += v[i]; ss += v[i] * v[i]; }
  const mean = s / n;
  const std = Math.sqrt(ss / n - mean * mean);
  assert.ok(Math.abs(mean) < (5 * sd) / Math.sqrt(n), `${what}: mean ${mean} with n = ${n}, sd ${sd}`);
  assert.ok(Math.abs(std - sd) < (5 * sd) / Math.sqrt(2 * n), `${what}: std ${std}, expected ${sd} (n = ${n})`);
}

test('untrained weights follow HF init: N(0, 0.02), c_proj N(0, 0.02/√(2·n_layer)), LN 1/0, biases 0', () => {
  const cfg = gpt2Config({ nLayer: 3, nEmbd: 64, nHead: 4, vocabSize: 1000, nPositions: 64 });
  const w = new UntrainedGpt2Weights(cfg, 11);
  const blocks = [0, 1, 2].map((l) => w.block(l));
  checkNormal(blocks.map((b) => b.attnWeight), 0.02, 'c_attn.weight');
  checkNormal(blocks.map((b) => b.fcWeight), 0.02, 'mlp.c_fc.weight');
  const proj = 0.02 / Math.sqrt(2 * 3);
  checkNormal(blocks.map((b) => b.attnProjWeight), proj, 'attn.c_proj.weight');
  checkNormal(blocks.map((b) => b.mlpProjWeight), proj, 'mlp.c_proj.weight');
  checkNormal(Array.from({ length: 1000 }, (_, r) => w.tokenEmbedding(r)), 0.02, 'wte');
  checkNormal(Array.from({ length: 64 }, (_, r) => w.positionEmbedding(r)), 0.02, 'wpe');
  for (const b of blocks) {
    assert.equal(b.attnWeight.length, 64 * 192);
    assert.equal(b.fcWeight.length, 64 * 256);
    assert.equal(b.mlpProjWeight.length, 256 * 64);
    for (const v of [b.ln1Weight, b.ln2Weight]) assert.ok(v.length === 64 && v.every((x) => x === 1));
    for (const v of [b.ln1Bias, b.ln2Bias, b.attnBias, b.attnProjBias, b.fcBias, b.mlpProjBias]) assert.ok(v.every((x) => x === 0));
    assert.equal(b.attnBias.length, 192);
    assert.equal(b.fcBias.length, 256);
  }
  const f = w.finalNorm();
  assert.ok(f.weight.every((x) => x === 1) && f.bias.every((x) => x === 0));
  // Rows of c_attn are not correlated copies of one another (independent chunk streams).
  assert.notDeepEqual(blocks[0].attnWeight.subarray(0, 64), blocks[1].attnWeight.subarray(0, 64));
});

test('initialisation is deterministic for a seed, different across seeds, and independent of generation order', () => {
  const cfg = gpt2Config({ nLayer: 2, nEmbd: 32, nHead: 2, vocabSize: 500, nPositions: 32 });
  const a = new UntrainedGpt2Weights(cfg, 3);
  const b = new UntrainedGpt2Weights(cfg, 3);
  const c = new UntrainedGpt2Weights(cfg, 4);
  // b generates in a different order (block 1 first, embeddings backwards).
  const b1 = b.block(1);
  const e499 = b.tokenEmbedding(499);
  assert.deepEqual(a.block(0), b.block(0));
  assert.deepEqual(a.block(1), b1);
  assert.deepEqual(a.tokenEmbedding(499), e499);
  assert.deepEqual(a.positionEmbedding(5), b.positionEmbedding(5));
  assert.notDeepEqual(a.block(0).attnWeight, c.block(0).attnWeight);
  assert.notDeepEqual(a.tokenEmbedding(0), c.tokenEmbedding(0));
  // Documented stream: wte row r = 0.02·RandomState([seed, 0, r]); block weights in 2^20-element chunks.
  const row = new Float32Array(32);
  fillNormal(row, 0, 32, [3, 0, 7], 0.02);
  assert.deepEqual(a.tokenEmbedding(7), row);
  assert.deepEqual(a.block(1).fcWeight, normalTensor(32 * 128, 3, 2 + 4 + 2, 0.02));
  // Chunking: a tensor over several chunks is the concatenation of its chunk streams.
  const t = normalTensor(10, 1, 9, 1, 4);
  const c0 = new Float32Array(4);
  const c2 = new Float32Array(2);
  fillNormal(c0, 0, 4, [1, 9, 0], 1);
  fillNormal(c2, 0, 2, [1, 9, 2], 1);
  assert.deepEqual(t.subarray(0, 4), c0);
  assert.deepEqual(t.subarray(8), c2);
  a.release();
  assert.deepEqual(a.block(1), b1);
});

test('preparedBlock (generated by the backend in its layout, native or portable) holds block()\'s values bit for bit', async () => {
  const cfg = gpt2Config({ nLayer: 2, nEmbd: 1000, nHead: 4, vocabSize: 100, nPositions: 16 });
  const ref = new UntrainedGpt2Weights(cfg, 5).block(1); // c_fc: 4 million elements = 4 chunks; 1000 and 4000 are not multiples of 64
  for (const be of [getBackend('native'), getBackend('portable')]) {
    const w = new UntrainedGpt2Weights(cfg, 5);
    const [x, y] = await Promise.all([w.preparedBlock(1, be), w.preparedBlock(1, be)]);
    assert.equal(x, y, `${be.name}: one generation for concurrent calls`);
    const rowMajor = (lw: LinearWeights): Float32Array => (lw.layout === 'panel64' ? unpackPanel64(lw.data, lw.k, lw.n) : lw.data);
    assert.deepEqual(rowMajor(x.attn), ref.attnWeight, `${be.name} c_attn`);
    assert.deepEqual(rowMajor(x.attnProj), ref.attnProjWeight, `${be.name} attn.c_proj`);
    assert.deepEqual(rowMajor(x.fc), ref.fcWeight, `${be.name} c_fc`);
    assert.deepEqual(rowMajor(x.mlpProj), ref.mlpProjWeight, `${be.name} mlp.c_proj`);
    assert.deepEqual([x.attn.k, x.attn.n, x.fc.k, x.fc.n, x.mlpProj.k, x.mlpProj.n], [1000, 3000, 1000, 4000, 4000, 1000]);
    for (const v of [x.attnBias, x.fcBias, x.attnProjBias, x.mlpProjBias, x.ln1Bias, x.ln2Bias]) assert.ok(v.every((e) => e === 0));
    for (const v of [x.ln1Weight, x.ln2Weight]) assert.ok(v.every((e) => e === 1));
  }
});

test('untrained model names give the published GPT-2 shapes', () => {
  const shapes = ['gpt2', 'gpt2-medium', 'gpt2-large', 'gpt2-xl'].map((s) => {
    const c = untrainedConfig(`${s}-untrained`);
    return [c.nLayer, c.nEmbd, c.nHead, c.vocabSize, c.nPositions, c.nInner];
  });
  assert.deepEqual(shapes, [[12, 768, 12, 50257, 1024, 3072], [24, 1024, 16, 50257, 1024, 4096], [36, 1280, 20, 50257, 1024, 5120], [48, 1600, 25, 50257, 1024, 6400]]);
  assert.throws(() => untrainedConfig('gpt3-untrained'), /not an untrained model name/);
  assert.throws(() => new UntrainedGpt2Weights(untrainedConfig('gpt2-untrained'), -1), /seed must be an integer/);
});
