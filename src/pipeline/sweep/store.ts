/**
 * The results store: one folder per job, named by its key (plan.ts), shared by any number of
 * processes and machines.
 *
 *   <store>/STORE.json                 format marker
 *   <store>/jobs/<key>/job.json        what was fitted (the job), and where/when/how long
 *   <store>/jobs/<key>/score.json      the score (as `brainmap score --json`)
 *   <store>/jobs/<key>/units.csv       per-unit R², r, median α
 *   <store>/jobs/<key>/done            marker, written last
 *   <store>/locks/<key>.lock           claim of a job being computed: {pid, host, time, token}
 *   <store>/failed/<key>.json          the last error of a job that failed (removed on success)
 *   <store>/experiments/<name>.json    the plan of each experiment run against the store
 *   <store>/tmp/                       results being written
 *
 * Correctness rests on two file-system operations, both atomic on a local POSIX file system and
 * on NFSv3+/Lustre/GPFS/CephFS: rename(2) of a complete folder to a name that does not exist,
 * and O_CREAT|O_EXCL file creation. A job's folder is written under tmp/ (files fsynced, `done`
 * last) and renamed into jobs/ in one step, so jobs/<key> is either absent or complete; if two
 * processes compute the same job, the second rename fails and its copy is discarded (results are
 * deterministic). The lock file only avoids duplicate work: a lock is stale when its process is
 * gone (same host) or its heartbeat (mtime, touched every staleMs/4) is older than staleMs, which
 * requires hosts' clocks to agree to well within staleMs (NTP).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inputError, type InputError } from '../../data/errors.js';
import { describeFsError } from '../../io/fsutil.js';
import type { SweepJob, SweepPlan } from './plan.js';

export const STORE_FORMAT = 1;
/** Default stale-lock timeout. */
export const DEFAULT_STALE_MS = 120_000;

/** The owner recorded in a lock file. */
export interface LockInfo {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  time: string;
  /** Random token: a lock is released only by the claim that created it. */
  token: string;
}

/** A job claimed by this process; release() when done (also after a failure). */
export interface Claim {
  key: string;
  token: string;
  release(): void;
}

/** What a failed job leaves in failed/<key>.json. */
export interface FailureRecord {
  key: string;
  error: string;
  host: string;
  pid: number;
  time: string;
  features?: string;
  dataset?: string;
}

