import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy, readNpz, writeNpy } from '../../src/io/npy.js';
import { registerBuiltinFeatures } from '../../src/features/builtin.js';
import { buildTerm } from '../../src/features/registry.js';
import { parseFeatureSpec } from '../../src/features/spec.js';
import { expandGrid } from '../../src/features/grid.js';
import { clearLmMemo, getLmFeatures, type LmManifest } from '../../src/features/lm/cache.js';
import { InputError } from '../../src/data/errors.js';
import { assertClose, FIXTURE, fixtureExpected, groupBlocks, tempDir, textDataset } from './helpers.js';
import { cliEntry } from '../cli-entry.js';

const expected = fixtureExpected();
const texts = expected.samples.map((s) => s.text);
const blocks = groupBlocks(expected.group_sizes);
const npz = readNpz(join(FIXTURE, 'expected_hidden_states.npz'));
const L = expected.n_layer + 1;
const D = expected.n_embd;

/** Expected pooled features of one layer: samples × d. */
function expectedPooled(name: 'pooled_last_token' | 'pooled_mean' | 'pooled_sum', layer: number): Float32Array {
  const ref = npz.get(name)!.data as Float32Array;
  const out = new Float32Array(texts.length * D);
  for (let s = 0; s < texts.length; s++) out.set(ref.subarray((s * L + layer) * D, (s * L + layer + 1) * D), s * D);
  return out;
}

registerBuiltinFeatures();

test('lm:<model>:layer=all expands to every layer of that model (from its config), keeping the model in the term', () => {
  const g = expandGrid(parseFeatureSpec(`lm:${FIXTURE}:layer=all:pool=mean`));
  assert.deepEqual(g.axis?.values, [0, 1, 2, 3, 4]);
  assert.equal(g.axis?.param, 'layer');
  assert.equal(g.specs[2].text, `lm:${FIXTURE}:layer=2:pool=mean`);
  assert.deepEqual(g.specs[2].bands[0].terms[0].positional, [FIXTURE]);
  const xl = expandGrid(parseFeatureSpec('lm:gpt2-xl-untrained:layer=all:seed=3+sl'));
  assert.equal(xl.axis?.values.length, 49);
  assert.equal(xl.specs[48].text, 'lm:gpt2-xl-untrained:layer=48:seed=3+sl');
  assert.deepEqual(expandGrid(parseFeatureSpec('lm:gpt2-untrained:layer=1,5')).axis?.values, [1, 5]);
  // 'all' is only a grid for features that define it.
  assert.equal(expandGrid(parseFeatureSpec('oasm:sigma=1')).axis, null);
});

test('the lm feature builds the pooled layer (memo, disk cache, then memo again) and matches HF', async () => {
  const cache = tempDir();
  process.env.BRAINMAP_CACHE = cache;
  clearLmMemo();
  const ds = textDataset(texts, blocks);
  for (const [pool, name] of [['mean', 'pooled_mean'], ['last', 'pooled_last_token'], ['sum', 'pooled_sum']] as const) {
    const m = await buildTerm(parseFeatureSpec(`lm:${FIXTURE}:layer=3:pool=${pool}`).bands[0].terms[0], { dataset: ds });
    assert.equal(m.rows, 7);
    assert.equal(m.cols, D);
    assertClose(m.data, expectedPooled(name, 3), `${pool} layer 3`);
  }
  const again = await getLmFeatures(FIXTURE, ds);
  assert.equal(again.from, 'memory');
  clearLmMemo();
  const disk = await getLmFeatures(FIXTURE, ds);
  assert.equal(disk.from, 'disk');
  assertClose(disk.features.pooled.sum[4], expectedPooled('pooled_sum', 4), 'sum layer 4 from disk');
  const dirs = readdirSync(join(cache, 'lm'));
  assert.equal(dirs.length, 1);
  const files = readdirSync(join(cache, 'lm', dirs[0]));
  assert.equal(files.filter((f) => f.endsWith('.npy')).length, L * 3);
  assert.ok(files.includes('manifest.json'));
  assert.ok(!files.some((f) => f.includes('.tmp-')), 'no temporary files left');
  const manifest = JSON.parse(readFileSync(join(cache, 'lm', dirs[0], 'manifest.json'), 'utf8')) as LmManifest;
  assert.equal(manifest.model.kind, 'pretrained');
  assert.match(manifest.model.weightsHash, /^[0-9a-f]{64}$/);
  assert.deepEqual(manifest.tokens.current, expected.samples.map((s) => s.n_current_tokens));
  assert.equal(manifest.tokens.passes, 2);
  // Other rules are another cache entry.
  const none = await getLmFeatures(FIXTURE, ds, { rules: { context: 'none', window: 512 } });
  assert.equal(none.from, 'extracted');
  assert.equal(none.features.tokens.context.reduce((a, b) => a + b, 0), 0);
  assert.equal(readdirSync(join(cache, 'lm')).length, 2);
  // The first sample of each block has no context either way.
  assertClose(none.features.pooled.last[2].subarray(0, D), disk.features.pooled.last[2].subarray(0, D), 'sample 0', 1e-5);
  delete process.env.BRAINMAP_CACHE;
});

