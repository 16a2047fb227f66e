#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { commandPath, EXIT_USAGE, formatCommanderError, reportFailure } from './errors.js';
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
import { registerCollectCommand } from './collect.js';

/** The command whose usage error commander raised (set by each command's exit override). */
const failedCommand = new WeakMap<CommanderError, Command>();

/**
 * Usage errors (bad option values, missing or unknown options) become one line and exit status 2
 * instead of commander's message, the full usage and exit status 1: every command reports its own
 * errors through an exit override that remembers which command it was.
 */
function overrideExits(cmd: Command): void {
  cmd.exitOverride((err) => {
    failedCommand.set(err, cmd);
    throw err;
  });
  for (const sub of cmd.commands) overrideExits(sub);
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('brainmap')
    .description('Brain scores of language-model and confound features, taken apart.')
    .version('0.1.0')
    .configureOutput({ outputError: () => {} });
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
  registerCollectCommand(program);
  overrideExits(program);
  return program;
}

/**
 * Runs the CLI. Every failure is one line on stderr, never a stack trace (BRAINMAP_DEBUG=1 adds
 * it): usage and input errors exit 2, anything unexpected is named as an internal error of the
 * command (exit 1).
 */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  let running: Command | undefined;
  program.hook('preAction', (_self, action) => { running = action; });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with status 0; help shown for a missing subcommand keeps commander's status.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        process.exitCode = err.exitCode;
        return;
      }
      process.stderr.write(`error: ${formatCommanderError(err, failedCommand.get(err))}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.exitCode = reportFailure(err, commandPath(running ?? program));
  }
}

// A closed pipe (`brainmap … | head`) ends the program quietly, as other command-line tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit();
  throw err;
});
process.on('uncaughtException', (err) => {
  process.exitCode = reportFailure(err, 'brainmap');
  process.exit();
});
process.on('unhandledRejection', (err) => {
  process.exitCode = reportFailure(err, 'brainmap');
  process.exit();
});

await main(process.argv);
