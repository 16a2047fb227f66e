import { readWordVectors } from '../io/glove.js';
import { readMatrixNpy } from '../io/npy.js';
import { positionAndWordRate, positionOneHot, positionRamps, wordCount, wordPosition } from './confounds.js';
import { bagOfWords, datasetVocabulary, poolWordVectors, type Pooling } from './embeddings.js';
import { oasm } from './oasm.js';
import { pereiraGlove } from './pereira-glove.js';
import { registerFeature } from './registry.js';
import { checkParams, numberParam, type FeatureTerm } from './spec.js';
import { InputError } from '../data/errors.js';
import { registerLmFeature } from './lm/index.js';
import { registerLexicalFeatures } from './lexical/register.js';

function poolingParam(term: FeatureTerm, fallback: Pooling): Pooling {
  const p = term.params.pool ?? fallback;
  if (p !== 'sum' && p !== 'mean') throw new InputError(`--features: "${term.text}": pool=${p}; expected pool=sum or pool=mean`);
  return p;
}

/** Registers the features that ship with brainmap. Idempotent. */
export function registerBuiltinFeatures(): void {
  registerFeature({
    name: 'oasm',
    summary: 'OASM: one column per sample, Gaussian-smoothed within each block; no language at all (docs/method.md §3.1)',
    params: ['sigma'],
    build(term, { dataset }) {
      checkParams(term, ['sigma']);
      return oasm(dataset.samples.block, dataset.y.rows, numberParam(term, 'sigma', { min: 0, max: 1000 }));
    },
  });
  registerFeature({
    name: 'sl',
    summary: 'sentence length: words in the sample text, whitespace split (§3.2)',
    params: [],
    build(term, { dataset }) { checkParams(term, []); return wordCount(dataset); },
  });
  registerFeature({
    name: 'wn',
    summary: 'word rate: words in the sample text, whitespace split (Blank2014 WN, §3.4)',
    params: [],
    build(term, { dataset }) { checkParams(term, []); return wordCount(dataset); },
  });
  registerFeature({
    name: 'sp',
    summary: 'sentence position: one-hot of the position in the block, smoothed within the block (§3.2)',
    params: ['sigma'],
    build(term, { dataset }) { checkParams(term, ['sigma']); return positionOneHot(dataset, numberParam(term, 'sigma', { min: 0, max: 1000, fallback: 0 })); },
  });
  registerFeature({
    name: 'pwr',
    summary: 'position and word rate: sp + sl (§3.2)',
    params: ['sigma'],
    build(term, { dataset }) { checkParams(term, ['sigma']); return positionAndWordRate(dataset, numberParam(term, 'sigma', { min: 0, max: 1000, fallback: 0 })); },
  });
  registerFeature({
    name: 'wp',
    summary: 'word position: smoothed one-hot of the position in the block plus the raw position (§3.3)',
    params: ['sigma'],
    build(term, { dataset }) { checkParams(term, ['sigma']); return wordPosition(dataset, numberParam(term, 'sigma', { min: 0, max: 1000, fallback: 0 })); },
  });
  registerFeature({
    name: 'ramps',
    summary: 'position ramps min(k, t), k = 1…len−1, t = position in block (Blank2014 pos, §3.4)',
    params: ['len'],
    build(term, { dataset }) { checkParams(term, ['len']); return positionRamps(dataset, numberParam(term, 'len', { min: 2, max: 100000, integer: true })); },
  });
  registerFeature({
    name: 'bow',
    summary: "bag of words over the dataset's own vocabulary (a content feature needing no file)",
    params: ['pool'],
    build(term, { dataset }) { checkParams(term, ['pool']); return bagOfWords(dataset, poolingParam(term, 'sum')); },
  });
  registerFeature({
    name: 'glove',
    summary: 'static word vectors (GloVe/word2vec text file) summed or averaged over each sample\'s words (§3.5)',
    params: ['path', 'pool'],
    build(term, { dataset }) {
      checkParams(term, ['path', 'pool']);
      const path = term.params.path;
      if (!path) throw new InputError(`--features: "${term.text}": missing path=<word vectors .txt>`);
      const wv = readWordVectors(path, datasetVocabulary(dataset));
      return poolWordVectors(dataset.samples.text, wv, poolingParam(term, 'sum')).features;
    },
  });
  registerFeature({
    name: 'pereira-glove',
    summary: 'the GloVe sentence vectors distributed with Pereira2018, aligned to the dataset by sentence text (§3.5)',
    params: ['dir'],
    build(term, { dataset }) {
      checkParams(term, ['dir']);
      const dir = term.params.dir;
      if (!dir) throw new InputError(`--features: "${term.text}": missing dir=<folder with glove_sentence_vectors_{243,384}.txt and stimuli_{243,384}sentences.txt>`);
      return pereiraGlove(dataset, dir);
    },
  });
  registerFeature({
    name: 'file',
    summary: 'a precomputed samples × features matrix from a .npy file (rows in dataset order)',
    params: ['path'],
    build(term) { return readMatrixNpy(term.params.path, { field: 'features' }); },
  });
  registerLmFeature();
  registerLexicalFeatures();
}
