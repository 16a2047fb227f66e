/**
 * Distributed execution on BullMQ + Redis. `enqueuePlan` adds a plan's pending jobs to a queue
 * (BullMQ job id = store key, so adding twice is a no-op); `startQueueWorker` processes them on a
 * thread pool into a shared store. Failed attempts are retried with exponential backoff; jobs that
 * fail every attempt stay in BullMQ's failed set (the dead-letter list) with their last error.
 * Deterministic input errors (a bad file, a dataset that differs from the plan) fail at once,
 * without retries. A worker that dies mid-job stops renewing the job's lock; after lockDuration
 * another worker's stalled-job check (every stalledInterval) puts the job back in the queue.
 *
 * A worker outlives Redis outages (it reconnects by itself, reporting one line per change of the
 * connection's state) and stops within seconds of being asked, whatever Redis does: results are
 * committed to the store, which is the record of what is done; a job whose completion Redis could
 * not be told about is found in the store when it comes round again.
 *
 * Redis URLs are shown with the password replaced by *** (redactUrl) in every message.
 */
import { hostname } from 'node:os';
import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { InputError, inputError } from '../../data/errors.js';
import type { BackendPreference } from '../../linalg/index.js';
import { commitComputed, errorLine, type ExecuteOutcome } from './execute.js';
import { chunkLockKey, missingParts, partPath, removeChunks, writePart } from './chunks.js';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepJob, SweepPlan } from './plan.js';
import { JobPool, PoolTerminatedError } from './pool.js';
import { DEFAULT_STALE_MS, ResultStore, StoreWriteError, storeWriteError, type Claim } from './store.js';

export const DEFAULT_QUEUE_NAME = 'brainmap';
export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_BACKOFF_MS = 5_000;
export const DEFAULT_LOCK_DURATION_MS = 60_000;
export const DEFAULT_STALLED_INTERVAL_MS = 30_000;
/** Redis versions older than this are refused (BullMQ's own minimum; 6.2+ recommended). */
export const MIN_REDIS_VERSION = '5.0.0';

/** What a BullMQ job carries: a whole job, or one chunk of a chunked job, or the merge of its chunks (chunks.ts). */
export interface QueueJobData {
  job: SweepJob;
  experiment: string;
  /** Absent: the whole job. */
  task?: { kind: 'chunk'; index: number } | { kind: 'merge' };
}

/** Queue job id of a task: the store key for a whole job, <key>-c<i> for chunk i, <key>-merge. */
export function queueJobId(key: string, task: QueueJobData['task']): string {
  return task === undefined ? key : task.kind === 'chunk' ? `${key}-c${task.index}` : `${key}-merge`;
}

/** What a job still needs on the queue: itself, or its missing chunks, or (all chunks done) the merge. */
export function pendingTasks(store: ResultStore, job: SweepJob): QueueJobData['task'][] {
  if (!job.chunks) return [undefined];
  const missing = missingParts(store.root, job);
  return missing.length === 0 ? [{ kind: 'merge' }] : missing.map((index) => ({ kind: 'chunk' as const, index }));
}

/**
 * A Redis URL with its password replaced by `***` (user name and everything else kept as given),
 * for messages and logs: `redis://user:pw@host:6379` → `redis://user:***@host:6379`.
 */
export function redactUrl(url: string): string {
  return url.replace(/^([^/]*\/\/[^/@:]*):[^/]*@/, '$1:***@');
}

/** Removes a URL's password from any text (an error message that quotes it, say). */
function scrub(text: string, url: string): string {
  const pw = /^[^/]*\/\/[^/@:]*:([^/]*)@/.exec(url)?.[1] ?? '';
  let out = text.split(url).join(redactUrl(url));
  if (pw !== '') {
    out = out.split(pw).join('***');
    try {
      const decoded = decodeURIComponent(pw);
      if (decoded !== '') out = out.split(decoded).join('***');
    } catch {
      // not percent-encoded
    }
  }
  return out;
}

/** Validates a --queue URL: redis://[user:pass@]host:port[/db] or rediss://…. */
export function parseQueueUrl(url: string): URL {
  const expected = 'expected redis://host:port (or rediss://host:port for TLS), e.g. redis://127.0.0.1:6379';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw inputError(redactUrl(url), 'queue', expected);
  }
  if ((u.protocol !== 'redis:' && u.protocol !== 'rediss:') || u.hostname === '') throw inputError(redactUrl(url), 'queue', expected);
  return u;
}

