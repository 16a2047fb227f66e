/**
 * LLM feature extraction speed: untrained gpt2-shaped and gpt2-xl-shaped models (seed 0) on the
 * Pereira2018 sentences with passage context (METHODS §3.6, Appendix A), one forward pass per
 * passage. Prints the weight-generation time and tokens/second of the forward passes; gpt2-xl runs
 * on the first 20 sentences only (its weight generation alone takes about a minute on 2 cores).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pereiraPassages, pereiraRowLabels } from '../src/data/pereira-design.js';
import { getBackend } from '../src/linalg/index.js';
import { untrainedConfig } from '../src/features/lm/config.js';
import { extractLmFeatures } from '../src/features/lm/extract.js';
import { Gpt2Model } from '../src/features/lm/gpt2.js';
import { UntrainedGpt2Weights } from '../src/features/lm/init.js';
import { r50kTokenizer } from '../src/features/lm/tokenizer.js';

const SENTENCES = fileURLToPath(new URL('../../shared/data/pereira2018/sentences_ordered.txt', import.meta.url));

async function run(model: string, nSentences: number, texts: string[], blocks: string[]): Promise<void> {
  const backend = getBackend('auto');
  const t0 = performance.now();
  const weights = new UntrainedGpt2Weights(untrainedConfig(model), 0);
  for (let l = 0; l < weights.config.nLayer; l++) weights.block(l);
  const tInit = (performance.now() - t0) / 1000;
  const gm = new Gpt2Model(weights, backend);
  const t1 = performance.now();
  const f = await extractLmFeatures(gm, r50kTokenizer(), texts.slice(0, nSentences), blocks.slice(0, nSentences));
  const tFwd = (performance.now() - t1) / 1000;
  const subset = nSentences < texts.length ? ` (first ${nSentences} of ${texts.length} sentences, to keep the bench short)` : '';
  console.log(
    `  ${model.padEnd(18)} ${nSentences} sentences${subset}: weights generated in ${tInit.toFixed(1)} s; ` +
    `${f.tokensProcessed} tokens in ${f.passes} passes, ${tFwd.toFixed(2)} s → ${(f.tokensProcessed / tFwd).toFixed(0)} tokens/s ` +
    `(${f.nLayers} layers × 3 poolings × ${f.dim} dims)`,
  );
}

export async function benchLm(): Promise<void> {
  let texts: string[];
  try {
    texts = readFileSync(SENTENCES, 'utf8').split('\n').filter((l) => l !== '');
  } catch {
    console.log(`lm: skipped (${SENTENCES} not found)`);
    return;
  }
  const blocks = pereiraRowLabels(pereiraPassages());
  if (texts.length !== blocks.length) {
    console.log(`lm: skipped (${texts.length} sentences, expected ${blocks.length})`);
    return;
  }
  const backend = getBackend('auto');
  console.log(`lm feature extraction (untrained, seed 0, Pereira2018 with passage context; backend ${backend.name}, ${backend.getThreads()} BLAS threads)`);
  await run('gpt2-untrained', texts.length, texts, blocks);
  await run('gpt2-xl-untrained', 20, texts, blocks);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await benchLm();
