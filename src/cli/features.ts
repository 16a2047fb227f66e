import { Command, InvalidArgumentError, Option } from 'commander';
import { join } from 'node:path';
import { loadDataset } from '../io/dataset.js';
import { encodeNpy } from '../io/npy.js';
import { writeBytes } from '../io/fsutil.js';
import { getBackend } from '../linalg/index.js';
import { getLmFeatures } from '../features/lm/cache.js';
import { LM_POOLINGS, type LmContext, type LmPooling } from '../features/lm/extract.js';
import { layerFileName, type LmManifest } from '../features/lm/cache.js';
import { DelayedProgress } from './progress.js';
import { checkOutputDir } from './outpath.js';
import { backendOption, positiveIntArg, seedArg } from './options.js';
import { helpAfter } from './help.js';

export interface FeaturesLmOptions {
  model: string;
  dataset: string;
  out: string;
  pool: LmPooling[];
  context: LmContext;
  seed?: number;
  cache: boolean;
  backend: 'auto' | 'native' | 'portable';
  threads?: number;
}

function poolList(v: string): LmPooling[] {
  const parts = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = parts.find((p) => !(LM_POOLINGS as readonly string[]).includes(p));
  if (bad !== undefined || parts.length === 0) throw new InvalidArgumentError(`--pool takes a comma-separated list of ${LM_POOLINGS.join(', ')}`);
  return [...new Set(parts)] as LmPooling[];
}

export function registerFeaturesCommand(program: Command): void {
  const features = program.command('features').description('extract feature spaces to files');
  features
    .command('lm')
    .description('language-model hidden states of every layer, pooled per sample with block context (docs/method.md §3.6): one .npy per layer and pooling + manifest.json')
    .requiredOption('--model <dir|name>', 'a Hugging Face folder (config.json + safetensors + tokenizer; model_type gpt2, gpt_neox, llama, mistral, qwen2, qwen3, bert, roberta, xlm-roberta, t5 or rwkv), <folder>:untrained (its architecture with seeded HF initialisation), or gpt2-untrained, gpt2-medium-untrained, gpt2-large-untrained, gpt2-xl-untrained')
    .requiredOption('--dataset <spec>', 'dataset: a Brain-Score .nc assembly, name:path, a dataset folder, or sim:pereira|fedorenko|blank')
    .requiredOption('--out <dir>', 'folder for layer<k>_<pool>.npy (samples × d, float32) and manifest.json')
    .option('--pool <list>', 'poolings to write: last, mean, sum (comma-separated)', poolList, [...LM_POOLINGS])
    .addOption(new Option('--context <rule>', 'previous samples of the same block as context, or none').choices(['block', 'none']).default('block'))
    .option('--seed <n>', 'initialisation seed (untrained models only: gpt2*-untrained, <folder>:untrained; default 0)', seedArg())
    .option('--no-cache', 'neither read nor write the feature cache ($BRAINMAP_CACHE or ./.brainmap-cache)')
    .addOption(backendOption())
    .option('--threads <n>', 'BLAS threads (default: all cores)', positiveIntArg())
    .addHelpText('after', helpAfter('features lm'))
    .action(runFeaturesLm);
}

export async function runFeaturesLm(opts: FeaturesLmOptions): Promise<void> {
  // An unusable --out fails now, not after the forward passes.
  checkOutputDir(opts.out, '--out');
  const backend = getBackend(opts.backend);
  if (opts.threads !== undefined) backend.setThreads(Math.max(1, opts.threads));
  const dataset = await loadDataset(opts.dataset);
  const progress = new DelayedProgress(`${opts.model} (tokens)`);
  let result;
  try {
    result = await getLmFeatures(opts.model, dataset, {
      seed: opts.seed,
      rules: { context: opts.context, window: 512 },
      backend,
      diskCache: opts.cache,
      onProgress: (d, t) => progress.update(d, t),
    });
  } finally {
    progress.stop();
  }
  const { features: f, manifest } = result;
  for (let k = 0; k < f.nLayers; k++) {
    for (const p of opts.pool) writeBytes(join(opts.out, layerFileName(k, p)), 'out', encodeNpy(f.pooled[p][k], [f.nSamples, f.dim]));
  }
  const files = manifest.files.map((row) => Object.fromEntries(opts.pool.map((p) => [p, row[p]])) as Record<LmPooling, string>);
  // The files written here are byte for byte the cache's, so their checksums carry over (for the poolings written).
  const checksums = manifest.checksums?.map((row) => Object.fromEntries(opts.pool.map((p) => [p, row[p]])) as Partial<Record<LmPooling, string>>);
  const out: LmManifest = { ...manifest, files, checksums, rules: { ...manifest.rules, poolings: opts.pool } };
  writeBytes(join(opts.out, 'manifest.json'), 'out', new TextEncoder().encode(JSON.stringify(out, null, 1) + '\n'));
  const tokens = f.tokens.context.reduce((a, _, i) => a + f.tokens.current[i], 0);
  process.stdout.write(
    `${manifest.model.spec}: ${f.nLayers} layers × ${opts.pool.length} poolings, ${f.nSamples} samples × ${f.dim} (${tokens} sample tokens, ${f.tokensProcessed} tokens in ${f.passes} forward passes; ${result.from === 'extracted' ? 'extracted' : `from the ${result.from} cache`})\n` +
    (manifest.perplexity ? `perplexity on the dataset's text: ${manifest.perplexity.value === null ? 'undefined' : manifest.perplexity.value.toPrecision(6)} (exp of the mean NLL over ${manifest.perplexity.tokens} tokens of the samples' own text; in manifest.json)\n` : '') +
    `wrote ${f.nLayers * opts.pool.length} .npy files and manifest.json to ${opts.out}\n`,
  );
}