test('untrained models run without files; seeds give different, reproducible features', async () => {
  process.env.BRAINMAP_CACHE = tempDir();
  clearLmMemo();
  const ds = textDataset(['A short one.', 'Then another.', 'New block.'], ['a', 'a', 'b']);
  const a = await getLmFeatures('gpt2-untrained', ds, { seed: 1, diskCache: false });
  assert.equal(a.features.nLayers, 13);
  assert.equal(a.features.dim, 768);
  assert.equal(a.manifest.model.weightsHash, 'untrained:gpt2:seed=1:init=v1');
  clearLmMemo();
  const b = await getLmFeatures('gpt2-untrained', ds, { seed: 1, diskCache: false });
  assert.deepEqual(b.features.pooled.mean[6], a.features.pooled.mean[6]);
  const c = await getLmFeatures('gpt2-untrained', ds, { seed: 2, diskCache: false });
  assert.notDeepEqual(c.features.pooled.mean[6], a.features.pooled.mean[6]);
  clearLmMemo();
  delete process.env.BRAINMAP_CACHE;
});

test('lm term errors name the term and what was expected', async () => {
  const ds = textDataset(texts, blocks);
  const build = (spec: string) => buildTerm(parseFeatureSpec(spec).bands[0].terms[0], { dataset: ds });
  await assert.rejects(build(`lm:${FIXTURE}:layer=5`), (e: unknown) => e instanceof InputError && /layer=5 is not an integer in 0…4/.test(e.message));
  await assert.rejects(build(`lm:${FIXTURE}:layer=1:pool=max`), /pool=max; expected pool=last, pool=mean or pool=sum/);
  await assert.rejects(build(`lm:${FIXTURE}:layer=1:context=story`), /context=story; expected context=block or context=none/);
  await assert.rejects(build(`lm:${FIXTURE}:layer=1:seed=2`), /seed: seed applies only to untrained models/);
  await assert.rejects(build('lm:layer=1'), /expected lm:<model folder or gpt2/);
  await assert.rejects(build('lm:/no/such/model:layer=1'), /\/no\/such\/model: model: no such folder/);
  await assert.rejects(build(`lm:${FIXTURE}:layer=1:lyer=2`), /unknown argument "lyer"/);
  const empty = textDataset(['fine', '   '], ['a', 'b']);
  await assert.rejects(buildTerm(parseFeatureSpec('lm:gpt2-untrained:layer=0').bands[0].terms[0], { dataset: empty }), /sample 1: text: "   " has no tokens/);
});

test('brainmap features lm writes one .npy per layer and pooling, and a manifest', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const data = tempDir();
  writeNpy(join(data, 'y.npy'), new Float64Array(texts.length), [texts.length, 1]);
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  writeFileSync(join(data, 'samples.csv'), `block,text\n${texts.map((t, i) => `${blocks[i]},${q(t)}`).join('\n')}\n`);
  const out = tempDir();
  const r = spawnSync(process.execPath, [...cliEntry(), 'features', 'lm', '--model', FIXTURE, '--dataset', data, '--out', out, '--pool', 'last,mean'], {
    encoding: 'utf8', cwd: root, env: { ...process.env, BRAINMAP_CACHE: tempDir() },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /5 layers × 2 poolings, 7 samples × 32 \(113 sample tokens, 113 tokens in 2 forward passes; extracted\)/);
  const files = readdirSync(out).sort();
  assert.equal(files.length, 11);
  assert.ok(!existsSync(join(out, 'layer0_sum.npy')));
  const l4 = readNpy(join(out, 'layer4_last.npy'));
  assert.deepEqual(l4.shape, [7, 32]);
  assert.ok(l4.data instanceof Float32Array);
  assertClose(l4.data, expectedPooled('pooled_last_token', 4), 'cli layer 4 last');
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as LmManifest;
  assert.deepEqual(manifest.rules.poolings, ['last', 'mean']);
  assert.deepEqual(manifest.files[1], { last: 'layer1_last.npy', mean: 'layer1_mean.npy' });
  assert.equal(manifest.dataset.nSamples, 7);
  assert.equal(manifest.rules.window, 512);
  const bad = spawnSync(process.execPath, [...cliEntry(), 'features', 'lm', '--model', 'gpt5-untrained', '--dataset', data, '--out', out], { encoding: 'utf8', cwd: root });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'error: gpt5-untrained: model: no such folder, and not an untrained model name (gpt2-untrained, gpt2-medium-untrained, gpt2-large-untrained, gpt2-xl-untrained)\n');
});
