import { Option, type Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DeconstructResult, DeconstructSpace } from '../pipeline/deconstruct.js';
import { writeFileAtomic } from '../pipeline/results.js';
import { writeFeatureArtifacts } from '../features/artifacts.js';
import type { SplitScheme } from '../regression/splits.js';
import type { Blocking } from '../scoring/significance.js';
import { PAPER_BANDED_ITER } from '../regression/banded-defaults.js';
import { num, table, warningLine } from './format.js';
import { applyThreads, computeOptions, intInRange, positiveIntArg, seedArg } from './options.js';
import { checkOutputDir, writeFailure } from './outpath.js';
import { helpAfter } from './help.js';

/** deconstruct's default γ samples per banded sub-model (pipeline/deconstruct.ts DECONSTRUCT_DEFAULT_ITER; kept here so --help loads no fitting code). */
const DEFAULT_ITER = 30;

interface DeconstructCommandOptions {
  dataset: string;
  stimuli?: string;
  space: string[];
  llm?: string;
  models?: string;
  split: SplitScheme;
  seed: number;
  nIter: number;
  bandedSeed: number;
  gap: number;
  blocking: Blocking;
  compat?: 'paper';
  blockChunk?: number;
  backend: 'auto' | 'native' | 'portable';
  threads?: number;
  unitBatch: number;
  alphas?: number[];
  out?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerDeconstructCommand(program: Command): void {
  program
    .command('deconstruct')
    .description('N feature spaces and every banded sub-model of them: the best model per number of spaces, unique variance per space, where the LLM adds beyond the rest, Ω')
    .requiredOption('--dataset <spec>', 'dataset (as for score)')
    .option('--stimuli <file>', 'stimulus text (as for score)')
    .option('--space <name=features>', 'a named feature space, one band (repeat: 2–8 spaces; e.g. --space sl=sl --space llm=lm:gpt2-untrained:layer=4); planted:<name> reads a simulated dataset\'s generating space', collect, [])
    .option('--llm <name>', 'the space tested for variance beyond the others (default: the last --space)')
    .option('--models <list>', 'only these sub-models, comma-separated, spaces joined with + (e.g. sl+wp,sl+wp+llm); the LLM alone and the best model without it plus the LLM are always fitted')
    .addOption(new Option('--split <scheme>', 'train/test folds').choices(['contiguous', 'shuffled']).default('contiguous'))
    .option('--seed <n>', 'seed of the fold-label shuffle', seedArg(), 42)
    .addOption(computeOptions.nIter('band-weight samples per banded sub-model', PAPER_BANDED_ITER, DEFAULT_ITER))
    .option('--banded-seed <n>', 'seed of the band-weight sampler', seedArg(), 0)
    .option('--gap <n>', 'drop the training samples within n samples of a held-out sample of the same block (as score --gap)', intInRange(0), 0)
    .addOption(new Option('--blocking <how>', 'average squared errors within blocks before the unit-wise t-test (as partition)').choices(['none', 'block', 'paper']).default('block'))
    .addOption(computeOptions.compat("features z-scored once per outer fold, Schrimpf's r, the authors' block labels for the test"))
    .option('--block-chunk <n>', 'cut blocks into chunks of at most n samples for the test (Blank: 10)', positiveIntArg())
    .addOption(computeOptions.alphas())
    .addOption(computeOptions.backend())
    .addOption(computeOptions.threads())
    .addOption(computeOptions.unitBatch())
    .option('--out <dir>', 'write deconstruct.json, models.csv and units.csv here')
    .option('--json', 'print JSON instead of tables')
    .addHelpText('after', helpAfter('deconstruct', { features: true }))
    .action(async (opts: DeconstructCommandOptions) => {
      if (opts.out) checkOutputDir(opts.out, '--out');
      const [{ getBackend }, { loadDataset }, dec, { DelayedProgress }] = await Promise.all([
        import('../linalg/index.js'), import('../io/dataset.js'), import('../pipeline/deconstruct.js'), import('./progress.js'),
      ]);
      const spaces: DeconstructSpace[] = opts.space.map(dec.parseSpaceArg);
      const names = spaces.map((s) => s.name);
      const models = opts.models !== undefined ? dec.parseModelsArg(opts.models, names) : undefined;
      const backend = getBackend(opts.backend);
      applyThreads(backend, opts.threads);
      if (opts.compat === 'paper' && opts.blocking === 'block') opts.blocking = 'paper';
      const dataset = await loadDataset(opts.dataset, { stimuli: opts.stimuli });
      const progress = new DelayedProgress('deconstruct');
      let d: DeconstructResult;
      try {
        d = await dec.deconstructFeatures(dataset, spaces, {
          split: opts.split, seed: opts.seed, backend, alphas: opts.alphas, unitBatch: opts.unitBatch, bandedIter: opts.nIter, bandedSeed: opts.bandedSeed, gap: opts.gap,
          blocking: opts.blocking, blockChunk: opts.blockChunk, compat: opts.compat, llm: opts.llm, models,
          onProgress: (done, total) => progress.update(done, total, 'sub-models'),
        });
      } finally {
        progress.stop();
      }
      const json = dec.deconstructJson(d, opts.split);
      let writeError: unknown = null;
      if (opts.out) {
        try {
          mkdirSync(opts.out, { recursive: true });
          writeFileAtomic(join(opts.out, 'deconstruct.json'), JSON.stringify(json, null, 2) + '\n');
          writeFileAtomic(join(opts.out, 'models.csv'), dec.deconstructModelsCsv(d));
          writeFileAtomic(join(opts.out, 'units.csv'), dec.deconstructUnitsCsv(d));
          // Files the features left for the reader (e.g. synt's variants), as score writes them.
          writeFeatureArtifacts(opts.out);
        } catch (err) {
          writeError = err;
        }
      }
      const fail = () => { if (writeError !== null) throw writeFailure(opts.out as string, '--out', writeError); };
      if (opts.json) { process.stdout.write(JSON.stringify(json, null, 2) + '\n'); return fail(); }
      const out = [
        `${json.dataset.name}  ·  ${json.spaces.map((s) => `${s.name} = ${s.spec}`).join('  ·  ')}  ·  ${opts.split} splits  ·  ${json.models.length} sub-models`,
        '',
        table(['spaces', 'best sub-model', 'R² (mean ± SEM)'], [
          ...json.levels.map((l) => [String(l.n_spaces), l.model, `${num(l.r2)} ± ${num(l.r2_sem)}`]),
          ['unit-wise max', '(best sub-model per unit)', `${num(json.unit_max.r2)} ± ${num(json.unit_max.r2_sem)}`],
        ], ['r', 'l', 'r']),
        '',
        json.unique.length
          ? table(['space', 'unique R² (full − without it)'], json.unique.map((u) => [u.space, u.unique === null ? '–' : num(u.unique)]), ['l', 'r'])
          : 'unique variance: the full model was not among --models',
        '',
        `${json.llm} beyond the best model without it (${json.llm_beyond.simple}): significant in ${num(json.llm_beyond.mean_percent_significant, 1)} % of units (mean over subjects; paired one-sided t-test on squared errors, ${json.llm_beyond.blocking === 'none' ? 'per sample' : 'block means'}, BH within subject).`,
        `Ω of ${json.llm} by ${json.llm_beyond.simple}: ${num(json.omega.mean, 1)} % (mean over subjects).`,
        ...json.warnings.map(warningLine),
        opts.out && writeError === null ? `wrote ${opts.out}/deconstruct.json, models.csv and units.csv` : '',
      ];
      process.stdout.write(out.filter((l, i) => l !== '' || i < out.length - 1).join('\n') + '\n');
      fail();
    });
}
