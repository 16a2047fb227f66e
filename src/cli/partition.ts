import { Option, type Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PartitionResult } from '../pipeline/partition.js';
import { writeFileAtomic } from '../pipeline/results.js';
import { writeFeatureArtifacts } from '../features/artifacts.js';
import type { SelectMode } from '../pipeline/select.js';
import type { SplitScheme } from '../regression/splits.js';
import type { Blocking } from '../scoring/significance.js';
import { num, table, warningLine } from './format.js';
import { applyThreads, computeOptions, intInRange, positiveIntArg, seedArg } from './options.js';
import { DEFAULT_BANDED_ITER, PAPER_BANDED_ITER } from '../regression/banded-defaults.js';
import { checkOutputDir, writeFailure } from './outpath.js';
import { helpAfter } from './help.js';

interface PartitionCommandOptions {
  dataset: string;
  stimuli?: string;
  a: string;
  b: string;
  split: SplitScheme;
  seed: number;
  select: SelectMode;
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

export function registerPartitionCommand(program: Command): void {
  program
    .command('partition')
    .description('variance partitioning of A, B and A | B: Ω per subject, unique/shared variance per unit, and where B adds significant variance')
    .requiredOption('--dataset <spec>', 'dataset (as for score)')
    .option('--stimuli <file>', 'stimulus text (Fedorenko2016 or Pereira2018 sentences_ordered.txt, one sentence per line; Blank2014 story_data_dict.npz)')
    .requiredOption('--a <features>', 'the simpler feature set (e.g. sp:sigma=3.4+sl)')
    .requiredOption('--b <features>', 'the feature set to explain (e.g. file:gpt2xl-layer21.npy)')
    .addOption(new Option('--split <scheme>', 'train/test folds').choices(['contiguous', 'shuffled']).default('contiguous'))
    .option('--seed <n>', 'seed of the fold-label shuffle', seedArg(), 42)
    .addOption(new Option('--select <how>', 'grid selection').choices(['validation', 'test']).default('validation'))
    .addOption(computeOptions.nIter('band-weight samples of the banded fit', PAPER_BANDED_ITER, DEFAULT_BANDED_ITER))
    .option('--banded-seed <n>', 'seed of the band-weight sampler', seedArg(), 0)
    .option('--gap <n>', 'drop the training samples within n samples of a held-out sample of the same block, in outer and inner folds (as score --gap)', intInRange(0), 0)
    .addOption(new Option('--blocking <how>', 'average squared errors within blocks before the unit-wise t-test; "paper" is an alias of --compat paper\'s blocking (the authors\' mis-ordered labels)').choices(['none', 'block', 'paper']).default('block'))
    .addOption(computeOptions.compat("features z-scored once per outer fold, Schrimpf's r, block labels taken in the original row order for fold-ordered errors (--blocking paper alone changes only the last)"))
    .option('--block-chunk <n>', 'cut blocks into chunks of at most n samples for the test (Blank: 10)', positiveIntArg())
    .addOption(computeOptions.alphas())
    .addOption(computeOptions.backend())
    .addOption(computeOptions.threads())
    .addOption(computeOptions.unitBatch())
    .option('--out <dir>', 'write partition.json and units.csv here')
    .option('--json', 'print JSON instead of tables')
    .addHelpText('after', helpAfter('partition', { features: true }))
    .action(async (opts: PartitionCommandOptions) => {
      // An unusable --out fails now, not after the fits.
      if (opts.out) checkOutputDir(opts.out, '--out');
      // The heavy modules load when the command runs, not when the CLI starts (see main.ts).
      const [{ getBackend }, { loadDataset }, { partitionCsv, partitionFeatures, partitionJson }, { DelayedProgress }] = await Promise.all([
        import('../linalg/index.js'), import('../io/dataset.js'), import('../pipeline/partition.js'), import('./progress.js'),
      ]);
      const backend = getBackend(opts.backend);
      applyThreads(backend, opts.threads);
      if (opts.compat === 'paper' && opts.blocking === 'block') opts.blocking = 'paper';
      const dataset = await loadDataset(opts.dataset, { stimuli: opts.stimuli });
      const progress = new DelayedProgress('partition');
      let p: PartitionResult;
      try {
        p = await partitionFeatures(dataset, opts.a, opts.b, {
          split: opts.split, seed: opts.seed, select: opts.select, backend, alphas: opts.alphas, unitBatch: opts.unitBatch, bandedIter: opts.nIter, bandedSeed: opts.bandedSeed, gap: opts.gap,
          blocking: opts.blocking, blockChunk: opts.blockChunk, compat: opts.compat, onProgress: (d, t) => { const k = Math.min(2, Math.floor((3 * d) / Math.max(1e-12, t))); progress.update(d, t, `${k + 1}/3: ${['A', 'B', 'A | B'][k]}`); },
        });
      } finally {
        progress.stop();
      }
      const json = partitionJson(p, opts.split);
      // If writing still fails, the result is printed anyway and the failure is one error line.
      let writeError: unknown = null;
      if (opts.out) {
        try {
          mkdirSync(opts.out, { recursive: true });
          writeFileAtomic(join(opts.out, 'partition.json'), JSON.stringify(json, null, 2) + '\n');
          writeFileAtomic(join(opts.out, 'units.csv'), partitionCsv(p));
          // Files the features left for the reader (e.g. synt's variants), as score writes them.
          writeFeatureArtifacts(opts.out);
        } catch (err) {
          writeError = err;
        }
      }
      const fail = () => { if (writeError !== null) throw writeFailure(opts.out as string, '--out', writeError); };
      if (opts.json) { process.stdout.write(JSON.stringify(json, null, 2) + '\n'); return fail(); }
      const sig = new Map(json.significance.subjects.map((s) => [s.subject, s]));
      const out = [
        `${json.dataset}  ·  A = ${json.a.features}  ·  B = ${json.b.features}  ·  ${opts.split} splits`,
        '',
        table(['subject', 'R² A', 'R² B', 'R² A|B', 'Ω (% of B explained by A)', '% units B adds (BH p<.05)'],
          json.subjects.map((s) => [s.subject, num(s.r2_a), num(s.r2_b), num(s.r2_joint), num(s.omega, 1), num(sig.get(s.subject)?.percent_significant, 1)]), ['l', 'r', 'r', 'r', 'r', 'r']),
        '',
        `mean Ω ${num(json.omega_mean, 1)} %: ${json.omega_mean >= 80 ? 'most of what B explains, A already explains' : json.omega_mean <= 20 ? 'B explains variance that A does not' : 'A explains part of what B explains'}.`,
        `units where B adds significant variance beyond A: ${num(json.significance.mean_percent_significant, 1)} % (mean over subjects; paired one-sided t-test on squared errors, ${opts.blocking === 'none' ? 'per sample' : 'block means'}, BH within subject).`,
        ...json.warnings.map(warningLine),
        opts.out && writeError === null ? `wrote ${opts.out}/partition.json and ${opts.out}/units.csv` : '',
      ];
      process.stdout.write(out.filter((l, i) => l !== '' || i < out.length - 1).join('\n') + '\n');
      fail();
    });
}