function versionLess(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0);
  return false;
}

/**
 * Connects once, without retries, so that a wrong URL or a server that is down fails within
 * `timeoutMs` with a clear message (BullMQ itself would retry forever). Checks the Redis version.
 */
export async function checkRedis(url: string, timeoutMs = 5000): Promise<{ version: string }> {
  parseQueueUrl(url);
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let lastError: unknown = null;
  client.on('error', (e: unknown) => { lastError ??= e; });
  let timer: NodeJS.Timeout | undefined;
  try {
    const info = await Promise.race([
      client.connect().then(() => client.info('server')),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })), timeoutMs); }),
    ]);
    const version = /redis_version:([\d.]+)/.exec(info)?.[1] ?? '0.0.0';
    if (versionLess(version, MIN_REDIS_VERSION)) throw inputError(redactUrl(url), 'queue', `Redis ${version} is too old; brainmap's queue (BullMQ) needs Redis ≥ ${MIN_REDIS_VERSION} (6.2+ recommended)`);
    return { version };
  } catch (err) {
    if (err instanceof Error && err.name === 'InputError') throw err;
    const cause = lastError ?? err; // ioredis rejects with "Connection is closed."; the socket error says why
    const code = (cause as { code?: unknown }).code;
    const msg = scrub(cause instanceof Error ? cause.message : String(cause), url);
    if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(msg)) {
      throw inputError(redactUrl(url), 'queue', `Redis refused the credentials (${msg.replace(/\.$/, '')}); give the password as redis://:<password>@host:port`);
    }
    throw inputError(redactUrl(url), 'queue', `cannot connect to Redis (${typeof code === 'string' && !msg.includes(code) ? `${code}: ` : ''}${msg}); is redis-server running there and reachable from this machine?`);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

function connection(url: string) {
  // Workers need maxRetriesPerRequest: null (BullMQ blocks on Redis calls).
  return { url, maxRetriesPerRequest: null };
}

/** For short-lived clients (enqueue, status): a command fails instead of waiting for Redis forever. */
function clientConnection(url: string) {
  return { url, maxRetriesPerRequest: 2 };
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);

/** Whether an error is about reaching Redis (rather than about a job or a command). */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  const msg = err instanceof Error ? err.message : String(err);
  return /Connection is closed|connect E[A-Z]+|Socket closed unexpectedly|Stream isn't writeable|read ECONNRESET|write EPIPE|max retries per request/i.test(msg);
}

/** The reason of a connection error in a few words, e.g. "ECONNREFUSED". */
function connectionReason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].replace(/\.$/, '');
}

export interface EnqueueOptions {
  url: string;
  queueName?: string;
  attempts?: number;
  backoffMs?: number;
  /** Put jobs that are in the failed set (dead letters) back into the queue. */
  retryFailed?: boolean;
}

export interface EnqueueSummary {
  total: number;
  /** Already in the store: not enqueued. */
  done: number;
  added: number;
  /** Already waiting, active or delayed in the queue. */
  queued: number;
  /** In the failed set and left there (use retryFailed). */
  dead: number;
  /** Moved from the failed set back to the queue (retryFailed). */
  retried: number;
  /** Marked completed in the queue but missing from the store (e.g. a new store path): re-added. */
  readded: number;
}

