#!/usr/bin/env node
import { Command } from 'commander';
import { InputError } from '../data/errors.js';
import { registerScoreCommand } from './score.js';
import { registerDemoCommand } from './demo.js';
// command modules: one import per command (keep this comment: new commands are added below it)
import { registerReportCommand } from './report.js';
import { registerAuditCommand } from './audit.js';
import { registerPartitionCommand } from './partition.js';
import { registerInspectCommand } from './inspect.js';
import { registerRunCommand } from './run.js';
import { registerWorkerCommand } from './worker.js';
import { registerStatusCommand } from './status.js';
import { registerFeaturesCommand } from './features.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('brainmap')
    .description('Brain scores of language-model and confound features, taken apart.')
    .version('0.1.0')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });
  registerScoreCommand(program);
  registerDemoCommand(program);
  // command registrations: one call per command (keep this comment)
  registerReportCommand(program);
  registerAuditCommand(program);
  registerPartitionCommand(program);
  registerInspectCommand(program);
  registerRunCommand(program);
  registerWorkerCommand(program);
  registerStatusCommand(program);
  registerFeaturesCommand(program);
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
