/**
 * Issue 11 point 15: the in-process LM feature memo kept every extraction (all layers × poolings)
 * and the model's weights for the life of the process. It is now bounded by bytes, and weights are
 * held only while an extraction runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { registerBuiltinFeatures } from '../../src/features/builtin.js';
import { buildTerm } from '../../src/features/registry.js';
import { parseFeatureSpec } from '../../src/features/spec.js';
import { clearLmMemo, getLmFeatures, lmMemoStats, setLmMemoLimit, defaultLmMemoBytes } from '../../src/features/lm/cache.js';
import { ByteLru } from '../../src/features/lm/memo.js';
import { readNpz } from '../../src/io/npy.js';
import { assertClose, FIXTURE, fixtureExpected, groupBlocks, tempDir, textDataset } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function collect(): Promise<void> {
  // WeakRefs are cleared only after the current job; let it end (and a few event-loop turns: with
  // setImmediate alone, a third of runs still saw the last extraction alive), then collect.
  for (let k = 0; k < 5; k++) {
    await new Promise((r) => setTimeout(r, 20));
    gc();
  }
}

registerBuiltinFeatures();
const expected = fixtureExpected();
const texts = expected.samples.map((s) => s.text);
const blocks = groupBlocks(expected.group_sizes);
const npz = readNpz(join(FIXTURE, 'expected_hidden_states.npz'));
const L = expected.n_layer + 1;
const D = expected.n_embd;

/** Hugging Face's pooled features of one layer (samples × d), from the fixture. */
function hfPooled(pool: 'last' | 'mean' | 'sum', layer: number): Float32Array {
  const name = pool === 'last' ? 'pooled_last_token' : pool === 'mean' ? 'pooled_mean' : 'pooled_sum';
  const ref = npz.get(name)!.data as Float32Array;
  const out = new Float32Array(texts.length * D);
  for (let s = 0; s < texts.length; s++) out.set(ref.subarray((s * L + layer) * D, (s * L + layer + 1) * D), s * D);
  return out;
}

test('ByteLru: bounded by bytes, least recently used dropped first, oversize values not kept', () => {
  const m = new ByteLru<string>(100);
  assert.equal(m.set('a', 'A', 40), true);
  assert.equal(m.set('b', 'B', 40), true);
  assert.equal(m.get('a'), 'A'); // a is now the most recent
  assert.equal(m.set('c', 'C', 40), true); // 120 > 100: b goes
  assert.deepEqual([m.has('a'), m.has('b'), m.has('c'), m.bytes, m.size], [true, false, true, 80, 2]);
  assert.equal(m.set('big', 'X', 101), false);
  assert.deepEqual([m.has('big'), m.bytes], [false, 80]);
  m.set('a', 'A2', 10); // replacing counts the new size only
  assert.deepEqual([m.get('a'), m.bytes], ['A2', 50]);
  m.setLimit(15); // c (older) goes, a fits
  assert.deepEqual([m.has('a'), m.has('c'), m.bytes], [true, false, 10]);
  m.setLimit(0);
  assert.deepEqual([m.size, m.bytes], [0, 0]);
  assert.throws(() => new ByteLru(-1), RangeError);
});

test('BRAINMAP_LM_MEMO_MB sets the default bound; a bad value is one error line', () => {
  const old = process.env.BRAINMAP_LM_MEMO_MB;
  try {
    delete process.env.BRAINMAP_LM_MEMO_MB;
    assert.equal(defaultLmMemoBytes(), 1024 * 2 ** 20);
    process.env.BRAINMAP_LM_MEMO_MB = '1.5';
    assert.equal(defaultLmMemoBytes(), 1.5 * 2 ** 20);
    process.env.BRAINMAP_LM_MEMO_MB = '0';
    assert.equal(defaultLmMemoBytes(), 0);
    process.env.BRAINMAP_LM_MEMO_MB = 'lots';
    assert.throws(() => defaultLmMemoBytes(), { message: "environment: BRAINMAP_LM_MEMO_MB: 'lots' is not a number of megabytes ≥ 0 (the in-process memo of lm features; 0 keeps none)" });
  } finally {
    if (old === undefined) delete process.env.BRAINMAP_LM_MEMO_MB; else process.env.BRAINMAP_LM_MEMO_MB = old;
  }
});