/** Enqueues the plan's jobs that are not done in the store (idempotent: job id = store key). */
export async function enqueuePlan(plan: SweepPlan, store: ResultStore, opts: EnqueueOptions): Promise<EnqueueSummary> {
  await checkRedis(opts.url);
  const queue = new Queue<QueueJobData>(opts.queueName ?? DEFAULT_QUEUE_NAME, { connection: clientConnection(opts.url) });
  let lost: unknown = null;
  queue.on('error', (e) => { lost ??= e; });
  const summary: EnqueueSummary = { total: plan.jobs.length, done: 0, added: 0, queued: 0, dead: 0, retried: 0, readded: 0 };
  try {
    store.removeStaleLocksOfDoneJobs();
    const { done } = store.verify(plan.jobs.map((j) => j.key));
    const toAdd: { job: SweepJob; task: QueueJobData['task'] }[] = [];
    for (const job of plan.jobs) {
      if (done.has(job.key)) {
        summary.done++;
        continue;
      }
      for (const task of pendingTasks(store, job)) {
        const id = queueJobId(job.key, task);
        const state = await queue.getJobState(id);
        if (state === 'unknown') {
          toAdd.push({ job, task });
        } else if (state === 'completed') {
          await queue.remove(id);
          toAdd.push({ job, task });
          summary.readded++;
        } else if (state === 'failed') {
          if (opts.retryFailed) {
            const j = await queue.getJob(id);
            await j?.retry('failed');
            summary.retried++;
          } else {
            summary.dead++;
          }
        } else {
          summary.queued++;
        }
      }
    }
    const attempts = opts.attempts ?? DEFAULT_ATTEMPTS;
    for (let i = 0; i < toAdd.length; i += 500) {
      await queue.addBulk(toAdd.slice(i, i + 500).map(({ job, task }) => ({
        name: task === undefined ? 'score' : task.kind,
        data: { job, experiment: plan.experiment.name, ...(task ? { task } : {}) },
        opts: queueJobOpts(queueJobId(job.key, task), attempts, opts.backoffMs ?? DEFAULT_BACKOFF_MS),
      })));
    }
    summary.added = toAdd.length - summary.readded;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw inputError(redactUrl(opts.url), 'queue', `lost the connection to Redis while enqueueing (${scrub(connectionReason(lost ?? err), opts.url)}); run the same command again`);
  } finally {
    await closeOrDisconnect(queue, 2000);
  }
  return summary;
}

/** BullMQ options of a queue job: its id, retries with exponential backoff, completed ones kept for a while, failed ones kept. */
function queueJobOpts(jobId: string, attempts: number, backoffMs: number) {
  return { jobId, attempts, backoff: { type: 'exponential', delay: backoffMs }, removeOnComplete: { count: 100_000 }, removeOnFail: false };
}

/** Closes a BullMQ queue or worker, cutting its connections if Redis does not answer within `ms`. */
async function closeOrDisconnect(q: { close(): Promise<void>; disconnect(): Promise<void> }, ms: number): Promise<boolean> {
  const closed = await within(q.close().then(() => true, () => true), ms);
  if (closed) return true;
  await within(q.disconnect().catch(() => undefined), 1000);
  return false;
}

/** Resolves with the promise's value, or undefined when it takes longer than `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), ms); });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface QueueWorkerOptions {
  url: string;
  store: string;
  queueName?: string;
  workers: number;
  blasThreads: number;
  backend?: BackendPreference;
  unitBatch?: number;
  /** BullMQ job lock (ms); a dead worker's job is taken back after about this long. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Times a job may stall (its worker died) before it counts as failed. Default 2. */
  maxStalledCount?: number;
  /** Store lock stale timeout (ms). */
  staleMs?: number;
  /** Exit once the queue has no waiting, delayed or active jobs. */
  exitWhenDrained?: boolean;
  /**
   * When stopping: how long to wait for Redis to take the last acknowledgements before cutting
   * the connections (ms; default 5000 while connected, at most 1000 while Redis is unreachable).
   */
  closeGraceMs?: number;
  onEvent?: (e: WorkerEvent) => void;
}

export type WorkerEvent =
  | { type: 'ready'; id: string }
  | { type: 'completed'; job: SweepJob; task?: QueueJobData['task']; outcome: ExecuteOutcome | { skipped: true } }
  /** `final`: no retry follows (last attempt, or a deterministic input error). */
  | { type: 'failed'; job: SweepJob; task?: QueueJobData['task']; error: string; attempt: number; attempts: number; final: boolean }
  | { type: 'waiting-for-lock'; job: SweepJob }
  | { type: 'quarantined'; key: string; problem: string; to: string }
  /** The connection to Redis was lost (with why) or is back. One event per change. */
  | { type: 'connection'; state: 'lost'; reason: string }
  | { type: 'connection'; state: 'restored' }
  /** The store cannot be written: the job goes back to the queue and the worker stops. */
  | { type: 'store-error'; job: SweepJob; error: string }
  | { type: 'error'; error: string }
  | { type: 'closing'; force: boolean }
  /** Redis did not answer while stopping; its connections were cut. */
  | { type: 'abandoned' };

