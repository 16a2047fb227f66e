/**
 * Distributed execution on BullMQ + Redis. `enqueuePlan` adds a plan's pending jobs to a queue
 * (BullMQ job id = store key, so adding twice is a no-op); `startQueueWorker` processes them on a
 * thread pool into a shared store. Failed attempts are retried with exponential backoff; jobs that
 * fail every attempt stay in BullMQ's failed set (the dead-letter list) with their last error.
 * A worker that dies mid-job stops renewing the job's lock; after lockDuration another worker's
 * stalled-job check (every stalledInterval) puts the job back in the queue.
 */
import { hostname } from 'node:os';
import { Queue, WaitingError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { inputError } from '../../data/errors.js';
import type { BackendPreference } from '../../linalg/index.js';
import { errorLine, type ExecuteOutcome } from './execute.js';
import type { SweepJob, SweepPlan } from './plan.js';
import { JobPool, PoolTerminatedError } from './pool.js';
import { DEFAULT_STALE_MS, ResultStore, type Claim } from './store.js';

export const DEFAULT_QUEUE_NAME = 'brainmap';
export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_BACKOFF_MS = 5_000;
export const DEFAULT_LOCK_DURATION_MS = 60_000;
export const DEFAULT_STALLED_INTERVAL_MS = 30_000;
/** Redis versions older than this are refused (BullMQ's own minimum; 6.2+ recommended). */
export const MIN_REDIS_VERSION = '5.0.0';

/** What a BullMQ job carries. */
export interface QueueJobData {
  job: SweepJob;
  experiment: string;
}

/** Validates a --queue URL: redis://[user:pass@]host:port[/db] or rediss://…. */
export function parseQueueUrl(url: string): URL {
  const expected = 'expected redis://host:port (or rediss://host:port for TLS), e.g. redis://127.0.0.1:6379';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw inputError(url, 'queue', expected);
  }
  if ((u.protocol !== 'redis:' && u.protocol !== 'rediss:') || u.hostname === '') throw inputError(url, 'queue', expected);
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
    if (versionLess(version, MIN_REDIS_VERSION)) throw inputError(url, 'queue', `Redis ${version} is too old; brainmap's queue (BullMQ) needs Redis ≥ ${MIN_REDIS_VERSION} (6.2+ recommended)`);
    return { version };
  } catch (err) {
    if (err instanceof Error && err.name === 'InputError') throw err;
    const cause = lastError ?? err; // ioredis rejects with "Connection is closed."; the socket error says why
    const code = (cause as { code?: unknown }).code;
    const msg = cause instanceof Error ? cause.message : String(cause);
    throw inputError(url, 'queue', `cannot connect to Redis (${typeof code === 'string' && !msg.includes(code) ? `${code}: ` : ''}${msg}); is redis-server running there and reachable from this machine?`);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

function connection(url: string) {
  // Workers need maxRetriesPerRequest: null (BullMQ blocks on Redis calls).
  return { url, maxRetriesPerRequest: null };
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
  const queue = new Queue<QueueJobData>(opts.queueName ?? DEFAULT_QUEUE_NAME, { connection: connection(opts.url) });
  const summary: EnqueueSummary = { total: plan.jobs.length, done: 0, added: 0, queued: 0, dead: 0, retried: 0, readded: 0 };
  try {
    store.removeStaleLocksOfDoneJobs();
    const done = store.doneKeys();
    const toAdd: SweepJob[] = [];
    for (const job of plan.jobs) {
      if (done.has(job.key)) {
        summary.done++;
        continue;
      }
      const state = await queue.getJobState(job.key);
      if (state === 'unknown') {
        toAdd.push(job);
      } else if (state === 'completed') {
        await queue.remove(job.key);
        toAdd.push(job);
        summary.readded++;
      } else if (state === 'failed') {
        if (opts.retryFailed) {
          const j = await queue.getJob(job.key);
          await j?.retry('failed');
          summary.retried++;
        } else {
          summary.dead++;
        }
      } else {
        summary.queued++;
      }
    }
    const attempts = opts.attempts ?? DEFAULT_ATTEMPTS;
    for (let i = 0; i < toAdd.length; i += 500) {
      await queue.addBulk(toAdd.slice(i, i + 500).map((job) => ({
        name: 'score',
        data: { job, experiment: plan.experiment.name },
        opts: {
          jobId: job.key,
          attempts,
          backoff: { type: 'exponential', delay: opts.backoffMs ?? DEFAULT_BACKOFF_MS },
          removeOnComplete: { count: 100_000 },
          removeOnFail: false,
        },
      })));
    }
    summary.added = toAdd.length - summary.readded;
  } finally {
    await queue.close();
  }
  return summary;
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
  onEvent?: (e: WorkerEvent) => void;
}

export type WorkerEvent =
  | { type: 'ready'; id: string }
  | { type: 'completed'; job: SweepJob; outcome: ExecuteOutcome | { skipped: true } }
  | { type: 'failed'; job: SweepJob; error: string; attempt: number; attempts: number }
  | { type: 'waiting-for-lock'; job: SweepJob }
  | { type: 'error'; error: string }
  | { type: 'closing'; force: boolean };

export interface WorkerSummary {
  completed: number;
  failed: number;
}

export interface QueueWorkerHandle {
  /** Resolves when the worker has stopped. */
  finished: Promise<WorkerSummary>;
  /**
   * Stops: force=false finishes the running jobs first; force=true stops computing now and puts
   * the running jobs back in the queue for other workers.
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
  const summary: WorkerSummary = { completed: 0, failed: 0 };
  let forced = false;
  const emit = (e: WorkerEvent) => opts.onEvent?.(e);
  const claims = new Set<Claim>();

  const processor = async (bjob: Job<QueueJobData>, token?: string): Promise<ExecuteOutcome | { skipped: true }> => {
    const job = bjob.data.job;
    let claim: Claim | null = null;
    let warned = false;
    while (!(claim = store.tryClaim(job.key, staleMs))) {
      if (store.isDone(job.key)) return { skipped: true };
      if (forced) break;
      if (!warned) emit({ type: 'waiting-for-lock', job });
      warned = true;
      await sleep(1000);
    }
    try {
      if (forced) throw new PoolTerminatedError();
      if (store.isDone(job.key)) return { skipped: true };
      claims.add(claim as Claim);
      return await pool.run(job);
    } catch (err) {
      if (err instanceof PoolTerminatedError) {
        // Release: back to the queue for another worker, without using up an attempt.
        await bjob.moveToWait(token);
        throw new WaitingError();
      }
      const error = errorLine(err);
      store.recordFailure(job, error);
      throw new Error(error);
    } finally {
      if (claim) {
        claim.release();
        claims.delete(claim);
      }
    }
  };

  const queueName = opts.queueName ?? DEFAULT_QUEUE_NAME;
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
    emit({ type: 'completed', job: bjob.data.job, outcome: result });
  });
  worker.on('failed', (bjob, err) => {
    if (!bjob) return;
    summary.failed++;
    emit({ type: 'failed', job: bjob.data.job, error: err.message, attempt: bjob.attemptsMade, attempts: bjob.opts.attempts ?? 1 });
  });
  worker.on('error', (err) => emit({ type: 'error', error: errorLine(err) }));

  const counter = opts.exitWhenDrained ? new Queue(queueName, { connection: connection(opts.url) }) : null;
  let closing: Promise<void> | null = null;
  let resolveFinished: (s: WorkerSummary) => void = () => undefined;
  const finished = new Promise<WorkerSummary>((r) => { resolveFinished = r; });
  let drainTimer: NodeJS.Timeout | undefined;

  const shutdown = (force: boolean): Promise<void> => {
    if (force && !forced) {
      forced = true;
      emit({ type: 'closing', force: true });
      void pool.terminate();
    }
    if (!closing) {
      if (!force) emit({ type: 'closing', force: false });
      clearInterval(drainTimer);
      closing = (async () => {
        await worker.close();
        await pool.close();
        for (const c of claims) c.release();
        await counter?.close();
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
          if (Object.values(c).every((n) => n === 0) && pool.load === 0) void shutdown(false);
        })
        .catch(() => undefined)
        .finally(() => { busy = false; });
    }, 1000);
  }
  void worker.run().catch((err: unknown) => emit({ type: 'error', error: errorLine(err) }));
  await worker.waitUntilReady();
  emit({ type: 'ready', id });
  return { finished, shutdown };
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
  const queue = new Queue<QueueJobData>(queueName, { connection: connection(url) });
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
  } finally {
    await queue.close();
  }
}
