import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import type { AuditJson } from '../pipeline/audit.js';
import type { SelectMode } from '../pipeline/select.js';
import { num, table } from './format.js';
import { applyThreads, computeOptions, seedArg } from './options.js';
import { DEFAULT_BANDED_ITER, PAPER_BANDED_ITER } from '../regression/banded-defaults.js';
import { checkOutputDir, writeFailure } from './outpath.js';
import { ResultWriteError } from '../pipeline/results.js';
import { writeFeatureArtifacts } from '../features/artifacts.js';
import { helpAfter } from './help.js';

interface AuditCommandOptions {
  dataset: string;
  stimuli?: string;
  features: string;
  simple?: string;
  oasm?: string;
  select: SelectMode;
  seed: number;
  nIter: number;
  bandedSeed: number;
  brainscore: boolean;
  compat?: 'paper';
  backend: 'auto' | 'native' | 'portable';
  threads?: number;
  unitBatch: number;
  alphas?: number[];
  out?: string;
  json?: boolean;
}

/** The readable form of an audit. */
export function formatAudit(a: AuditJson): string {
  const lines = [
    `audit of ${a.features} on ${a.dataset}  (simple features: ${a.settings.simple}; OASM: ${a.settings.oasm})`,
    '',
    table(['analysis', 'split', 'R²', 'r', 'verdict'], a.rows.map((r) => [r.label, r.split, `${num(r.r2, 3)} ± ${num(r.r2_sem, 3)}`, num(r.r, 3), r.verdict]), ['l', 'l', 'r', 'r', 'l']),
    '',
    table(['Ω of the features by', 'split', 'mean Ω', '% units adding (BH p<.05)'], a.partitions.map((p) => [p.a, p.split, `${num(p.omega_mean, 1)} %`, `${num(p.percent_significant, 1)} %`]), ['l', 'l', 'r', 'r']),
  ];
  if (a.brainscore) lines.push('', `Brain-Score protocol: score ${num(a.brainscore.score, 3)} (raw median r ${num(a.brainscore.raw, 3)})`);
  lines.push('', 'Verdict:');
  for (const v of a.verdicts) lines.push(`  ${v.line}: ${v.verdict}.`);
  return lines.join('\n') + '\n';
}

export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description('what is this brain score made of? shuffled vs contiguous folds, OASM and position/length baselines, Ω, significance, the old protocol, and a verdict')
    .requiredOption('--dataset <spec>', 'dataset (as for score)')
    .option('--stimuli <file>', 'stimulus text (Fedorenko2016 or Pereira2018 sentences_ordered.txt, one sentence per line; Blank2014 story_data_dict.npz)')
    .requiredOption('--features <spec>', 'the features to audit (e.g. lm:gpt2-untrained:layer=6:pool=last, file:layer21.npy)')
    .option('--simple <spec>', 'simple features (default: from the design — Pereira sp:sigma=3.4+sl, Fedorenko wp:sigma=4.7, long blocks ramps:len=11+wn)')
    .option('--oasm <spec>', 'OASM baseline (default oasm:sigma=2)')
    .addOption(new Option('--select <how>', 'grid selection').choices(['validation', 'test']).default('validation'))
    .option('--seed <n>', 'seed of the fold-label shuffle', seedArg(), 42)
    .addOption(computeOptions.nIter('band-weight samples of the banded fits', PAPER_BANDED_ITER, DEFAULT_BANDED_ITER))
    .option('--banded-seed <n>', 'seed of the band-weight sampler', seedArg(), 0)
    .option('--no-brainscore', "skip Brain-Score's protocol")
    .addOption(computeOptions.compat("features z-scored once per outer fold, Schrimpf's r, blocked statistics with labels in the original row order (§6.1)"))
    .addOption(computeOptions.alphas())
    .addOption(computeOptions.backend())
    .addOption(computeOptions.threads())
    .addOption(computeOptions.unitBatch())
    .option('--out <dir>', 'write audit.json and every analysis (score.json, partition.json, units.csv) here')
    .option('--json', 'print audit.json instead of tables')
    .addHelpText('after', helpAfter('audit', { features: true }))
    .action(async (opts: AuditCommandOptions) => {
      // An unusable --out fails now, not after the fits.
      if (opts.out) checkOutputDir(opts.out, '--out');
      // The heavy modules load when the command runs, not when the CLI starts (see main.ts).
      const [{ getBackend }, { loadDataset }, { auditFeatures }, { DelayedProgress }] = await Promise.all([
        import('../linalg/index.js'), import('../io/dataset.js'), import('../pipeline/audit.js'), import('./progress.js'),
      ]);
      const backend = getBackend(opts.backend);
      applyThreads(backend, opts.threads);
      const dataset = await loadDataset(opts.dataset, { stimuli: opts.stimuli });
      const progress = new DelayedProgress('audit');
      let audit: AuditJson;
      // If writing still fails, the audit is printed anyway and the failure is one error line.
      let writeError: unknown = null;
      try {
        audit = await auditFeatures(dataset, opts.features, {
          backend, simple: opts.simple, oasm: opts.oasm, select: opts.select, seed: opts.seed, alphas: opts.alphas, unitBatch: opts.unitBatch, bandedIter: opts.nIter,
          bandedSeed: opts.bandedSeed, brainscore: opts.brainscore, compat: opts.compat, outDir: opts.out ? resolve(opts.out) : undefined,
          onProgress: (d, t, label) => progress.update(d, t, `${Math.min(t, Math.floor(d) + 1)}/${t}: ${label}`),
        });
        // Files the features left for the reader (e.g. synt's variants), as score writes them.
        if (opts.out) {
          try { writeFeatureArtifacts(resolve(opts.out)); } catch (err) { writeError = err; }
        }
      } catch (err) {
        if (!(err instanceof ResultWriteError)) throw err;
        audit = err.result as AuditJson;
        writeError = err;
      } finally {
        progress.stop();
      }
      if (opts.json) process.stdout.write(JSON.stringify(audit, null, 2) + '\n');
      else process.stdout.write(formatAudit(audit) + (opts.out && writeError === null ? `\nwrote ${resolve(opts.out)}/audit.json and one folder per analysis\n` : ''));
      if (writeError !== null) throw writeFailure(opts.out as string, '--out', writeError);
    });
}
