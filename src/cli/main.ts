#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.hugetlb=1:${GLIBC_TUNABLES} node
import { Command, CommanderError } from 'commander';
import { commandPath, EXIT_USAGE, formatCommanderError, reportFailure } from './errors.js';
type Register = (program: Command) => void;

/**
 * Every command, by name, with the module that defines it. A module is imported only when its
 * command runs (or for --help, which lists them all), so `brainmap --version` and a command's
 * start-up load nothing else: the heavy modules (datasets, linear algebra, Redis, figures) come
 * with the commands that use them.
 */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<Register>]> = [
  ['score', async () => (await import('./score.js')).registerScoreCommand],
  ['demo', async () => (await import('./demo.js')).registerDemoCommand],
  // command modules: one entry per command, in --help order (keep this comment: new commands are added below it)
  ['report', async () => (await import('./report.js')).registerReportCommand],
  ['audit', async () => (await import('./audit.js')).registerAuditCommand],
  ['partition', async () => (await import('./partition.js')).registerPartitionCommand],
  ['deconstruct', async () => (await import('./deconstruct.js')).registerDeconstructCommand],
  ['inspect', async () => (await import('./inspect.js')).registerInspectCommand],
  ['ceiling', async () => (await import('./ceiling.js')).registerCeilingCommand],
  ['run', async () => (await import('./run.js')).registerRunCommand],
  ['worker', async () => (await import('./worker.js')).registerWorkerCommand],
  ['status', async () => (await import('./status.js')).registerStatusCommand],
  ['features', async () => (await import('./features.js')).registerFeaturesCommand],
  ['collect', async () => (await import('./collect.js')).registerCollectCommand],
];

/**
 * The commands to define for these arguments (argv without node and script): the named command
 * only; none for a bare --version; all of them otherwise (help, an unknown command, no command).
 */
export function commandsFor(args: readonly string[]): string[] {
  const names = COMMANDS.map(([name]) => name);
  if (args.length > 0 && names.includes(args[0])) return [args[0]];
  if (args.length > 0 && args.every((a) => a === '--version' || a === '-V')) return [];
  return names;
}

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

/** The program with the commands `names` defined (see commandsFor). */
export async function buildProgram(names: readonly string[] = COMMANDS.map(([name]) => name)): Promise<Command> {
  const program = new Command();
  program
    .name('brainmap')
    .description('Brain scores of language-model and confound features, taken apart.')
    .version('0.1.0')
    .configureOutput({ outputError: () => {} });
  for (const [name, load] of COMMANDS) if (names.includes(name)) (await load())(program);
  overrideExits(program);
  return program;
}

/**
 * Runs the CLI. Every failure is one line on stderr, never a stack trace (BRAINMAP_DEBUG=1 adds
 * it): usage and input errors exit 2, anything unexpected is named as an internal error of the
 * command (exit 1).
 */
export async function main(argv: string[]): Promise<void> {
  let program: Command | undefined;
  let running: Command | undefined;
  try {
    // The feature-term table of --help comes from the feature registry, loaded only when help is asked for.
    const args = argv.slice(2);
    if (args[0] === 'help' || args.includes('--help') || args.includes('-h')) await (await import('./help.js')).loadFeatureTerms();
    program = await buildProgram(commandsFor(argv.slice(2)));
    program.hook('preAction', (_self, action) => { running = action; });
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
    process.exitCode = reportFailure(err, running || program ? commandPath(running ?? program) : `brainmap ${argv[2] ?? ''}`.trim());
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
