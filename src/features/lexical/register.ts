/**
 * The lexical feature terms (METHODS §3.5; issue 15):
 *
 *   word:vectors=<file>[:vocab=<file>][:pool=sum|mean]
 *   sense:<model>:vectors=<LMMS file>[:layers=<lo>-<hi>][:context=sample|block][:seed=N]
 *   synt:<model>:layer=<k|all>[:k=K][:seed=S][:pool=last|mean|sum][:context=block|none][:init-seed=N]
 *
 * each with `deref=<dir>` (Pereira2018's pronoun-dereferenced sentences) or `text=<file>` (one
 * line per sample) to choose the text (text-source.ts). <model> is an lm model spec (a Hugging
 * Face folder, `<folder>:untrained`, gpt2[-medium|-large|-xl]-untrained), also accepted as
 * `model=<spec>`.
 */
import type { Dataset } from '../../data/dataset.js';
import { inputError, InputError } from '../../data/errors.js';
import type { Matrix64 } from '../../linalg/matrix.js';
import { recordFeatureArtifact } from '../artifacts.js';
import { registerGridResolver } from '../grid.js';
import { getLmLayer } from '../lm/cache.js';
import { lmTermSettings } from '../lm/index.js';
import { lmModelConfig } from '../lm/model.js';
import { registerFeature } from '../registry.js';
import { checkParams, numberParam, type FeatureTerm } from '../spec.js';
import { contextualWordVectors, type LayerRange } from './contextual.js';
import { tagSamples, type TaggedToken } from './nlp.js';
import { senseFeatures, sensePosOf, type SenseChoice } from './sense.js';
import { syntVariants, syntVariantsTsv } from './synt.js';
import { lexicalTexts, TEXT_PARAMS } from './text-source.js';
import { readSenseInventory, readStaticVectors } from './vectors.js';
import { lemmaVectorSum, lookupWarning, wordVocabulary } from './word.js';

/** Where warnings go (one line each); tests may replace it. */
let warnSink: (line: string) => void = (line) => { process.stderr.write(`${line}\n`); };

/** Sets where the lexical features' warnings go (returns the previous sink). */
export function setLexicalWarningSink(sink: (line: string) => void): (line: string) => void {
  const prev = warnSink;
  warnSink = sink;
  return prev;
}

/** The model spec of a term: `model=<spec>`, or positional `<spec>` / `<folder>:untrained`. */
export function termModel(term: FeatureTerm, usage: string): string {
  const pos = term.positional;
  if (term.params.model !== undefined) {
    if (pos.length > 0) throw new InputError(`--features: "${term.text}": give the model once (model=<spec> or ${term.name}:<spec>)`);
    return term.params.model;
  }
  if (pos.length === 2 && pos[1] === 'untrained') return `${pos[0]}:untrained`;
  if (pos.length !== 1) throw new InputError(`--features: "${term.text}": expected ${usage}`);
  return pos[0];
}

function requirePath(term: FeatureTerm, key: string, what: string): string {
  const v = term.params[key];
  if (v === undefined) throw new InputError(`--features: "${term.text}": missing ${key}=<${what}>`);
  return v;
}

/** Sample i's tagged tokens for every sample (the term's text, tagged block by block). */
function taggedSamples(term: FeatureTerm, dataset: Dataset): TaggedToken[][] {
  return tagSamples(lexicalTexts(term, dataset), dataset.samples.block);
}

const WORD_PARAMS = ['vectors', 'vocab', 'pool', ...TEXT_PARAMS] as const;
const SENSE_PARAMS = ['model', 'vectors', 'layers', 'seed', 'context', ...TEXT_PARAMS] as const;
const SYNT_PARAMS = ['model', 'layer', 'k', 'seed', 'pool', 'context', 'init-seed', ...TEXT_PARAMS] as const;
const SENSE_USAGE = 'sense:<encoder folder or <folder>:untrained>:vectors=<LMMS sense vectors file>[:layers=<lo>-<hi>]';
const SYNT_USAGE = 'synt:<model folder or gpt2[-medium|-large|-xl]-untrained>:layer=<k>[:k=<variants>][:seed=<n>]';

