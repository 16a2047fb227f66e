/**
 * The paper's context rules for non-GPT-2 models (METHODS §3.6, LLM_v2.py) against transformers:
 * special tokens added around the kept tokens and removed before pooling, the window
 * 512 − len(tokenizer('')['input_ids']), one pass per sample for a bidirectional model, shared
 * passes for a causal one. Reference: scripts/make-lm-context-fixtures.py (three Pereira passages,
 * a tiny BERT and a tiny Llama, windows 512 and 40).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clearLmMemo, getLmFeatures } from '../../src/features/lm/cache.js';
import { extractLmFeatures, LM_POOLINGS, tokenizeSamples } from '../../src/features/lm/extract.js';
import { openLmModel } from '../../src/features/lm/model.js';
import { getBackend } from '../../src/linalg/index.js';
import { assertClose, f32, textDataset } from './helpers.js';

const FIX = fileURLToPath(new URL('../fixtures/lm/', import.meta.url));
type Window = { input_ids: number[][]; pooled: Record<'last' | 'mean' | 'sum', string[]> };
type Expected = { texts: string[]; blocks: string[]; models: Record<string, { special_count: number; windows: Record<string, Window> }> };
const exp = JSON.parse(readFileSync(join(FIX, 'context', 'expected.json'), 'utf8')) as Expected;

function llamaFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-ctx-llama-'));
  for (const f of ['config.json', 'model.safetensors']) symlinkSync(join(FIX, 'zoo', 'llama', f), join(dir, f));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) symlinkSync(join(FIX, 'tokenizers', 'llama3', f), join(dir, f));
  return dir;
}

const FOLDERS: Record<string, () => string> = { bert: () => join(FIX, 'context', 'bert'), llama: llamaFolder };

for (const name of ['bert', 'llama']) {
  for (const window of [512, 40]) {
    test(`${name}, window ${window}: inputs and pooled features (last, mean, sum; every layer) equal the paper's procedure in transformers`, async () => {
      const dir = FOLDERS[name]();
      const ref = exp.models[name].windows[String(window)];
      const rules = { context: 'block' as const, window };
      const model = openLmModel(dir);
      const { samples } = tokenizeSamples(exp.texts, exp.blocks, model.tokenizer, rules);
      assert.deepEqual(samples.map((s) => s.ids), ref.input_ids, 'model inputs with special tokens');
      assert.ok(samples.every((s) => s.ids.length <= window));
      clearLmMemo();
      const r = await getLmFeatures(dir, textDataset(exp.texts, exp.blocks), { rules, diskCache: false });
      const n = exp.texts.length;
      // Bidirectional: one pass per sample; causal: one per passage unless truncated.
      const truncated = samples.filter((s) => s.truncated).length;
      assert.equal(r.features.passes, name === 'bert' ? n : 3 + truncated);
      assert.deepEqual(r.manifest.rules.specialTokens, name === 'bert' ? { prefix: [2], suffix: [3] } : { prefix: [0], suffix: [] });
      assert.equal(exp.models[name].special_count, name === 'bert' ? 2 : 1);
      for (const p of LM_POOLINGS) {
        ref.pooled[p].forEach((b64, l) => {
          const want = f32(b64);
          if (p === 'sum') {
            // n states' rounding: compared per state.
            const k = Array.from(samples, (s) => s.nPooled);
            const per = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, (v, i) => v / k[Math.floor(i / r.features.dim)]);
            assertClose(per(r.features.pooled.sum[l]), per(want), `${name} w${window} sum/n layer ${l}`, 1e-5);
          } else {
            assertClose(r.features.pooled[p][l], want, `${name} w${window} ${p} layer ${l}`, 1e-5);
          }
        });
      }
    });
  }
}

test('causal: shared passes equal one pass per sample (prefix sharing with a BOS token)', async () => {
  const model = openLmModel(llamaFolder());
  const runner = model.open(getBackend());
  const a = await extractLmFeatures(runner, model.tokenizer, exp.texts, exp.blocks);
  const b = await extractLmFeatures(runner, model.tokenizer, exp.texts, exp.blocks, { share: false });
  assert.equal(a.passes, 3);
  assert.equal(b.passes, exp.texts.length);
  for (const p of LM_POOLINGS) for (let l = 0; l < a.nLayers; l++) assertClose(a.pooled[p][l], b.pooled[p][l], `${p} ${l}`, 1e-5);
});
