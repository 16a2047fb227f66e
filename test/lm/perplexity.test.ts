/**
 * Perplexity of causal models on the dataset's own text, computed in the feature passes (tied
 * GPT-2 wte, Llama's lm_head or tied embeddings, GPT-NeoX embed_out, RWKV head), against
 * transformers' loss (scripts/make-lm-perplexity-fixtures.py: model(ids, labels).loss under the
 * paper's context rules, windows 512 and 12), per sample (Σ NLL, tokens scored) and overall; kept in
 * the cache manifest and read back; bidirectional models have none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clearLmMemo, getLmFeatures } from '../../src/features/lm/cache.js';
import { textDataset } from './helpers.js';

const FIX = fileURLToPath(new URL('../fixtures/lm/', import.meta.url));
type Window = { input_ids: number[][]; nll: number[]; scored: number[]; perplexity: number };
type Expected = { tokenizer: string; texts: string[]; blocks: string[]; windows: Record<string, Window> };

function folder(model: string, tok: string, dirName = 'perplexity'): string {
  const dir = mkdtempSync(join(tmpdir(), `brainmap-ppl-${model}-`));
  for (const f of ['config.json', 'model.safetensors']) symlinkSync(join(FIX, dirName, model, f), join(dir, f));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) symlinkSync(join(FIX, 'tokenizers', tok, f), join(dir, f));
  return dir;
}

for (const model of ['gpt2', 'llama', 'llama-tied', 'gpt_neox', 'rwkv']) {
  test(`${model}: perplexity and each sample's NLL equal transformers' loss (windows 512 and 12), stored in the manifest`, async () => {
    const exp = JSON.parse(readFileSync(join(FIX, 'perplexity', model, 'expected.json'), 'utf8')) as Expected;
    const dir = folder(model, exp.tokenizer);
    const cacheRoot = mkdtempSync(join(tmpdir(), 'brainmap-ppl-cache-'));
    const ds = textDataset(exp.texts, exp.blocks);
    for (const [w, ref] of Object.entries(exp.windows)) {
      clearLmMemo();
      const rules = { context: 'block' as const, window: Number(w) };
      const r = await getLmFeatures(dir, ds, { rules, cacheRoot });
      const p = r.features.perplexity;
      assert.ok(p, `${model}: a perplexity`);
      assert.deepEqual(Array.from(p.tokens), ref.scored, `${model} window ${w}: tokens scored`);
      ref.nll.forEach((v, i) => assert.ok(Math.abs(p.nll[i] - v) <= 1e-5 * Math.abs(v), `${model} window ${w} sample ${i}: Σ NLL ${p.nll[i]} vs transformers ${v}`));
      assert.ok(Math.abs(p.value - ref.perplexity) <= 1e-5 * ref.perplexity, `${model} window ${w}: perplexity ${p.value} vs ${ref.perplexity}`);
      assert.equal(r.manifest.perplexity?.value, p.value);
      assert.equal(r.manifest.perplexity?.tokens, ref.scored.reduce((a, b) => a + b, 0));
      // Read back from the disk cache.
      clearLmMemo();
      const again = await getLmFeatures(dir, ds, { rules, cacheRoot });
      assert.equal(again.from, 'disk');
      assert.equal(again.features.perplexity?.value, p.value);
      assert.deepEqual(Array.from(again.features.perplexity?.nll ?? []), Array.from(p.nll));
    }
    clearLmMemo();
  });
}

test('bidirectional models, base-model folders without a head and untrained models have no perplexity', async () => {
  clearLmMemo();
  const ds = textDataset(['One two three.', 'Four five.'], ['a', 'a']);
  const bert = await getLmFeatures(folder('bert', 'bert', 'zoo'), ds, { diskCache: false });
  assert.equal(bert.features.perplexity, undefined);
  assert.equal(bert.manifest.perplexity, undefined);
  // The zoo's llama is a LlamaModel (no lm_head, not tied).
  const base = await getLmFeatures(folder('llama', 'llama3', 'zoo'), ds, { diskCache: false });
  assert.equal(base.features.perplexity, undefined);
  // Untrained models (a tied GPT-2 and an untrained Llama with a head): no head run, no perplexity.
  for (const [model, tok] of [['gpt2', 'gpt2'], ['llama-tied', 'llama3']] as const) {
    const withHead = await getLmFeatures(folder(model, tok), ds, { diskCache: false });
    assert.ok(withHead.features.perplexity, `${model}: trained weights have a perplexity`);
    const untrained = await getLmFeatures(`${folder(model, tok)}:untrained`, ds, { diskCache: false });
    assert.equal(untrained.features.perplexity, undefined, `${model}:untrained`);
    assert.equal(untrained.manifest.perplexity, undefined);
  }
  clearLmMemo();
});

test('score.json\'s perplexity list: each causal lm: model of the spec once, as stored with its features', async () => {
  const { registerBuiltinFeatures } = await import('../../src/features/builtin.js');
  const { buildTerm } = await import('../../src/features/registry.js');
  const { parseFeatureSpec } = await import('../../src/features/spec.js');
  const { specPerplexities } = await import('../../src/pipeline/lm-perplexity.js');
  registerBuiltinFeatures();
  clearLmMemo();
  const exp = JSON.parse(readFileSync(join(FIX, 'perplexity', 'rwkv', 'expected.json'), 'utf8')) as Expected;
  const dir = folder('rwkv', exp.tokenizer);
  const bert = folder('bert', 'bert', 'zoo');
  const ds = textDataset(exp.texts, exp.blocks);
  const spec = `lm:${dir}:layer=1:pool=mean + lm:${dir}:layer=3 + lm:${bert}:layer=1`;
  process.env.BRAINMAP_CACHE = mkdtempSync(join(tmpdir(), 'brainmap-ppl-cache-'));
  for (const band of parseFeatureSpec(spec).bands) for (const t of band.terms) await buildTerm(t, { dataset: ds });
  const list = specPerplexities(spec, ds);
  assert.equal(list.length, 1);
  assert.equal(list[0].model, dir);
  assert.equal(list[0].seed, null);
  assert.ok(Math.abs((list[0].perplexity ?? 0) - exp.windows['512'].perplexity) <= 1e-5 * exp.windows['512'].perplexity);
  assert.equal(list[0].tokens, exp.windows['512'].scored.reduce((a, b) => a + b, 0));
  // Nothing extracted for a spec whose features were never built.
  clearLmMemo();
  assert.deepEqual(specPerplexities(`lm:${folder('llama', exp.tokenizer)}:layer=0`, ds), []);
  delete process.env.BRAINMAP_CACHE;
  clearLmMemo();
});