/** `layers=<lo>-<hi>` (or one layer `<k>`), else undefined (the default range). */
function layerRange(term: FeatureTerm, nLayer: number): LayerRange | undefined {
  const raw = term.params.layers;
  if (raw === undefined) return undefined;
  const m = /^(\d+)(?:-(\d+))?$/.exec(raw);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || lo > hi || hi > nLayer) throw new InputError(`--features: "${term.text}": layers=${raw}; expected <lo>-<hi> with 0 ≤ lo ≤ hi ≤ ${nLayer} (hidden states of the model; 0 = embeddings)`);
  return { lo, hi };
}

function senseChoicesTsv(choices: SenseChoice[][], tagged: TaggedToken[][]): string {
  const rows = ['sample\ttoken\tword\tlemma\tpos\tsense\tcosine'];
  choices.forEach((cs, i) => cs.forEach((c) => rows.push([i, c.token, tagged[i][c.token].text, c.lemma, c.pos, c.sense ?? '', c.cosine === null ? '' : c.cosine.toFixed(6)].join('\t'))));
  return rows.join('\n') + '\n';
}

/** WORD: Σ static vectors over the lemmas (word.ts). */
export function buildWord(term: FeatureTerm, dataset: Dataset): Matrix64 {
  checkParams(term, WORD_PARAMS);
  const path = requirePath(term, 'vectors', 'word vectors: text "word v1 … vd", or .npy with vocab=<file>');
  const pool = term.params.pool ?? 'sum';
  if (pool !== 'sum' && pool !== 'mean') throw new InputError(`--features: "${term.text}": pool=${pool}; expected pool=sum or pool=mean`);
  const tagged = taggedSamples(term, dataset);
  const wv = readStaticVectors(path, { vocab: term.params.vocab, only: wordVocabulary(tagged) });
  const { features, report } = lemmaVectorSum(tagged, wv, pool);
  if (report.missing === report.words) throw inputError(path, 'vectors', `none of the dataset's ${report.words} words has a vector for its lemma or form; expected vectors covering its vocabulary (lower-case words)`);
  const w = lookupWarning('word', path, report, 'no vector for their lemma or form');
  if (w) warnSink(w);
  return features;
}

/** SENSE: contextual word vectors matched to LMMS sense vectors (contextual.ts, sense.ts). */
export async function buildSense(term: FeatureTerm, dataset: Dataset): Promise<Matrix64> {
  checkParams(term, SENSE_PARAMS);
  const model = termModel(term, SENSE_USAGE);
  const path = requirePath(term, 'vectors', 'LMMS sense vectors file: "lemma%ss_type:lex_filenum:lex_id:head_word:head_id v1 … vd" lines');
  const seed = term.params.seed === undefined ? undefined : numberParam(term, 'seed', { min: 0, max: 0xffffffff, integer: true });
  const cfg = lmModelConfig(model);
  const layers = layerRange(term, cfg.nLayer);
  const tagged = taggedSamples(term, dataset);
  const lemmas = new Set<string>();
  for (const s of tagged) for (const t of s) if (sensePosOf(t.pos) !== null) lemmas.add(t.lemma.replace(/ /g, '_'));
  const inv = readSenseInventory(path, lemmas);
  if (inv.dim !== cfg.nEmbd) {
    throw new InputError(`${path}: dimension: the sense vectors have ${inv.dim} values; expected ${cfg.nEmbd}, the hidden size of ${model} (LMMS-SP-WSD files match their encoder: roberta-large 1024; the concatenated LMMS 2048/2348 and LMMS-SP-USM files do not)`);
  }
  const context = term.params.context ?? 'sample';
  if (context !== 'sample' && context !== 'block') throw new InputError(`--features: "${term.text}": context=${context}; expected context=sample (each sample alone, as LMMS embeds a sentence) or context=block (the block's samples as one input)`);
  const ctx = await contextualWordVectors(model, tagged, { seed, layers, blocks: context === 'block' ? dataset.samples.block : undefined, onWarning: warnSink });
  const { features, choices, report } = senseFeatures(tagged, ctx.vectors, inv);
  if (report.missing === report.words) throw inputError(path, 'senses', `none of the dataset's ${report.words} content words has a sense for its (lemma, POS); expected sense keys such as ${report.missingLemmas.slice(0, 2).map(([k]) => `${k.split('/')[0]}%${({ n: 1, v: 2, a: 3, r: 4 } as Record<string, number>)[k.split('/')[1]]}:…`).join(', ')}`);
  const w = lookupWarning('sense', path, report, 'no sense for their (lemma, POS)');
  if (w) warnSink(w);
  recordFeatureArtifact('sense-choices.tsv', senseChoicesTsv(choices, tagged));
  return features;
}