export interface WorkerSummary {
  completed: number;
  failed: number;
  /** The store error that stopped the worker, or null. */
  fatal: string | null;
}

export interface QueueWorkerHandle {
  /** Resolves when the worker has stopped. */
  finished: Promise<WorkerSummary>;
  /**
   * Stops: force=false finishes the running jobs first; force=true stops computing now and puts
   * the running jobs back in the queue for other workers. Either way the worker stops within
   * seconds of its jobs ending, whether or not Redis answers.
   */
  shutdown(force: boolean): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts a worker that processes queue jobs into the store (see QueueWorkerOptions). */
export async function startQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  await checkRedis(opts.url);
  const store = ResultStore.open(opts.store);
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  const id = `${hostname()}:${process.pid}`;
  const pool = new JobPool(opts.workers, {
    store: opts.store,
    backend: opts.backend ?? 'auto',
    blasThreads: opts.blasThreads,
    unitBatch: opts.unitBatch ?? 4096,
    runId: `worker ${id}`,
  });
  const summary: WorkerSummary = { completed: 0, failed: 0, fatal: null };
  let forced = false;
  let stopping = false;
  const emit = (e: WorkerEvent) => opts.onEvent?.(e);
  const claims = new Set<Claim>();

  // Connection state: one event per change, whatever BullMQ and ioredis repeat.
  let connected = true;
  let lastError = '';
  const onError = (err: unknown) => {
    if (isConnectionError(err)) {
      if (connected && !stopping) emit({ type: 'connection', state: 'lost', reason: scrub(connectionReason(err), opts.url) });
      connected = false;
      return;
    }
    if (stopping) return;
    const line = scrub(errorLine(err).split('\n')[0], opts.url);
    if (line !== lastError) emit({ type: 'error', error: line });
    lastError = line;
  };
  const onReady = () => {
    if (!connected && !stopping) emit({ type: 'connection', state: 'restored' });
    connected = true;
    lastError = '';
  };

