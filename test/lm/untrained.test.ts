/**
 * Untrained versions of every architecture (`lm:<folder>:untrained:seed=N`): per tensor, the
 * distribution equals what transformers' `_init_weights` gives (scripts/make-lm-untrained-fixtures.py:
 * 100 torch draws of each zoo config summarised as a constant, or a normal's mean and standard
 * deviation with the rows that are always 0); every tensor the forward pass reads is one of
 * transformers' parameters; seeds are reproducible and differ; the term and its cache entry work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerBuiltinFeatures } from '../../src/features/builtin.js';
import { expandGrid } from '../../src/features/grid.js';
import { buildTerm } from '../../src/features/registry.js';
import { parseFeatureSpec } from '../../src/features/spec.js';
import { openArchitecture, readModelType } from '../../src/features/lm/architectures.js';
import { clearLmMemo, getLmFeatures } from '../../src/features/lm/cache.js';
import { readGpt2Config } from '../../src/features/lm/config.js';
import { extractLmFeatures } from '../../src/features/lm/extract.js';
import { Gpt2Model } from '../../src/features/lm/gpt2.js';
import { UntrainedGpt2Weights } from '../../src/features/lm/init.js';
import { loadTokenizer } from '../../src/features/lm/tokenizer.js';
import { initRules, UntrainedTensors, type TensorSource } from '../../src/features/lm/untrained.js';
import { termInputFiles } from '../../src/pipeline/sweep/plan.js';
import { getBackend } from '../../src/linalg/index.js';
import { assertClose, FIXTURE, tempDir, textDataset } from './helpers.js';

const FIX = fileURLToPath(new URL('../fixtures/lm/', import.meta.url));
type Summary = { kind: 'const'; value: number; shape: number[] } | { kind: 'exact'; values: number[]; shape: number[] }
  | { kind: 'normal'; mean: number; std: number; n: number; zero_rows: number[]; shape: number[]; orthogonal_gain?: number };
const REF = JSON.parse(readFileSync(join(FIX, 'untrained-init.json'), 'utf8')) as { models: Record<string, Record<string, Summary>> };
const SEEDS = 20;

for (const name of Object.keys(REF.models)) {
  test(`${name}: every tensor's initialisation follows transformers' _init_weights (constants exact; normals' mean and std within 5 standard errors; padding rows 0)`, () => {
    const dir = join(FIX, 'zoo', name);
    const rules = initRules(dir, readModelType(dir));
    for (const [tensor, ref] of Object.entries(REF.models[name])) {
      const rule = rules(tensor);
      assert.ok(rule !== null, `${name}: ${tensor} has a rule`);
      const n = ref.shape.reduce((a, b) => a * b, 1);
      const cols = ref.shape[ref.shape.length - 1];
      let sum = 0;
      let sq = 0;
      let count = 0;
      for (let seed = 0; seed < SEEDS; seed++) {
        const x = new UntrainedTensors(rules, seed, 'config.json').get(tensor, ref.shape);
        assert.equal(x.length, n);
        if (ref.kind === 'const') {
          assert.ok(x.every((v) => v === ref.value), `${name}: ${tensor} is ${ref.value} everywhere`);
          continue;
        }
        if (ref.kind === 'exact') {
          // torch's float32 pow may differ from the correctly rounded value by an ulp.
          ref.values.forEach((v, i) => assert.ok(Math.abs(x[i] - v) <= 2e-7 * Math.max(1, Math.abs(v)), `${name}: ${tensor}[${i}] = ${x[i]}, transformers ${v}`));
          continue;
        }
        if (ref.orthogonal_gain !== undefined) {
          // W·Wᵀ (rows ≤ cols) or Wᵀ·W is gain²·I, as in every transformers draw.
          const [r, c] = ref.shape;
          const g2 = ref.orthogonal_gain ** 2;
          const [outer, inner, at] = r <= c ? [r, c, (a: number, k: number) => x[a * c + k]] : [c, r, (a: number, k: number) => x[k * c + a]];
          for (let a = 0; a < outer; a++) {
            for (let b = 0; b <= a; b++) {
              let dot = 0;
              for (let k = 0; k < inner; k++) dot += at(a, k) * at(b, k);
              assert.ok(Math.abs(dot - (a === b ? g2 : 0)) <= 1e-5 * g2, `${name}: ${tensor} is orthogonal with gain ${ref.orthogonal_gain} (Gram ${a},${b} = ${dot})`);
            }
          }
        }
        for (let i = 0; i < n; i++) {
          const row: number = ref.shape.length === 2 ? Math.floor(i / cols) : -1;
          if (ref.zero_rows.includes(row)) { assert.equal(x[i], 0, `${name}: ${tensor} row ${row} is 0`); continue; }
          sum += x[i];
          sq += x[i] * x[i];
          count++;
        }
      }
      if (ref.kind !== 'normal') continue;
      const mean = sum / count;
      const std = Math.sqrt((sq - count * mean * mean) / (count - 1));
      const seMean = ref.std * Math.sqrt(1 / count + 1 / ref.n);
      const seStd = ref.std * Math.sqrt(1 / (2 * count) + 1 / (2 * ref.n));
      assert.ok(Math.abs(mean - ref.mean) <= 5 * seMean, `${name}: ${tensor} mean ${mean} vs transformers ${ref.mean} (se ${seMean})`);
      assert.ok(Math.abs(std - ref.std) <= 5 * seStd, `${name}: ${tensor} std ${std} vs transformers ${ref.std} (se ${seStd})`);
    }
  });

  test(`${name}: the untrained forward pass reads only tensors transformers' model has`, async () => {
    const dir = join(FIX, 'zoo', name);
    const inner = new UntrainedTensors(initRules(dir, readModelType(dir)), 0, 'config.json');
    const read = new Set<string>();
    const recording: TensorSource = {
      files: [],
      find: (t) => inner.find(t),
      get: (t, s) => { read.add(t); return inner.get(t, s); },
      getRows: (t, s, r) => { read.add(t); return inner.getRows(t, s, r); },
    };
    const arch = openArchitecture(dir, recording);
    const st = await arch.hiddenStates([[2, 5, 7, 3]], getBackend('portable'));
    assert.equal(st[0].length, arch.nLayer + 1);
    assert.ok(st[0].every((h) => h.every(Number.isFinite)));
    // T5's encoder.embed_tokens is transformers' shared.weight (tied).
    const known = new Set(Object.keys(REF.models[name]).flatMap((t) => (t === 'shared.weight' ? [t, 'encoder.embed_tokens.weight'] : [t])));
    for (const t of read) assert.ok(known.has(t), `${name}: ${t} is a transformers parameter`);
    assert.ok(read.size >= 10);
  });
}

registerBuiltinFeatures();

function untrainedFolder(model: string, tok: string): string {
  const dir = mkdtempSync(join(tmpdir(), `brainmap-untrained-${model}-`));
  symlinkSync(join(FIX, 'zoo', model, 'config.json'), join(dir, 'config.json'));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) symlinkSync(join(FIX, 'tokenizers', tok, f), join(dir, f));
  return dir;
}

test('lm:<folder>:untrained:seed=N: no weight files needed, seeds reproducible and different, own cache entry, grid over the config\'s layers', async () => {
  process.env.BRAINMAP_CACHE = tempDir();
  clearLmMemo();
  const dir = untrainedFolder('roberta', 'roberta');
  const ds = textDataset(['A short one.', 'Then another.', 'New block.'], ['a', 'a', 'b']);
  const g = expandGrid(parseFeatureSpec(`lm:${dir}:untrained:layer=all:pool=mean:seed=2`));
  assert.deepEqual(g.axis?.values, [0, 1, 2]);
  assert.equal(g.specs[1].text, `lm:${dir}:untrained:layer=1:pool=mean:seed=2`);
  const m = await buildTerm(g.specs[1].bands[0].terms[0], { dataset: ds });
  assert.equal(m.rows, 3);
  assert.equal(m.cols, 32);
  const a = await getLmFeatures(`${dir}:untrained`, ds, { seed: 2 });
  assert.equal(a.from, 'memory');
  assert.equal(a.manifest.model.kind, 'untrained');
  assert.match(a.manifest.model.weightsHash, /^untrained:roberta:[0-9a-f]{64}:seed=2:init=hf-v1$/);
  assert.deepEqual(Float64Array.from(a.features.pooled.mean[1]), m.data);
  clearLmMemo();
  const again = await getLmFeatures(`${dir}:untrained`, ds, { seed: 2, diskCache: false });
  assert.deepEqual(again.features.pooled.mean[2], a.features.pooled.mean[2]);
  const other = await getLmFeatures(`${dir}:untrained`, ds, { seed: 3, diskCache: false });
  assert.notDeepEqual(other.features.pooled.mean[2], a.features.pooled.mean[2]);
  assert.notEqual(other.manifest.key, a.manifest.key);
  // The sweep planner hashes the config and tokenizer files only (there are no weights).
  assert.deepEqual(termInputFiles(parseFeatureSpec(`lm:${dir}:untrained:layer=0`).bands[0].terms[0]), ['config.json', 'tokenizer.json', 'tokenizer_config.json'].map((f) => join(dir, f)));
  clearLmMemo();
  delete process.env.BRAINMAP_CACHE;
});

test('lm:<gpt2 folder>:untrained is GPT-2\'s untrained initialisation (init.ts) with the folder\'s config and tokenizer', async () => {
  clearLmMemo();
  const ds = textDataset(['A short one.', 'Then another.', 'New block.'], ['a', 'a', 'b']);
  const a = await getLmFeatures(`${FIXTURE}:untrained`, ds, { seed: 1, diskCache: false });
  const direct = await extractLmFeatures(new Gpt2Model(new UntrainedGpt2Weights(readGpt2Config(FIXTURE), 1), getBackend()), loadTokenizer(FIXTURE), ds.samples.text, ds.samples.block);
  assert.equal(a.features.nLayers, direct.nLayers);
  for (let l = 0; l < direct.nLayers; l++) assertClose(a.features.pooled.last[l], direct.pooled.last[l], `layer ${l}`, 1e-6);
  clearLmMemo();
});