/** SYNT: the lm layer on content-free variants, averaged over K (synt.ts). */
export async function buildSynt(term: FeatureTerm, dataset: Dataset): Promise<Matrix64> {
  checkParams(term, SYNT_PARAMS);
  const model = termModel(term, SYNT_USAGE);
  const k = numberParam(term, 'k', { min: 1, max: 1000, integer: true, fallback: 5 });
  const seed = numberParam(term, 'seed', { min: 0, max: 0xffffffff, integer: true, fallback: 0 });
  // The lm settings (layer, pool, context, the model's init seed), checked as lm checks them.
  const lmParams: Record<string, string> = {};
  for (const key of ['layer', 'pool', 'context'] as const) if (term.params[key] !== undefined) lmParams[key] = term.params[key];
  if (term.params['init-seed'] !== undefined) lmParams.seed = term.params['init-seed'];
  const s = lmTermSettings({ name: 'lm', params: lmParams, positional: model.endsWith(':untrained') ? [model.slice(0, -':untrained'.length), 'untrained'] : [model], text: term.text });
  const texts = lexicalTexts(term, dataset);
  const variants = syntVariants(tagSamples(texts, dataset.samples.block), k, seed);
  recordFeatureArtifact(`synt-variants-seed${seed}-k${k}.tsv`, syntVariantsTsv(texts, dataset.samples.block, variants));
  let acc: Float64Array | null = null;
  let dim = 0;
  for (let v = 0; v < k; v++) {
    const variantSet = { name: dataset.name, source: `${dataset.source} (synt variant ${v + 1} of ${k}, seed ${seed})`, samples: { ...dataset.samples, text: variants[v] } };
    const r = await getLmLayer(s.model, variantSet, s.layer, s.pool, { seed: s.seed, rules: { context: s.context, window: 512 } });
    if (acc === null) { acc = new Float64Array(r.data.length); dim = r.dim; }
    for (let i = 0; i < acc.length; i++) acc[i] += r.data[i] / k;
  }
  return { rows: dataset.y.rows, cols: dim, data: acc! };
}

/** Registers word, sense and synt (and synt's `layer=all` grid). Idempotent. */
export function registerLexicalFeatures(): void {
  registerFeature({
    name: 'word',
    summary: 'WORD: static word vectors (text "word v1 … vd" or .npy + vocab=) summed over the lemmas of each sample (wink-nlp; deref=<dir> for Pereira\'s dereferenced text) (§3.5)',
    params: WORD_PARAMS,
    build: (term, { dataset }) => buildWord(term, dataset),
  });
  registerFeature({
    name: 'sense',
    summary: 'SENSE: LMMS sense vectors chosen by cosine to an encoder\'s contextual word embeddings (mean of layers, subword mean), lemma + POS candidates, summed per sample (§3.5)',
    params: SENSE_PARAMS,
    build: (term, { dataset }) => buildSense(term, dataset),
  });
  registerFeature({
    name: 'synt',
    summary: 'SYNT: a language model\'s layer on K seeded variants of each sentence with its content words replaced by same-tag, same-inflection words of the dataset, averaged (§3.5)',
    params: SYNT_PARAMS,
    build: (term, { dataset }) => buildSynt(term, dataset),
  });
  registerGridResolver('synt', (term, param, raw) => {
    if (param !== 'layer' || (raw !== 'all' && raw !== 'grid')) return undefined;
    const cfg = lmModelConfig(termModel(term, SYNT_USAGE));
    return Array.from({ length: cfg.nLayer + 1 }, (_, i) => i);
  });
}
