/**
 * How the CLI reports failures: always one line on stderr, never a stack trace (unless
 * BRAINMAP_DEBUG=1). Exit status 2 for problems the user can fix (bad input, bad options, an
 * unusable path), 1 for internal errors (a bug in brainmap, reported as such).
 */
import type { Command, CommanderError } from 'commander';
import { InputError } from '../data/errors.js';

/** Exit status of a problem the user can fix. */
export const EXIT_USAGE = 2;
/** Exit status of an internal error. */
export const EXIT_INTERNAL = 1;

/** `brainmap score`, `brainmap features lm`: the command as typed. */
export function commandPath(cmd: Command | undefined): string {
  const names: string[] = [];
  for (let c: Command | null = cmd ?? null; c; c = c.parent) names.unshift(c.name());
  return names.length ? names.join(' ') : 'brainmap';
}

/** One line: newlines and runs of blanks folded into single spaces. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function flagsOf(cmd: Command | undefined, long: string): string {
  return cmd?.options.find((o) => o.long === long)?.flags ?? long;
}

/**
 * A commander usage error (bad option value, missing option, unknown option or command) as the
 * documented one line `<option>: <what was expected> (see <command> --help)`, without the
 * "error: " prefix.
 */
export function formatCommanderError(err: CommanderError, cmd: Command | undefined): string {
  const raw = oneLine(err.message.replace(/^error:\s*/, ''));
  const hint = ` (see ${commandPath(cmd)} --help)`;
  let m: RegExpExecArray | null;
  switch (err.code) {
    case 'commander.invalidArgument':
      // "option '--split <scheme>' argument 'bogus' is invalid. Allowed choices are a, b."
      if ((m = /^option '(\S+)[^']*' argument '(.*)' is invalid\. (.*)$/s.exec(raw))) {
        const expected = m[3].replace(/^Allowed choices are (.*?)\.?$/, 'expected one of $1');
        return `${m[1]}: '${m[2]}' is invalid; ${expected}${hint}`;
      }
      // "command-argument value 'x' is invalid for argument 'dataset'. …"
      if ((m = /^command-argument value '(.*)' is invalid for argument '([^']*)'\. (.*)$/s.exec(raw))) {
        const expected = m[3].replace(/^Allowed choices are (.*?)\.?$/, 'expected one of $1');
        return `<${m[2]}>: '${m[1]}' is invalid; ${expected}${hint}`;
      }
      break;
    case 'commander.missingMandatoryOptionValue':
      if ((m = /^required option '(\S+)[^']*' not specified$/.exec(raw))) return `${m[1]}: required option not given; expected ${flagsOf(cmd, m[1])}${hint}`;
      break;
    case 'commander.optionMissingArgument':
      if ((m = /^option '(\S+)[^']*' argument missing$/.exec(raw))) return `${m[1]}: no value given; expected ${flagsOf(cmd, m[1])}${hint}`;
      break;
    case 'commander.missingArgument':
      if ((m = /^missing required argument '([^']*)'$/.exec(raw))) return `<${m[1]}>: required argument not given${hint}`;
      break;
    case 'commander.unknownOption':
      if ((m = /^unknown option '([^']*)'\s*(.*)$/.exec(raw))) return `${m[1]}: unknown option${m[2] ? ` ${m[2].replace(/^\(Did/, '(did')}` : ''}${hint}`;
      break;
    case 'commander.unknownCommand':
      if ((m = /^unknown command '([^']*)'\s*(.*)$/.exec(raw))) {
        const known = cmd?.commands.map((c) => c.name()).filter((n) => n !== 'help') ?? [];
        return `${m[1]}: unknown command${known.length ? `; expected one of ${known.join(', ')}` : ''}${m[2] ? ` ${m[2].replace(/^\(Did/, '(did')}` : ''}${hint}`;
      }
      break;
  }
  return raw + hint;
}

/** Node's system errors (EACCES, ENOSPC, …) carry a code, the call and usually the path. */
function systemError(err: unknown): { code: string; syscall?: string; path?: string; message: string } | null {
  if (!(err instanceof Error)) return null;
  const e = err as Error & { code?: unknown; syscall?: unknown; path?: unknown };
  if (typeof e.code !== 'string' || !/^E[A-Z]+$/.test(e.code) || typeof e.syscall !== 'string') return null;
  return { code: e.code, syscall: e.syscall, path: typeof e.path === 'string' ? e.path : undefined, message: e.message };
}

const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'already exists',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'a parent of this path is not a directory',
  ENOENT: 'no such file or directory',
  EMFILE: 'too many open files',
  ENOMEM: 'out of memory',
};

/**
 * The line (without "error: ") and exit status for anything an action threw: an InputError as it
 * is (status 2); a file-system error naming its path (status 2: the environment, not a bug); any
 * other error as an internal error of the named command, asking for a bug report (status 1).
 */
export function describeFailure(err: unknown, command: string): { line: string; exitCode: number } {
  if (err instanceof InputError) return { line: oneLine(err.message), exitCode: EXIT_USAGE };
  const sys = systemError(err);
  if (sys) {
    const what = ERRNO_WORDS[sys.code] ?? oneLine(sys.message);
    return { line: `${sys.path ?? command}: ${sys.syscall}: ${what} (${sys.code})`, exitCode: EXIT_USAGE };
  }
  const name = err instanceof Error ? err.name : typeof err;
  const message = err instanceof Error ? err.message : String(err);
  return {
    line: `${command}: internal error (${name}: ${oneLine(message)}); this is a bug in brainmap — please report it with the command line you ran (BRAINMAP_DEBUG=1 prints the stack)`,
    exitCode: EXIT_INTERNAL,
  };
}

/** Prints a failure as one line (and the stack with BRAINMAP_DEBUG=1); returns the exit status. */
export function reportFailure(err: unknown, command: string): number {
  const { line, exitCode } = describeFailure(err, command);
  process.stderr.write(`error: ${line}\n`);
  if (process.env.BRAINMAP_DEBUG === '1' && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return exitCode;
}
