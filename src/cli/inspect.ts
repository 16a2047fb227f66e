import type { Command } from 'commander';
import { InputError } from '../data/errors.js';
import { helpAfter } from './help.js';

export interface InspectCommandOptions {
  /** The dataset as an option, like every other command (the positional form stays). */
  dataset?: string;
  stimuli?: string;
  json?: boolean;
}

export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('what a dataset holds (samples, units per subject and network, experiments, folds, missing units, text) — check before fitting')
    .argument('[dataset]', 'dataset spec (or --dataset): a folder, a .nc assembly, fedorenko2016:|pereira2018:|blank2014:<file.nc>[::key=value…], pereira2018-mat:<folder>, or sim:pereira|fedorenko|blank')
    .option('--dataset <spec>', 'the dataset, as in score/partition/audit (same as the positional argument)')
    .option('--stimuli <path>', 'stimulus text: Fedorenko2016 or Pereira2018 sentences in analysis order (one per line, e.g. sentences_ordered.txt), Blank2014 per-TR text (.npz, one array per story)')
    .option('--json', 'print one JSON object instead of text')
    .addHelpText('after', helpAfter('inspect'))
    .action(runInspectCommand);
}

export async function runInspectCommand(positional: string | undefined, opts: InspectCommandOptions): Promise<void> {
  if (positional !== undefined && opts.dataset !== undefined && positional !== opts.dataset) {
    throw new InputError(`--dataset: given twice ("${positional}" and --dataset "${opts.dataset}"); give the dataset once`);
  }
  const spec = opts.dataset ?? positional;
  if (spec === undefined) throw new InputError('--dataset: missing; expected a dataset spec (brainmap inspect --dataset <spec>, or brainmap inspect <spec>)');
  // The readers load when the command runs, not when the CLI starts (see main.ts).
  const [{ loadDataset }, { formatDatasetSummary, inspectDataset }] = await Promise.all([import('../io/dataset.js'), import('../io/inspect.js')]);
  const dataset = await loadDataset(spec, { stimuli: opts.stimuli });
  const summary = inspectDataset(dataset);
  process.stdout.write(opts.json ? JSON.stringify(summary, null, 2) + '\n' : formatDatasetSummary(summary));
  // What score will refuse is an error here too (exit status 2), after the summary that shows why.
  const [first, ...more] = summary.scoreRefuses;
  if (first !== undefined) {
    throw new InputError(`${first}${more.length ? ` (and ${more.length} more problem${more.length === 1 ? '' : 's'} listed above)` : ''}; brainmap score, partition and audit will refuse this dataset`);
  }
}
