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
 *   <store>/experiments/<name>.<h>.json the plan of each experiment run against the store (<h>: hash
 *                                      of the experiment file's path, so two files named alike
 *                                      keep their own manifest)
 *   <store>/quarantine/<key>.<stamp>…/ broken job folders moved aside (QUARANTINED says why)
 *   <store>/tmp/                       results being written
 *
 * A job folder is valid when `done`, a JSON score.json and job.json and a non-empty units.csv are
 * there; anything else in jobs/ (a truncated copy, a folder without `done`) is broken: a run
 * moves it to quarantine/ and computes the job again. Inspecting a store (status, run --dry-run)
 * writes nothing, so a read-only store can be inspected.
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
import { join, resolve } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { InputError, inputError } from '../../data/errors.js';
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

/**
 * A write to the store failed (no space, quota, read-only, permissions, I/O error): nothing a
 * retry of the same job can fix, so runs stop at the first one. `code` is the errno code.
 */
export class StoreWriteError extends InputError {
  readonly code: string | undefined;

  constructor(message: string, code?: string) {
    super(message);
    this.name = 'StoreWriteError';
    this.code = code;
  }
}

function storeReason(err: unknown): { why: string; code: string | undefined } {
  const raw = (err as { code?: unknown } | null)?.code;
  const code = typeof raw === 'string' ? raw : undefined;
  let why = describeFsError(err);
  if (code === 'EEXIST' || code === 'ENOTDIR') why = 'a file is in the way (a parent of this path, or the path itself, is not a directory)';
  if (code === 'EACCES' || code === 'EPERM') why = 'permission denied; the store must be writable by every worker';
  if (code === 'EROFS') why = 'read-only file system';
  if (code === 'ENOSPC') why = 'no space left on the device';
  if (code === 'EDQUOT') why = 'disk quota exceeded';
  return { why, code };
}

/** The InputError for a store that cannot be used, e.g. "<path>: store: permission denied (EACCES) …". */
export function storeError(root: string, err: unknown, what = 'cannot be used as a results store'): InputError {
  const { why, code } = storeReason(err);
  return inputError(root, 'store', `${what}: ${why}${code ? ` (${code})` : ''}`);
}

/** A StoreWriteError "<root>: store: <what>: <why> (<code>)" (an InputError passes through). */
export function storeWriteError(root: string, err: unknown, what: string): StoreWriteError {
  if (err instanceof StoreWriteError) return err;
  if (err instanceof InputError) return new StoreWriteError(err.message);
  const { why, code } = storeReason(err);
  return new StoreWriteError(`${root}: store: ${what}: ${why}${code ? ` (${code})` : ''}`, code);
}

/** Entries of a folder; a missing folder has none (a store being inspected may lack some). */
function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return [];
    throw err;
  }
}

/** Whether a lock is stale, and why ('' when it is live). */
export type LockState = { stale: false } | { stale: true; why: string };

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/**
 * Writes a file and fsyncs it. A file this call created is removed again when writing fails
 * (e.g. ENOSPC after the open), so a failed write leaves nothing behind.
 */
export function writeFileDurable(path: string, content: string | Uint8Array, flag = 'w'): void {
  const fd = openSync(path, flag);
  let ok = false;
  try {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) rmSync(path, { force: true });
  }
}

/** Writes `path` via a temporary file and rename (the temporary file is removed on failure). */
export function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileDurable(tmp, content);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Why a finished job folder cannot be used, or null when it is complete. */
export function jobFolderProblem(dir: string): string | null {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOTDIR') return 'not a folder';
    return `cannot be read (${describeFsError(err)})`;
  }
  if (!entries.includes('done')) return 'no `done` marker (an interrupted or partial copy)';
  for (const f of ['score.json', 'job.json']) {
    if (!entries.includes(f)) return `${f} is missing`;
    let text: string;
    try {
      text = readFileSync(join(dir, f), 'utf8');
    } catch (err) {
      return `${f} cannot be read (${describeFsError(err)})`;
    }
    if (text.trim() === '') return `${f} is empty`;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      return `${f} is not valid JSON (truncated?)`;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return `${f} is not a JSON object`;
  }
  if (!entries.includes('units.csv')) return 'units.csv is missing';
  try {
    if (statSync(join(dir, 'units.csv')).size === 0) return 'units.csv is empty';
  } catch (err) {
    return `units.csv cannot be read (${describeFsError(err)})`;
  }
  return null;
}