  // Running processors, so that stopping can wait for exactly them.
  let running = 0;
  let idleWaiters: (() => void)[] = [];
  const whenIdle = () => (running === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r)));

  /** Puts a job back in the queue without using an attempt (bounded: Redis may be gone). */
  const handBack = async (bjob: Job<QueueJobData>, token?: string): Promise<never> => {
    await within(bjob.moveToWait(token).catch(() => undefined), 2000);
    throw new WaitingError();
  };

  let shutdown: (force: boolean) => Promise<void> = async () => undefined;

  const queueName = opts.queueName ?? DEFAULT_QUEUE_NAME;
  // Adds the merge of a chunked job once all its chunks are in the store (created on first use).
  let adder: Queue<QueueJobData> | null = null;
  const addMerge = async (bjob: Job<QueueJobData>): Promise<void> => {
    const job = bjob.data.job;
    if (store.isDone(job.key) || missingParts(store.root, job).length > 0) return;
    if (adder === null) {
      adder = new Queue<QueueJobData>(queueName, { connection: clientConnection(opts.url) });
      adder.on('error', onError);
    }
    const task = { kind: 'merge' as const };
    // An id already in the queue (another worker finished a chunk at the same time) is not added twice.
    await adder.add('merge', { job, experiment: bjob.data.experiment, task }, queueJobOpts(queueJobId(job.key, task), bjob.opts.attempts ?? DEFAULT_ATTEMPTS, DEFAULT_BACKOFF_MS));
  };

  /** What a queue job is done as: whole job and merge: jobs/<key>; a chunk: its part file (or the merged job). */
  const isDone = (data: QueueJobData): { done: boolean; quarantined: ReturnType<ResultStore['verifiedDone']>['quarantined'] } => {
    const v = store.verifiedDone(data.job.key);
    if (v.done || data.task?.kind !== 'chunk') return v;
    return { done: existsSync(partPath(store.root, data.job.key, data.task.index)), quarantined: v.quarantined };
  };

  const processor = async (bjob: Job<QueueJobData>, token?: string): Promise<ExecuteOutcome | { skipped: true }> => {
    running++;
    const job = bjob.data.job;
    const task = bjob.data.task;
    const lockKey = task?.kind === 'chunk' ? chunkLockKey(job.key, task.index) : job.key;
    let claim: Claim | null = null;
    try {
      let warned = false;
      for (;;) {
        const v = isDone(bjob.data);
        if (v.quarantined) emit({ type: 'quarantined', ...v.quarantined });
        if (v.done) {
          if (task?.kind === 'chunk') await addMerge(bjob);
          return { skipped: true };
        }
        // Stopping: a job not started yet goes back at once (graceful stops finish only running jobs).
        if (forced || closing || summary.fatal !== null) return await handBack(bjob, token);
        if ((claim = store.tryClaim(lockKey, staleMs))) break;
        if (!warned) emit({ type: 'waiting-for-lock', job });
        warned = true;
        await sleep(1000);
      }
      claims.add(claim);
      if (isDone(bjob.data).done) return { skipped: true };
      if (task?.kind === 'chunk') {
        const computed = await pool.run(job, task);
        try {
          writePart(store.root, job.key, task.index, Object.values(computed.files)[0]);
        } catch (err) {
          throw storeWriteError(store.root, err, `cannot write chunk ${task.index} of job ${job.key}`);
        }
        await addMerge(bjob);
        return { key: job.key, committed: true, seconds: computed.seconds, r2: NaN, r: NaN };
      }
      if (task?.kind === 'merge') {
        const missing = missingParts(store.root, job);
        if (missing.length > 0) throw new Error(`chunk${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of job ${job.key} missing from the store; run \`brainmap run --queue\` again to enqueue ${missing.length > 1 ? 'them' : 'it'}`);
        const outcome = commitComputed(store, await pool.run(job, task));
        removeChunks(store.root, job.key);
        // Locks of its chunks left by killed workers (stale now) go too.
        for (const l of store.locks(staleMs)) if (l.key.startsWith(`${job.key}.`) && l.state.stale) rmSync(join(store.root, 'locks', `${l.key}.lock`), { force: true });
        return outcome;
      }
      const computed = await pool.run(job);
      return commitComputed(store, computed);
    } catch (err) {
      if (err instanceof WaitingError) throw err;
      if (err instanceof PoolTerminatedError) return await handBack(bjob, token);
      if (err instanceof StoreWriteError) {
        // Nothing this worker computes can be kept: the job goes back, the worker stops.
        if (summary.fatal === null) {
          summary.fatal = err.message;
          emit({ type: 'store-error', job, error: err.message });
          void shutdown(false);
        }
        return await handBack(bjob, token);
      }
      // A chunk whose job was merged meanwhile (by another worker) has nothing left to do.
      if (task !== undefined && store.isDone(job.key)) return { skipped: true };
      const error = errorLine(err);
      store.recordFailure(job, error);
      // A deterministic input problem gives the same error on every attempt: fail it now.
      if (err instanceof InputError) throw new UnrecoverableError(error);
      throw new Error(error);
    } finally {
      if (claim) {
        claim.release();
        claims.delete(claim);
      }
      running--;
      if (running === 0) {
        const w = idleWaiters;
        idleWaiters = [];
        for (const r of w) r();
      }
    }
  };

  const worker = new Worker<QueueJobData, ExecuteOutcome | { skipped: true }>(queueName, processor, {
    connection: connection(opts.url),
    concurrency: opts.workers,
    lockDuration: opts.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS,
    stalledInterval: opts.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS,
    maxStalledCount: opts.maxStalledCount ?? 2,
    name: id,
    autorun: false,
  });
  worker.on('completed', (bjob, result) => {
    summary.completed++;
    emit({ type: 'completed', job: bjob.data.job, task: bjob.data.task, outcome: result });
  });
  worker.on('failed', (bjob, err) => {
    if (!bjob) return;
    summary.failed++;
    const attempts = bjob.opts.attempts ?? 1;
    const final = err.name === 'UnrecoverableError' || bjob.attemptsMade >= attempts;
    emit({ type: 'failed', job: bjob.data.job, task: bjob.data.task, error: err.message, attempt: bjob.attemptsMade, attempts, final });
  });
  worker.on('error', onError);

  const counter = opts.exitWhenDrained ? new Queue(queueName, { connection: clientConnection(opts.url) }) : null;
  counter?.on('error', onError);
  let closing: Promise<void> | null = null;
  let resolveFinished: (s: WorkerSummary) => void = () => undefined;
  const finished = new Promise<WorkerSummary>((r) => { resolveFinished = r; });
  let drainTimer: NodeJS.Timeout | undefined;

  shutdown = (force: boolean): Promise<void> => {
    if (force && !forced) {
      forced = true;
      emit({ type: 'closing', force: true });
      void pool.terminate();
    }
    if (!closing) {
      if (!force) emit({ type: 'closing', force: false });
      clearInterval(drainTimer);
      closing = (async () => {
        // Stop fetching jobs; BullMQ's close also waits for the running jobs to be acknowledged.
        const closed = worker.close().then(() => true, () => true);
        // The running jobs end (finished and committed to the store, or handed back when forced).
        await whenIdle();
        stopping = true;
        // Give Redis a moment to take the acknowledgements; when it does not answer, cut the
        // connections: what was computed is in the store, and a job Redis still holds as active
        // is taken back by another worker's stalled check and found done in the store.
        const grace = Math.min(opts.closeGraceMs ?? 5000, connected ? Infinity : 1000);
        if (!(await within(closed, grace))) {
          emit({ type: 'abandoned' });
          await within(worker.disconnect().catch(() => undefined), 1000);
        }
        await pool.close();
        for (const c of claims) c.release();
        if (counter) await closeOrDisconnect(counter, 1000);
        if (adder) await closeOrDisconnect(adder, 1000);
        resolveFinished(summary);
      })();
    }
    return closing;
  };

  if (counter) {
    let busy = false;
    drainTimer = setInterval(() => {
      if (busy || closing) return;
      busy = true;
      counter.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')
        .then((c) => {
          if (Object.values(c).every((n) => n === 0) && pool.load === 0 && running === 0) void shutdown(false);
        })
        .catch(() => undefined)
        .finally(() => { busy = false; });
    }, 1000);
  }
  void worker.run().catch((err: unknown) => onError(err));
  await worker.waitUntilReady();
  const backend = worker.getBackend();
  for (const c of await Promise.all([backend.client, backend.blockingClient].map((p) => Promise.resolve(p).catch(() => undefined)))) {
    (c as { on?: (ev: string, f: () => void) => void } | undefined)?.on?.('ready', onReady);
  }
  emit({ type: 'ready', id });
  return { finished, shutdown: (force) => shutdown(force) };
}