test('lm features over many jobs (datasets × layers × poolings) keep the memo within its bound, with the right values', async () => {
  process.env.BRAINMAP_CACHE = tempDir();
  clearLmMemo();
  const one = texts.length * D * 4; // bytes of one layer matrix
  setLmMemoLimit(3 * one);
  try {
    // Four datasets (the fixture's texts, and three variants): four cache entries of 5 layers × 3 poolings each.
    const datasets = [texts, ...[1, 2, 3].map((v) => texts.map((t, i) => (i === texts.length - 1 ? `${t} Variant ${v}.` : t)))]
      .map((ts, k) => textDataset(ts, blocks, `d${k}`));
    const wanted = 4 * L * 3 * one;
    for (const ds of datasets) {
      for (let layer = 0; layer < L; layer++) {
        for (const pool of ['last', 'mean', 'sum'] as const) {
          const m = await buildTerm(parseFeatureSpec(`lm:${FIXTURE}:layer=${layer}:pool=${pool}`).bands[0].terms[0], { dataset: ds });
          if (ds === datasets[0]) assertClose(m.data, hfPooled(pool, layer), `${pool} layer ${layer}`);
          const s = lmMemoStats();
          assert.ok(s.bytes <= 3 * one, `memo holds ${s.bytes} bytes, bound ${3 * one}`);
          assert.ok(s.entries <= 3);
          assert.equal(s.extracting, 0);
        }
      }
    }
    assert.ok(wanted >= 20 * 3 * one, 'the jobs asked for 20 times the bound');
    // Back to the first dataset: its layers are read back from the disk cache, not re-extracted.
    const again = await getLmFeatures(FIXTURE, textDataset(texts, blocks, 'd0'));
    assert.equal(again.from, 'disk');
    assertClose(again.features.pooled.sum[4], hfPooled('sum', 4), 'sum layer 4 from disk');
  } finally {
    clearLmMemo();
    setLmMemoLimit(defaultLmMemoBytes());
    delete process.env.BRAINMAP_CACHE;
  }
});

test('extracted features beyond the bound and the model weights are released (garbage-collected) between jobs', async () => {
  process.env.BRAINMAP_CACHE = tempDir();
  clearLmMemo();
  setLmMemoLimit(0);
  try {
    const ds = (k: number) => textDataset([`A short one ${k}.`, 'Then another.', 'New block.'], ['a', 'a', 'b'], `u${k}`);
    await collect();
    const before = process.memoryUsage().arrayBuffers;
    // gpt2-untrained: its 12 blocks are 85M parameters (≈ 325 MiB of float32 once made).
    const job = async (k: number): Promise<WeakRef<Float32Array>> => {
      const r = await getLmFeatures('gpt2-untrained', ds(k), { seed: 1, diskCache: false });
      assert.equal(r.features.nLayers, 13);
      return new WeakRef(r.features.pooled.mean[6]);
    };
    const ref = await job(0);
    const ref2 = await job(1);
    await collect();
    assert.equal(ref2.deref(), undefined);
    assert.equal(ref.deref(), undefined, 'an earlier extraction is still referenced by the memo');
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 100 * 2 ** 20, `array buffers grew by ${(grown / 2 ** 20).toFixed(0)} MiB after two extractions (the blocks' weights are ≈ 325 MiB)`);
    assert.equal(lmMemoStats().extracting, 0);
  } finally {
    clearLmMemo();
    setLmMemoLimit(defaultLmMemoBytes());
    delete process.env.BRAINMAP_CACHE;
  }
});
