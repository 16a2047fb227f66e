/** Shared helpers of the CLI fault tests: the CLI as a child process and the one-line error contract. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliEntry } from '../cli-entry.js';

export const root = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `brainmap …args` (the build, or the sources when it is stale: see cli-entry.ts) to completion; resolves with status and output. */
export function brainmap(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; entry?: readonly string[] } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.entry ?? cliEntry()), ...args], {
      cwd: opts.cwd ?? root,
      env: { ...process.env, BRAINMAP_DEBUG: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `brainmap-faults-${prefix}-`));
}

/** No stack-trace line (`    at …`) anywhere in stderr. */
export function assertNoStack(r: CliResult): void {
  assert.doesNotMatch(r.stderr, /^\s+at /m, `stack trace in stderr:\n${r.stderr}`);
}

/**
 * A progress log line, as the CLI writes off a terminal for work over a second (src/cli/progress.ts:
 * `<label>[ <stage>]: 37 %, elapsed 4s[, about 6s left]` and `<label> finished, elapsed 9s`).
 */
export const PROGRESS_LINE = /^(?!error: )[^\n]*(: \d+ %, elapsed \S+(, about \S+ left)?| finished, elapsed \S+)$/;

/**
 * The documented contract for a problem the user can fix: exit status 2 and exactly one line on
 * stderr, `error: …`, matching `message`, besides the progress lines of work done before it (a
 * failure at the end of a long run); no stack trace.
 */
export function assertUsageError(r: CliResult, message: RegExp): void {
  assertNoStack(r);
  assert.equal(r.status, 2, `exit status ${r.status}; stderr:\n${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !PROGRESS_LINE.test(l));
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], message);
}