/** A job folder moved aside. */
export interface Quarantined {
  key: string;
  problem: string;
  /** Where it is now. */
  to: string;
}

export class ResultStore {
  readonly root: string;
  readonly host = hostname();
  /** Opened with openReadOnly: nothing is ever written. */
  readonly readOnly: boolean;

  private constructor(root: string, readOnly: boolean) {
    this.root = root;
    this.readOnly = readOnly;
  }

  /**
   * Opens (creating if needed) a store and checks it is writable; any problem is an InputError
   * naming the path, e.g. a path under a regular file or a folder without write permission.
   */
  static open(root: string): ResultStore {
    const store = new ResultStore(root, false);
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
      store.checkFormat();
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw storeError(root, err);
    }
    return store;
  }

  /**
   * Opens an existing store for reading only (status, dry runs): creates, probes and moves
   * nothing, so a store on a read-only file system can be inspected. A folder that is not a
   * store (no STORE.json and not empty) is an InputError.
   */
  static openReadOnly(root: string): ResultStore {
    const store = new ResultStore(root, true);
    let entries: string[];
    try {
      if (!statSync(root).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      entries = readdirSync(root);
    } catch (err) {
      throw storeError(root, err, 'cannot be read as a results store');
    }
    if (entries.includes('STORE.json')) store.checkFormat();
    else if (entries.length > 0 && !entries.includes('jobs')) throw inputError(root, 'store', 'not a brainmap results store (no STORE.json or jobs/ in it)');
    return store;
  }

  private checkFormat(): void {
    const marker = join(this.root, 'STORE.json');
    let fmt: unknown;
    try {
      fmt = (JSON.parse(readFileSync(marker, 'utf8')) as { format?: unknown } | null)?.format;
    } catch (err) {
      if (err instanceof SyntaxError) throw inputError(marker, 'format', 'is not valid JSON; expected {"format": 1, …} as written by brainmap');
      throw storeError(this.root, err, 'cannot be read as a results store');
    }
    if (fmt !== STORE_FORMAT) throw inputError(this.root, 'store', `STORE.json has format ${String(fmt)}; this brainmap reads format ${STORE_FORMAT}`);
  }

  private writable(): void {
    if (this.readOnly) throw new Error('ResultStore: opened read-only');
  }

  jobDir(key: string): string {
    return join(this.root, 'jobs', key);
  }

  /** Whether jobs/<key> has its `done` marker (see entryProblem for a full check). */
  isDone(key: string): boolean {
    return existsSync(join(this.root, 'jobs', key, 'done'));
  }

  /** Keys of all job folders with a `done` marker (not checked further; see scan). */
  doneKeys(): Set<string> {
    const out = new Set<string>();
    for (const k of listDir(join(this.root, 'jobs'))) if (this.isDone(k)) out.add(k);
    return out;
  }

  /** Why jobs/<key> cannot be used; null when it is complete, undefined when there is none. */
  entryProblem(key: string): string | null | undefined {
    const dir = this.jobDir(key);
    if (!existsSync(dir)) return undefined;
    return jobFolderProblem(dir);
  }

  /**
   * Checks job folders (those of `keys`, default all) without changing anything: complete ones
   * are done, the others are broken, with the reason.
   */
  scan(keys?: Iterable<string>): { done: Set<string>; broken: { key: string; problem: string }[] } {
    const done = new Set<string>();
    const broken: { key: string; problem: string }[] = [];
    for (const key of keys ?? listDir(join(this.root, 'jobs'))) {
      const p = this.entryProblem(key);
      if (p === null) done.add(key);
      else if (p !== undefined) broken.push({ key, problem: p });
    }
    return { done, broken };
  }

  /**
   * Like scan, but moves each broken folder to quarantine/ so that its job is computed again.
   * Returns the complete jobs and what was moved.
   */
  verify(keys: Iterable<string>): { done: Set<string>; quarantined: Quarantined[] } {
    this.writable();
    const { done, broken } = this.scan(keys);
    const quarantined: Quarantined[] = [];
    for (const b of broken) {
      const q = this.quarantine(b.key, b.problem);
      if (q) quarantined.push(q);
      else if (this.entryProblem(b.key) === null) done.add(b.key); // replaced by a complete one meanwhile
    }
    return { done, quarantined };
  }

  /** Whether a job is done; a broken folder is moved to quarantine/ (then: not done). */
  verifiedDone(key: string): { done: boolean; quarantined: Quarantined | null } {
    const p = this.entryProblem(key);
    if (p === null) return { done: true, quarantined: null };
    if (p === undefined) return { done: false, quarantined: null };
    const q = this.quarantine(key, p);
    return { done: q === null && this.entryProblem(key) === null, quarantined: q };
  }

  /**
   * Moves jobs/<key> to quarantine/ with a QUARANTINED note saying why. Returns null when the
   * folder was gone already, or when it turned out complete (another process replaced the broken
   * folder with a good one between the check and the move: that one is put back).
   */
  quarantine(key: string, problem: string): Quarantined | null {
    this.writable();
    const qdir = join(this.root, 'quarantine');
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const to = join(qdir, `${key}.${stamp}.${this.host}.${process.pid}.${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(qdir, { recursive: true });
      renameSync(this.jobDir(key), to);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return null;
      throw storeWriteError(this.root, err, `cannot move the broken result of job ${key} to ${qdir}`);
    }
    if (jobFolderProblem(to) === null) {
      try {
        renameSync(to, this.jobDir(key));
        return null;
      } catch {
        // a complete folder is at jobs/<key> again; this copy stays in quarantine
      }
    }
    try {
      writeFileSync(join(to, 'QUARANTINED'), `${new Date().toISOString()} moved from jobs/${key} by ${this.host}:${process.pid}: ${problem}\n`);
    } catch {
      // the note is a courtesy
    }
    return { key, problem, to };
  }

  /** Folders in quarantine/. */
  quarantinedCount(): number {
    return listDir(join(this.root, 'quarantine')).length;
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

  /** All current locks (for status), each with whether it is stale (see lockState). */
  locks(staleMs = DEFAULT_STALE_MS): { key: string; info: LockInfo | null; ageMs: number; state: LockState }[] {
    const out: { key: string; info: LockInfo | null; ageMs: number; state: LockState }[] = [];
    for (const f of listDir(join(this.root, 'locks'))) {
      if (!f.endsWith('.lock')) continue;
      const key = f.slice(0, -5);
      const l = this.readLock(key);
      if (l) out.push({ key, info: l.info, ageMs: Date.now() - l.mtimeMs, state: this.lockState(l, staleMs) });
    }
    return out;
  }

  /**
   * A lock is stale when its owner is a process of this host that no longer exists, or when its
   * heartbeat is older than staleMs (any host).
   */
  lockState(lock: { info: LockInfo | null; mtimeMs: number }, staleMs: number): LockState {
    const age = Date.now() - lock.mtimeMs;
    const i = lock.info;
    if (i !== null && i.host === this.host && i.pid !== process.pid && !isProcessAlive(i.pid)) return { stale: true, why: `its process ${i.pid} on ${i.host} is gone` };
    if (age > staleMs) return { stale: true, why: `no heartbeat for ${Math.round(age / 1000)} s` };
    return { stale: false };
  }

  private isStale(lock: { info: LockInfo | null; mtimeMs: number }, staleMs: number): boolean {
    return this.lockState(lock, staleMs).stale;
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
    this.writable();
    const p = this.lockPath(key);
    for (let attempt = 0; attempt < 2; attempt++) {
      const info: LockInfo = { pid: process.pid, host: this.host, time: new Date().toISOString(), token: randomBytes(8).toString('hex') };
      try {
        writeFileDurable(p, JSON.stringify(info) + '\n', 'wx');
      } catch (err) {
        if ((err as { code?: string }).code !== 'EEXIST') throw storeWriteError(this.root, err, `cannot create ${p}`);
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
   * discarded). A broken folder in the way (see jobFolderProblem) is moved to quarantine/ first.
   * Any failure to write is a StoreWriteError and leaves nothing under tmp/.
   */
  commit(key: string, files: Record<string, string>): boolean {
    this.writable();
    const tmp = join(this.root, 'tmp', `${key}.${this.host}.${process.pid}.${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(tmp);
      for (const [name, content] of Object.entries(files)) writeFileDurable(join(tmp, name), content);
      writeFileDurable(join(tmp, 'done'), new Date().toISOString() + '\n');
      for (let attempt = 0; ; attempt++) {
        try {
          renameSync(tmp, this.jobDir(key));
          break;
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
          const problem = this.entryProblem(key);
          if (problem === null) {
            rmSync(tmp, { recursive: true, force: true });
            return false;
          }
          if (attempt > 0) throw err;
          if (problem !== undefined) this.quarantine(key, problem);
        }
      }
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw storeWriteError(this.root, err, `cannot write the result of job ${key}`);
    }
    this.clearFailure(key);
    return true;
  }

  readText(key: string, file: 'score.json' | 'units.csv' | 'job.json'): string {
    return readFileSync(join(this.jobDir(key), file), 'utf8');
  }

  /** Records a job's last error in failed/<key>.json (best effort: nothing is left on failure). */
  recordFailure(job: SweepJob, error: string): void {
    if (this.readOnly) return;
    const rec: FailureRecord = { key: job.key, error, host: this.host, pid: process.pid, time: new Date().toISOString(), features: job.features, dataset: job.dataset };
    try {
      writeAtomic(join(this.root, 'failed', `${job.key}.json`), JSON.stringify(rec, null, 2) + '\n');
    } catch {
      // best effort: the failure is also reported by the runner
    }
  }

  clearFailure(key: string): void {
    if (this.readOnly) return;
    rmSync(join(this.root, 'failed', `${key}.json`), { force: true });
  }

  /** Failure records of jobs that are not done. */
  failures(): FailureRecord[] {
    const out: FailureRecord[] = [];
    for (const f of listDir(join(this.root, 'failed'))) {
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

  /**
   * Records an experiment's plan (experiments/<name>.<hash of the file's path>.json), so the store
   * can say what belongs to it; two experiment files with the same name keep separate manifests.
   */
  writeManifest(plan: SweepPlan): void {
    this.writable();
    const e = plan.experiment;
    const file = manifestFileName(e.name, e.file);
    const manifest = {
      name: e.name,
      file: e.file,
      description: e.description,
      planned: new Date().toISOString(),
      jobs: plan.jobs.map((j) => ({ key: j.key, dataset: j.dataset, features: j.features, split: j.split, estimator: j.estimator, seed: j.seed, select: j.select })),
    };
    try {
      writeAtomic(join(this.root, 'experiments', file), JSON.stringify(manifest, null, 2) + '\n');
    } catch (err) {
      throw storeWriteError(this.root, err, 'cannot write the experiment manifest');
    }
    // A manifest of the same file under the name older versions used (experiments/<name>.json).
    const legacy = join(this.root, 'experiments', `${e.name}.json`);
    if (file !== `${e.name}.json` && e.file !== '') {
      try {
        const old = JSON.parse(readFileSync(legacy, 'utf8')) as { file?: unknown };
        if (typeof old.file === 'string' && resolve(old.file) === resolve(e.file)) rmSync(legacy, { force: true });
      } catch {
        // none, or not ours
      }
    }
  }

  /** Manifests of the experiments run against this store. */
  manifests(): { name: string; file: string; keys: string[] }[] {
    const out: { name: string; file: string; keys: string[] }[] = [];
    for (const f of listDir(join(this.root, 'experiments')).sort()) {
      if (!f.endsWith('.json')) continue;
      try {
        const m = JSON.parse(readFileSync(join(this.root, 'experiments', f), 'utf8')) as { name: string; file?: string; jobs: { key: string }[] };
        out.push({ name: m.name, file: typeof m.file === 'string' ? m.file : '', keys: m.jobs.map((j) => j.key) });
      } catch {
        // skip unreadable manifests
      }
    }
    return out;
  }
}

/** experiments/ file name of a manifest: <name>.<8 hex of sha256(absolute file path)>.json. */
export function manifestFileName(name: string, file: string): string {
  if (file === '') return `${name}.json`;
  return `${name}.${createHash('sha256').update(resolve(file)).digest('hex').slice(0, 8)}.json`;
}