export interface QueueStatus {
  counts: Record<'waiting' | 'active' | 'delayed' | 'completed' | 'failed' | 'prioritized', number>;
  /** The dead-letter list: jobs that failed every attempt, with their last error. */
  dead: { key: string; features: string; dataset: string; split: string; attempts: number; error: string; finishedOn: string | null }[];
  workers: number;
}

/** Counts of the queue and its failed jobs (up to `maxDead`). */
export async function queueStatus(url: string, queueName = DEFAULT_QUEUE_NAME, maxDead = 100): Promise<QueueStatus> {
  await checkRedis(url);
  const queue = new Queue<QueueJobData>(queueName, { connection: clientConnection(url) });
  let lost: unknown = null;
  queue.on('error', (e) => { lost ??= e; });
  try {
    const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    const failed = await queue.getFailed(0, maxDead - 1);
    const workers = (await queue.getWorkers()).length;
    return {
      counts: { waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, completed: c.completed ?? 0, failed: c.failed ?? 0, prioritized: c.prioritized ?? 0 },
      dead: failed.filter((j): j is Job<QueueJobData> => j !== undefined && j !== null).map((j) => ({
        key: String(j.id),
        features: j.data?.job?.features ?? '?',
        dataset: j.data?.job?.datasetName ?? '?',
        split: j.data?.job?.split ?? '?',
        attempts: j.attemptsMade,
        error: j.failedReason ?? '',
        finishedOn: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
      })),
      workers,
    };
  } catch (err) {
    throw inputError(redactUrl(url), 'queue', `lost the connection to Redis while reading the queue (${scrub(connectionReason(lost ?? err), url)})`);
  } finally {
    await closeOrDisconnect(queue, 2000);
  }
}
