/** Shared helpers of the sweep tests: the CLI as a child process, free ports, a private redis-server. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { cliEntry } from '../cli-entry.js';
import { parseExperiment } from '../../src/pipeline/sweep/experiment.js';

export const root = fileURLToPath(new URL('../../', import.meta.url));

export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `brainmap-sweep-${prefix}-`));
}

/** The one-line InputError message parseExperiment gives for an experiment file `exp.yaml` holding `text` (fails when it parses). */
export function parseError(text: string): string {
  try {
    parseExperiment(text, 'exp.yaml', '/base');
  } catch (err) {
    assert.equal((err as Error).name, 'InputError');
    return (err as Error).message;
  }
  throw new Error('expected an InputError');
}

export function writeExperiment(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Runs the CLI to completion. */
export function brainmap(args: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  return spawnSync(process.execPath, [...cliEntry(), ...args], { encoding: 'utf8', cwd: root, env: { ...process.env, ...opts.env }, timeout: opts.timeout ?? 120_000 });
}

/** Starts the CLI as a child process (stdout/stderr collected). */
export function brainmapChild(args: string[], env?: NodeJS.ProcessEnv): ChildProcess & { out: () => string } {
  const child = spawn(process.execPath, [...cliEntry(), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr?.on('data', (b: Buffer) => { out += b.toString(); });
  return Object.assign(child, { out: () => out });
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every `everyMs` until it is true; throws after `timeoutMs`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 25): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Keys of the finished jobs in a store. */
export function doneKeys(store: string): string[] {
  const jobs = join(store, 'jobs');
  if (!existsSync(jobs)) return [];
  return readdirSync(jobs).filter((k) => existsSync(join(jobs, k, 'done'))).sort();
}

/** A TCP port nothing listens on right now (127.0.0.1). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A queue test's Redis and worker processes, cleaned up when test `t` ends: every child pushed to
 * `children` (during the test) that still runs is SIGKILLed, then Redis is stopped.
 */
export async function queueTestSetup(t: TestContext): Promise<{ redis: Awaited<ReturnType<typeof startRedis>>; children: ReturnType<typeof brainmapChild>[] }> {
  const redis = await startRedis();
  const children: ReturnType<typeof brainmapChild>[] = [];
  t.after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await redis.stop();
  });
  return { redis, children };
}

export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
}

/**
 * Starts a private redis-server on 127.0.0.1 (no persistence) as a child process and waits until
 * it accepts connections. stop() kills it and waits for it to exit.
 */
export async function startRedis(): Promise<{ url: string; port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  return { ...(await redisOn(port)), port };
}

/**
 * A private redis-server on 127.0.0.1:`port` (no persistence; `password` sets requirepass),
 * started as a child process; stop() kills it. The fault tests use it to take Redis away and bring
 * it back on the same port.
 */
export async function redisOn(port: number, password?: string): Promise<{ url: string; stop: () => Promise<void> }> {
  // A missing server is a missing installation step, never a skipped test.
  if (!hasRedisServer()) throw new Error('redis-server is not installed: the queue tests need it (apt-get install redis-server, as the README installs)');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes'];
  if (password) args.push('--requirepass', password);
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (b: Buffer) => { log += b.toString(); });
  child.stderr?.on('data', (b: Buffer) => { log += b.toString(); });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
  };
  try {
    await waitFor('redis-server to accept connections', () => /Ready to accept connections/.test(log) || child.exitCode !== null, 10_000);
    if (child.exitCode !== null) throw new Error(`redis-server did not start on port ${port}: ${log}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis://${password ? `:${encodeURIComponent(password)}@` : ''}127.0.0.1:${port}`, stop };
}
