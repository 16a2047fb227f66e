#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { InputError } from '../data/errors.js';
import { runScoreCommand } from './score.js';
import { runDemoCommand } from './demo.js';
import { DEMO_DATASETS } from '../pipeline/demo.js';

function intArg(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('brainmap')
    .description('Brain scores of language-model and confound features, taken apart.')
    .version('0.1.0')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });

  program
    .command('score')
    .description('cross-validated brain score of one feature space on a dataset')
    .requiredOption('--dataset <spec>', 'dataset: a Brain-Score .nc assembly, name:path (fedorenko2016:<file.nc>), or a dataset folder (y.npy, samples.csv, units.csv)')
    .requiredOption('--features <spec>', 'feature spec, e.g. oasm:sigma=1.8, sp:sigma=3.4+sl, wp:sigma=grid, file:X.npy ("+" stacks terms)')
    .addOption(new Option('--split <scheme>', 'train/test folds: contiguous blocks, or the paper\'s shuffled labels').choices(['contiguous', 'shuffled']).default('contiguous'))
    .option('--seed <n>', 'seed of the MT19937 stream that shuffles fold labels', intArg('--seed'), 42)
    .addOption(new Option('--estimator <name>', 'ridge with nested CV over 25 penalties, or least squares (min-norm)').choices(['ridge', 'ols']).default('ridge'))
    .option('--experiment <name...>', 'analyse only these experiments')
    .addOption(new Option('--select <how>', 'with a grid (sigma=grid, …): choose on inner-CV scores only, or on the reported test scores as the paper did').choices(['validation', 'test']).default('validation'))
    .addOption(new Option('--backend <name>', 'linear-algebra backend').choices(['auto', 'native', 'portable']).default('auto'))
    .option('--threads <n>', 'BLAS threads (default: all cores)', intArg('--threads'))
    .option('--unit-batch <n>', 'units fitted at once (bounds memory)', intArg('--unit-batch'), 4096)
    .option('--out <dir>', 'also write score.json and units.csv (per-unit R², r, α) here')
    .option('--json', 'print one JSON object instead of a table')
    .action(runScoreCommand);

  program
    .command('demo')
    .description('the paper\'s first findings end to end on built-in simulated datasets (no files needed)')
    .option('--out <dir>', 'where to write the results', 'brainmap-demo')
    .option('--dataset <spec...>', `simulated datasets to use (default: ${DEMO_DATASETS.join(' ')})`)
    .addOption(new Option('--backend <name>', 'linear-algebra backend').choices(['auto', 'native', 'portable']).default('auto'))
    .action(runDemoCommand);

  return program;
}

/** Runs the CLI; user errors print one line and exit 2, never a stack trace. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof InputError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}

await main(process.argv);
