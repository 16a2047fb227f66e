import { Option, type Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CeilingJson } from '../pipeline/ceiling.js';
import { backendOption } from './options.js';
import { num, table } from './format.js';
import { checkOutputDir, writeFailure } from './outpath.js';
import { helpAfter } from './help.js';

export interface CeilingCommandOptions {
  dataset: string;
  stimuli?: string;
  method: 'auto' | 'split-half' | 'subject-pool';
  experiment?: string[];
  backend: 'auto' | 'native' | 'portable';
  out?: string;
  json?: boolean;
}

export function registerCeilingCommand(program: Command): void {
  program
    .command('ceiling')
    .description('noise ceilings of a dataset per unit and subject (docs/method.md §9): split-half over repeats, or Brain-Score\'s subject-pool extrapolation')
    .requiredOption('--dataset <spec>', 'dataset: a folder (y.npy, samples.csv with an optional repeat column, units.csv), a .nc assembly, name:path, or sim:…')
    .option('--stimuli <file>', 'stimulus text, for the readers that take one (as in score)')
    .addOption(new Option('--method <name>', 'split-half: repeated presentations (samples.csv repeat column); subject-pool: ≥ 3 subjects on the same stimuli; auto: split-half when there are repeats').choices(['auto', 'split-half', 'subject-pool']).default('auto'))
    .option('--experiment <name...>', 'only these experiments')
    .addOption(backendOption())
    .option('--out <dir>', 'also write ceiling.json and ceilings.csv (per unit: ceiling, r_half, reliability) here')
    .option('--json', 'print one JSON object instead of a table')
    .addHelpText('after', helpAfter('ceiling'))
    .action(runCeilingCommand);
}

/** The readable form of `brainmap ceiling`. */
export function formatCeilings(json: CeilingJson): string {
  const lines: string[] = [];
  const how = json.method === 'split-half'
    ? 'split-half over repeats, Spearman–Brown corrected; ceiling = √(reliability of one presentation)'
    : "Brain-Score's subject-pool extrapolation (held-out subject from the pooled others, OLS, 10 shuffled splits; v0 of v(k) = v0·(1 − e^(−k/τ)), median over 100 bootstraps)";
  lines.push(`${json.dataset}  ·  noise ceiling: ${how}`);
  for (const e of json.experiments) {
    const what = e.n_repeats !== null ? `${e.n_stimuli} stimuli × ${e.n_repeats} repeats, ${e.n_splits} half splits` : `${e.n_stimuli} samples, pool sizes ${e.pool_sizes.join(', ')}`;
    lines.push(`experiment ${e.experiment || '(single)'}: ${what}, ${e.n_units} units, median ceiling ${num(e.ceiling)}`);
  }
  lines.push('');
  const split = json.method === 'split-half';
  lines.push(table(
    ['subject', 'units', 'undefined', 'ceiling (median r)', ...(split ? ['reliability (median SB)'] : [])],
    json.subjects.map((s) => [s.subject, String(s.n_units), String(s.n_units_undefined), num(s.ceiling), ...(split ? [num(s.reliability)] : [])]),
    ['l', 'r', 'r', 'r', 'r'],
  ));
  lines.push('');
  lines.push(`dataset  ceiling ${num(json.ceiling)}  (median over units whose ceiling is > 0)`);
  if (json.n_units_undefined > 0) lines.push(`note: ${json.n_units_undefined} unit(s) have a ceiling ≤ 0 or undefined (reliability ≤ 0, constant responses, or no fit); score --normalise ceiling leaves them out`);
  return lines.join('\n') + '\n';
}

export async function runCeilingCommand(opts: CeilingCommandOptions): Promise<void> {
  if (opts.out) checkOutputDir(opts.out, '--out');
  const [{ getBackend }, { loadDataset }, { computeCeilings, ceilingsToJson, ceilingsCsv }, { writeFileAtomic }] = await Promise.all([
    import('../linalg/index.js'), import('../io/dataset.js'), import('../pipeline/ceiling.js'), import('../pipeline/results.js'),
  ]);
  const dataset = await loadDataset(opts.dataset, { stimuli: opts.stimuli });
  const res = await computeCeilings(dataset, { method: opts.method, experiments: opts.experiment, backend: getBackend(opts.backend) });
  const json = ceilingsToJson(res);
  let writeError: unknown = null;
  if (opts.out) {
    try {
      mkdirSync(opts.out, { recursive: true });
      writeFileAtomic(join(opts.out, 'ceiling.json'), JSON.stringify(json, null, 2) + '\n');
      writeFileAtomic(join(opts.out, 'ceilings.csv'), ceilingsCsv(res));
    } catch (err) {
      writeError = err;
    }
  }
  process.stdout.write(opts.json ? JSON.stringify(json, null, 2) + '\n' : formatCeilings(json) + (opts.out && writeError === null ? `wrote ${opts.out}/ceiling.json and ${opts.out}/ceilings.csv\n` : ''));
  if (writeError !== null) throw writeFailure(opts.out as string, '--out', writeError);
}
