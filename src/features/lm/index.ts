/**
 * The `lm` feature family: hidden states of a language model, pooled per sample (METHODS §3.6).
 *
 *   lm:<model>:layer=<k|all>:pool=<last|mean|sum>[:context=block|none][:seed=N | :seeds=a-b]
 *
 * <model> is a Hugging Face folder of a supported architecture (config.json `model_type` gpt2,
 * gpt_neox, llama, mistral, qwen2, qwen3, bert, roberta, xlm-roberta, t5 or rwkv; see architectures.ts)
 * or an untrained GPT-2 name (gpt2-untrained, gpt2-medium-untrained, gpt2-large-untrained,
 * gpt2-xl-untrained; `seed`, default 0, picks the initialisation). `lm:<folder>:untrained[:seed=N]`
 * is the folder's architecture and tokenizer with seeded weights by transformers' init rules
 * (untrained.ts). `seeds=a-b` (untrained models) is expanded by scoreSpec: each seed scored with
 * its own layer choice, then the mean over seeds (src/pipeline/seeds.ts); it is never built here.
 * `layer=all` is a grid over 0 … n_layer of that model. All layers are extracted once and cached
 * (see cache.ts).
 */
import { InputError } from '../../data/errors.js';
import { type Matrix64 } from '../../linalg/matrix.js';
import { registerGridResolver } from '../grid.js';
import { registerFeature } from '../registry.js';
import { checkParams, numberParam, type FeatureTerm } from '../spec.js';
import { getLmLayer } from './cache.js';
import { LM_POOLINGS, type LmContext, type LmPooling } from './extract.js';
import { lmModelConfig } from './model.js';

export { GPT2_SHAPES, gpt2Config, parseGpt2Config, readGpt2Config, untrainedConfig, type Gpt2Config, type Gpt2Activation } from './config.js';
export { Gpt2Model, SafetensorsGpt2Weights, layerNorm, type Gpt2Weights, type Gpt2BlockWeights, type ForwardOptions } from './gpt2.js';
export { UntrainedGpt2Weights, fillNormal, normalTensor, INIT_CHUNK } from './init.js';
export { SafetensorsFile, SafetensorsModel, parseSafetensorsHeader, toFloat32, type TensorInfo, type SafetensorsDtype } from './safetensors.js';
export { ByteLevelBpe, loadTokenizer, r50kTokenizer, readTokenizerJson, readVocabMerges, bytesToUnicode, GPT2_PATTERN, type Tokenizer } from './tokenizer.js';
export { extractLmFeatures, tokenizeSamples, planPasses, contextGroups, LM_POOLINGS, DEFAULT_LM_RULES, type LmFeatures, type LmPooling, type LmContext, type LmRules, type SampleTokens, type PlannedPass, type ExtractOptions } from './extract.js';
export { openLmModel, lmModelConfig, isUntrainedName, untrainedFolder, hashFiles, architectureRunner, type LmModel, type LmShape } from './model.js';
export { UntrainedTensors, initRules, fnv1a32, type TensorSource, type InitRule } from './untrained.js';
export { gpt2Runner, specialTokensOf, type LmRunner, type LmTokenizer, type SpecialTokens } from './extract.js';
export { ByteLru } from './memo.js';
export { getLmFeatures, getLmLayer, clearLmMemo, setLmMemoLimit, lmMemoStats, defaultLmMemoBytes, lmCacheRoot, lmCacheKey, datasetTextHash, writeLmFeatures, readLmFeatures, lmManifest, layerFileName, LM_CACHE_VERSION, type LmManifest, type LmFeaturesResult, type LmLayerResult, type LmMemoStats, type GetLmFeaturesOptions } from './cache.js';

const LM_PARAMS = ['layer', 'pool', 'context', 'seed', 'seeds'] as const;

/** The model spec of a term: `<folder>`, `<untrained name>`, or `<folder>:untrained` (lm:<folder>:untrained:…). */
function modelOf(term: FeatureTerm): string {
  if (term.positional.length === 2 && term.positional[1] === 'untrained') return `${term.positional[0]}:untrained`;
  if (term.positional.length !== 1) {
    throw new InputError(`--features: "${term.text}": expected lm:<model folder or gpt2[-medium|-large|-xl]-untrained>[:untrained]:layer=<k>:pool=<last|mean|sum>`);
  }
  return term.positional[0];
}

/** The lm term's settings, validated (messages name the term). */
export function lmTermSettings(term: FeatureTerm): { model: string; layer: number; pool: LmPooling; context: LmContext; seed: number | undefined } {
  checkParams(term, LM_PARAMS);
  if (term.params.seeds !== undefined) {
    throw new InputError(`--features: "${term.text}": seeds=${term.params.seeds} (the mean over seeds of each seed's score) is computed by score, partition and audit; here give one seed=N`);
  }
  const model = modelOf(term);
  const cfg = lmModelConfig(model);
  const layer = numberParam(term, 'layer', { min: 0, max: cfg.nLayer, integer: true });
  const pool = (term.params.pool ?? 'last') as LmPooling;
  if (!LM_POOLINGS.includes(pool)) throw new InputError(`--features: "${term.text}": pool=${term.params.pool}; expected pool=last, pool=mean or pool=sum`);
  const context = (term.params.context ?? 'block') as LmContext;
  if (context !== 'block' && context !== 'none') throw new InputError(`--features: "${term.text}": context=${term.params.context}; expected context=block or context=none`);
  const seed = term.params.seed === undefined ? undefined : numberParam(term, 'seed', { min: 0, max: 0xffffffff, integer: true });
  return { model, layer, pool, context, seed };
}

/** Registers the `lm` feature and its `layer=all` grid. Idempotent. */
export function registerLmFeature(): void {
  registerFeature({
    name: 'lm',
    summary: 'language-model hidden states (HF folder: gpt2, gpt_neox, llama, mistral, qwen2, qwen3, bert, roberta, xlm-roberta, t5, rwkv; or gpt2[-medium|-large|-xl]-untrained), pooled over each sample\'s tokens with block context (§3.6)',
    params: LM_PARAMS,
    async build(term, { dataset }): Promise<Matrix64> {
      const s = lmTermSettings(term);
      const { data, nSamples, dim } = await getLmLayer(s.model, dataset, s.layer, s.pool, { seed: s.seed, rules: { context: s.context, window: 512 } });
      return { rows: nSamples, cols: dim, data: Float64Array.from(data) };
    },
  });
  registerGridResolver('lm', (term, param, raw) => {
    if (param !== 'layer' || (raw !== 'all' && raw !== 'grid')) return undefined;
    const cfg = lmModelConfig(modelOf(term));
    return Array.from({ length: cfg.nLayer + 1 }, (_, k) => k);
  });
}
