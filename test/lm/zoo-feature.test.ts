/**
 * The lm feature on every registered architecture: `lm:<folder>` dispatches on config.json
 * model_type to the forward pass and tokenizer.json, adds the tokenizer's special tokens and pools
 * over the text's non-special tokens only. Reference: the hidden states transformers computes for
 * the tiny seeded zoo models (scripts/make-lm-zoo-fixtures.py, inputs `tokenizer(text)` with its
 * special tokens), pooled here over the positions whose ids are not special.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerBuiltinFeatures } from '../../src/features/builtin.js';
import { expandGrid } from '../../src/features/grid.js';
import { buildTerm } from '../../src/features/registry.js';
import { parseFeatureSpec } from '../../src/features/spec.js';
import { clearLmMemo, getLmFeatures } from '../../src/features/lm/cache.js';
import { InputError } from '../../src/data/errors.js';
import { assertClose, f32, textDataset } from './helpers.js';

const FIX = fileURLToPath(new URL('../fixtures/lm/', import.meta.url));
type Expected = { texts: string[]; input_ids: number[][]; float32: string[][] };

/** A model folder: the zoo model's config and weights with a tokenizer fixture's files (symlinks). */
function modelFolder(model: string, tok: string): string {
  const dir = mkdtempSync(join(tmpdir(), `brainmap-zoo-${model}-`));
  for (const f of ['config.json', 'model.safetensors']) symlinkSync(join(FIX, 'zoo', model, f), join(dir, f));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) symlinkSync(join(FIX, 'tokenizers', tok, f), join(dir, f));
  return dir;
}

function specialIds(tok: string): Set<number> {
  const tj = JSON.parse(readFileSync(join(FIX, 'tokenizers', tok, 'tokenizer.json'), 'utf8')) as { added_tokens: Array<{ id: number; special: boolean }> };
  return new Set(tj.added_tokens.filter((t) => t.special).map((t) => t.id));
}

// The zoo's decoders were fed the Llama-3-style tokenizer's ids (with <|begin_of_text|>), the encoders their own.
const CASES: Array<[string, string]> = [
  ['llama', 'llama3'], ['mistral', 'llama3'], ['qwen2', 'llama3'], ['qwen3', 'llama3'], ['gpt_neox', 'llama3'], ['rwkv', 'llama3'],
  ['bert', 'bert'], ['roberta', 'roberta'], ['xlm-roberta', 'xlmr'], ['t5', 't5'], ['t5-gated', 't5'],
];

registerBuiltinFeatures();

for (const [model, tok] of CASES) {
  test(`lm:<${model} folder> pools transformers' hidden states over the non-special tokens (last, mean, sum; every layer)`, async () => {
    const exp = JSON.parse(readFileSync(join(FIX, 'zoo', model, 'expected.json'), 'utf8')) as Expected;
    const dir = modelFolder(model, tok);
    const special = specialIds(tok);
    // Two blocks of one sample each: no context, so each input is tokenizer(text) as in the fixture.
    const ds = textDataset(exp.texts, ['a', 'b']);
    clearLmMemo();
    const r = await getLmFeatures(dir, ds, { diskCache: false });
    const L = exp.float32[0].length;
    assert.equal(r.features.nLayers, L);
    assert.equal(r.manifest.model.modelType, JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).model_type);
    const d = r.features.dim;
    for (let s = 0; s < exp.texts.length; s++) {
      const ids = exp.input_ids[s];
      const rows = ids.map((id, t) => (special.has(id) ? -1 : t)).filter((t) => t >= 0);
      assert.ok(rows.length < ids.length, `${model}: the tokenizer adds special tokens`);
      assert.equal(r.features.tokens.current[s], rows.length);
      for (let l = 0; l < L; l++) {
        const h = f32(exp.float32[s][l]);
        const last = h.subarray(rows[rows.length - 1] * d, (rows[rows.length - 1] + 1) * d);
        const sum = new Float64Array(d);
        for (const t of rows) for (let j = 0; j < d; j++) sum[j] += h[t * d + j];
        const at = (p: 'last' | 'mean' | 'sum'): Float32Array => r.features.pooled[p][l].subarray(s * d, (s + 1) * d);
        assertClose(at('last'), last, `${model} sample ${s} layer ${l} last`, 1e-5);
        // The sum of n states carries n states' rounding: compared per state (sum / n).
        assertClose(at('sum').map((v) => v / rows.length), sum.map((v) => v / rows.length), `${model} sample ${s} layer ${l} sum / n`, 1e-5);
        assertClose(at('mean'), sum.map((v) => v / rows.length), `${model} sample ${s} layer ${l} mean`, 1e-5);
      }
    }
  });
}

test('lm:<folder>:layer=all is a grid over the folder model\'s layers; the term builds for a non-GPT-2 model', async () => {
  const dir = modelFolder('bert', 'bert');
  const g = expandGrid(parseFeatureSpec(`lm:${dir}:layer=all:pool=mean`));
  assert.deepEqual(g.axis?.values, [0, 1, 2]);
  const m = await buildTerm(g.specs[2].bands[0].terms[0], { dataset: textDataset(['One two.', 'Three.'], ['a', 'a']) });
  assert.equal(m.rows, 2);
  assert.equal(m.cols, 32);
});

test('an unsupported model_type is one line naming it and the supported list', async () => {
  for (const mt of ['albert', 'xlnet']) {
    const dir = mkdtempSync(join(tmpdir(), 'brainmap-zoo-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: mt, num_hidden_layers: 2 }));
    const want = `${join(dir, 'config.json')}: model_type: "${mt}" is not supported; expected one of gpt2, gpt_neox, llama, mistral, qwen2, qwen3, bert, roberta, xlm-roberta, t5, rwkv`;
    assert.throws(() => expandGrid(parseFeatureSpec(`lm:${dir}:layer=all`)), (e: unknown) => e instanceof InputError && e.message === want);
    await assert.rejects(buildTerm(parseFeatureSpec(`lm:${dir}:layer=0`).bands[0].terms[0], { dataset: textDataset(['x'], ['a']) }), (e: unknown) => e instanceof InputError && e.message === want);
  }
});
