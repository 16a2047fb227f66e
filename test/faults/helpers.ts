/** Shared helpers of the fault tests: the CLI with an injected file-system fault, store snapshots. */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliEntry } from '../cli-entry.js';
import { exited, root } from '../sweep/helpers.js';

export { brainmap, brainmapChild, doneKeys, exited, freePort, hasRedisServer, redisOn, root, sleep, startRedis, tmp, waitFor, writeExperiment } from '../sweep/helpers.js';

/** The preload that makes file-system calls under chosen folders fail (see the file). */
export const FS_FAULTS = fileURLToPath(new URL('./fixtures/fs-faults.mjs', import.meta.url));

export interface Fault {
  /** errno code: ENOSPC (writes fail, files get created) or EROFS (every change fails). */
  code: 'ENOSPC' | 'EROFS';
  /** Folders (absolute) whose contents the fault applies to. */
  paths: string[];
  /** File that receives one line per injected failure. */
  log: string;
  /** Paths matching this are spared. */
  spare?: RegExp;
}

/** Runs the CLI to completion, optionally with a file-system fault injected. */
export function brainmapWithFault(args: string[], fault: Fault | null, opts: { timeout?: number } = {}) {
  const env = { ...process.env };
  const pre: string[] = [];
  if (fault) {
    pre.push('--import', FS_FAULTS);
    Object.assign(env, { BRAINMAP_FAULT_CODE: fault.code, BRAINMAP_FAULT_PATHS: fault.paths.join(':'), BRAINMAP_FAULT_LOG: fault.log, BRAINMAP_FAULT_SPARE: fault.spare?.source ?? '' });
  }
  return spawnSync(process.execPath, [...pre, ...cliEntry(), ...args], { encoding: 'utf8', cwd: root, env, timeout: opts.timeout ?? 180_000 });
}

/** Lines of the fault log (one per injected failure). */
export function faultLog(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l !== '') : [];
}

/** No stack trace line ("    at …") in a CLI's stderr. */
export function assertNoStack(stderr: string, what = 'stderr'): void {
  assert.doesNotMatch(stderr, /^ {4}at /m, `${what} has a stack trace:\n${stderr}`);
}

/** Every file and folder under `dir` with its content (files) and mtime: equal snapshots = nothing written. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      const rel = relative(dir, p);
      const mtime = statSync(p).mtimeMs;
      if (e.isDirectory()) {
        out.set(`${rel}/`, `dir ${mtime}`);
        visit(p);
      } else {
        out.set(rel, `${mtime} ${readFileSync(p).toString('base64')}`);
      }
    }
  };
  out.set('./', `dir ${statSync(dir).mtimeMs}`);
  visit(dir);
  return out;
}

/** A CLI child process with stderr and stdout kept apart. */
export function cliChild(args: string[]): ChildProcess & { stdout_: () => string; stderr_: () => string } {
  const child = spawn(process.execPath, [...cliEntry(), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr?.on('data', (b: Buffer) => { err += b.toString(); });
  return Object.assign(child, { stdout_: () => out, stderr_: () => err });
}

/**
 * Waits for a child to exit, at most `boundMs` (a liveness bound: generous, so that only a process
 * that does not stop at all fails it). Resolves with the exit status, or 'alive' when it is still
 * running (it is then killed).
 */
export async function exitsWithin(child: ChildProcess, boundMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'alive'> {
  // The bound's timer is cleared when the child exits: a pending 400 s timer kept the test file's
  // process alive for minutes after its test had passed.
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'alive'>((resolve) => { timer = setTimeout(() => resolve('alive'), boundMs); });
  const r = await Promise.race([exited(child), bound]);
  clearTimeout(timer);
  if (r === 'alive') {
    child.kill('SIGKILL');
    await exited(child);
  }
  return r;
}