/** The InputError for a store that cannot be used, e.g. "<path>: store: permission denied (EACCES) …". */
export function storeError(root: string, err: unknown, what = 'cannot be used as a results store'): InputError {
  const code = (err as { code?: unknown } | null)?.code;
  let why = describeFsError(err);
  if (code === 'EEXIST' || code === 'ENOTDIR') why = 'a file is in the way (a parent of this path, or the path itself, is not a directory)';
  if (code === 'EACCES' || code === 'EPERM') why = 'permission denied; the store must be writable by every worker';
  if (code === 'EROFS') why = 'read-only file system';
  if (code === 'ENOSPC') why = 'no space left on the device';
  return inputError(root, 'store', `${what}: ${why}${typeof code === 'string' ? ` (${code})` : ''}`);
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

function writeFileDurable(path: string, content: string | Uint8Array, flag = 'w'): void {
  const fd = openSync(path, flag);
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  writeFileDurable(tmp, content);
  renameSync(tmp, path);
}

export class ResultStore {
  readonly root: string;
  readonly host = hostname();

  private constructor(root: string) {
    this.root = root;
  }

  /**
   * Opens (creating if needed) a store and checks it is writable; any problem is an InputError
   * naming the path, e.g. a path under a regular file or a folder without write permission.
   */
  static open(root: string): ResultStore {
    const store = new ResultStore(root);
    try {
      if (existsSync(root) && !statSync(root).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      for (const sub of ['jobs', 'locks', 'tmp', 'failed', 'experiments']) mkdirSync(join(root, sub), { recursive: true });
      const probe = join(root, 'tmp', `probe-${store.host}-${process.pid}-${randomBytes(4).toString('hex')}`);
      writeFileSync(probe, 'probe', { flag: 'wx' });
      unlinkSync(probe);
      const marker = join(root, 'STORE.json');
      if (!existsSync(marker)) {
        try {
          writeFileSync(marker, JSON.stringify({ format: STORE_FORMAT, tool: 'brainmap', created: new Date().toISOString() }, null, 2) + '\n', { flag: 'wx' });
        } catch (err) {
          if ((err as { code?: string }).code !== 'EEXIST') throw err;
        }
      }
      const fmt = (JSON.parse(readFileSync(marker, 'utf8')) as { format?: unknown }).format;
      if (fmt !== STORE_FORMAT) throw inputError(root, 'store', `STORE.json has format ${String(fmt)}; this brainmap reads format ${STORE_FORMAT}`);
    } catch (err) {
      if (err instanceof Error && err.name === 'InputError') throw err;
      throw storeError(root, err);
    }
    return store;
  }

  jobDir(key: string): string {
    return join(this.root, 'jobs', key);
  }

  isDone(key: string): boolean {
    return existsSync(join(this.root, 'jobs', key, 'done'));
  }

  /** Keys of all finished jobs. */
  doneKeys(): Set<string> {
    const out = new Set<string>();
    for (const k of readdirSync(join(this.root, 'jobs'))) if (this.isDone(k)) out.add(k);
    return out;
  }

  private lockPath(key: string): string {
    return join(this.root, 'locks', `${key}.lock`);
  }

  /** The lock of a job, or null (unreadable or half-written locks read as owner unknown). */
  readLock(key: string): { info: LockInfo | null; mtimeMs: number } | null {
    const p = this.lockPath(key);
    let mtimeMs: number;
    let text: string;
    try {
      mtimeMs = statSync(p).mtimeMs;
      text = readFileSync(p, 'utf8');
    } catch {
      return null;
    }
    try {
      return { info: JSON.parse(text) as LockInfo, mtimeMs };
    } catch {
      return { info: null, mtimeMs };
    }
  }

  /** All current locks (for status). */
  locks(): { key: string; info: LockInfo | null; ageMs: number }[] {
    const out: { key: string; info: LockInfo | null; ageMs: number }[] = [];
    for (const f of readdirSync(join(this.root, 'locks'))) {
      if (!f.endsWith('.lock')) continue;
      const key = f.slice(0, -5);
      const l = this.readLock(key);
      if (l) out.push({ key, info: l.info, ageMs: Date.now() - l.mtimeMs });
    }
    return out;
  }

  private isStale(lock: { info: LockInfo | null; mtimeMs: number }, staleMs: number): boolean {
    if (Date.now() - lock.mtimeMs > staleMs) return true;
    const i = lock.info;
    return i !== null && i.host === this.host && i.pid !== process.pid && !isProcessAlive(i.pid);
  }

  /** Breaks the lock at `p` (atomic rename first, so only one breaker wins). */
  private breakLock(p: string): void {
    const grave = `${p}.stale-${this.host}-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(p, grave);
      rmSync(grave, { force: true });
    } catch {
      // someone else broke or released it
    }
  }

  /**
   * Removes the stale locks of finished jobs: a process killed between committing a result and
   * releasing its lock leaves one behind, and no later claim would ever break it.
   */
  removeStaleLocksOfDoneJobs(staleMs = DEFAULT_STALE_MS): number {
    let n = 0;
    for (const { key } of this.locks()) {
      const lock = this.readLock(key);
      if (lock && this.isDone(key) && this.isStale(lock, staleMs)) {
        this.breakLock(this.lockPath(key));
        n++;
      }
    }
    return n;
  }

  /**
   * Claims a job with an exclusive lock file (O_EXCL). A stale lock (see the module comment) is
   * broken and the claim retried once. Returns null when a live process holds the job.
   * The claim's heartbeat touches the lock every staleMs/4 until released.
   */
  tryClaim(key: string, staleMs = DEFAULT_STALE_MS): Claim | null {
    const p = this.lockPath(key);
    for (let attempt = 0; attempt < 2; attempt++) {
      const info: LockInfo = { pid: process.pid, host: this.host, time: new Date().toISOString(), token: randomBytes(8).toString('hex') };
      try {
        writeFileDurable(p, JSON.stringify(info) + '\n', 'wx');
      } catch (err) {
        if ((err as { code?: string }).code !== 'EEXIST') throw storeError(this.root, err, `cannot create ${p}`);
        const lock = this.readLock(key);
        if (lock === null) continue; // released meanwhile
        if (!this.isStale(lock, staleMs)) return null;
        this.breakLock(p);
        continue;
      }
      this.cleanTmp(key, staleMs);
      const timer = setInterval(() => {
        const l = this.readLock(key);
        if (l?.info?.token === info.token) {
          try {
            const now = new Date();
            utimesSync(p, now, now);
          } catch {
            // lock gone; the rename of the result still keeps the store consistent
          }
        }
      }, Math.max(50, Math.floor(staleMs / 4)));
      timer.unref();
      let released = false;
      return {
        key,
        token: info.token,
        release: () => {
          if (released) return;
          released = true;
          clearInterval(timer);
          if (this.readLock(key)?.info?.token === info.token) rmSync(p, { force: true });
        },
      };
    }
    return null;
  }

  /** Removes leftovers of interrupted writes of `key` (dead owners on this host, or older than staleMs). */
  private cleanTmp(key: string, staleMs: number): void {
    const dir = join(this.root, 'tmp');
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.startsWith(`${key}.`)) continue;
      const m = /^[0-9a-f]+\.(.*)\.(\d+)\.[0-9a-f]+$/.exec(e);
      let stale = false;
      try {
        stale = Date.now() - statSync(join(dir, e)).mtimeMs > staleMs;
      } catch {
        continue;
      }
      if (m && m[1] === this.host && Number(m[2]) !== process.pid && !isProcessAlive(Number(m[2]))) stale = true;
      if (stale) rmSync(join(dir, e), { recursive: true, force: true });
    }
  }

  /**
   * Writes a job's files into a fresh folder under tmp/ (each fsynced, `done` last) and renames
   * it to jobs/<key>. Returns false when another process committed the job first (ours is
   * discarded).
   */
  commit(key: string, files: Record<string, string>): boolean {
    const tmp = join(this.root, 'tmp', `${key}.${this.host}.${process.pid}.${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(tmp);
      for (const [name, content] of Object.entries(files)) writeFileDurable(join(tmp, name), content);
      writeFileDurable(join(tmp, 'done'), new Date().toISOString() + '\n');
      try {
        renameSync(tmp, this.jobDir(key));
      } catch (err) {
        const code = (err as { code?: string }).code;
        if ((code === 'EEXIST' || code === 'ENOTEMPTY') && this.isDone(key)) {
          rmSync(tmp, { recursive: true, force: true });
          return false;
        }
        throw err;
      }
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw storeError(this.root, err, `cannot write the result of job ${key}`);
    }
    this.clearFailure(key);
    return true;
  }

  readText(key: string, file: 'score.json' | 'units.csv' | 'job.json'): string {
    return readFileSync(join(this.jobDir(key), file), 'utf8');
  }

  recordFailure(job: SweepJob, error: string): void {
    const rec: FailureRecord = { key: job.key, error, host: this.host, pid: process.pid, time: new Date().toISOString(), features: job.features, dataset: job.dataset };
    try {
      writeAtomic(join(this.root, 'failed', `${job.key}.json`), JSON.stringify(rec, null, 2) + '\n');
    } catch {
      // best effort: the failure is also reported by the runner
    }
  }

  clearFailure(key: string): void {
    rmSync(join(this.root, 'failed', `${key}.json`), { force: true });
  }

  /** Failure records of jobs that are not done. */
  failures(): FailureRecord[] {
    const out: FailureRecord[] = [];
    for (const f of readdirSync(join(this.root, 'failed'))) {
      if (!f.endsWith('.json')) continue;
      try {
        const rec = JSON.parse(readFileSync(join(this.root, 'failed', f), 'utf8')) as FailureRecord;
        if (!this.isDone(rec.key)) out.push(rec);
      } catch {
        // half-written record of a concurrent writer: skip
      }
    }
    return out;
  }

  /** Records an experiment's plan (experiments/<name>.json), so the store can say what belongs to it. */
  writeManifest(plan: SweepPlan): void {
    const e = plan.experiment;
    const manifest = {
      name: e.name,
      file: e.file,
      description: e.description,
      planned: new Date().toISOString(),
      jobs: plan.jobs.map((j) => ({ key: j.key, dataset: j.dataset, features: j.features, split: j.split, estimator: j.estimator, seed: j.seed, select: j.select })),
    };
    try {
      writeAtomic(join(this.root, 'experiments', `${e.name}.json`), JSON.stringify(manifest, null, 2) + '\n');
    } catch (err) {
      throw storeError(this.root, err, 'cannot write the experiment manifest');
    }
  }

  /** Manifests of the experiments run against this store. */
  manifests(): { name: string; keys: string[] }[] {
    const out: { name: string; keys: string[] }[] = [];
    for (const f of readdirSync(join(this.root, 'experiments')).sort()) {
      if (!f.endsWith('.json')) continue;
      try {
        const m = JSON.parse(readFileSync(join(this.root, 'experiments', f), 'utf8')) as { name: string; jobs: { key: string }[] };
        out.push({ name: m.name, keys: m.jobs.map((j) => j.key) });
      } catch {
        // skip unreadable manifests
      }
    }
    return out;
  }
}
