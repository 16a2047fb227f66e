/**
 * Local parallel execution: the pending jobs of a plan on a pool of worker threads, with
 * workers × BLAS threads ≤ cores. Jobs already in the store are skipped (broken entries are moved
 * to quarantine/ and computed again); jobs claimed by another live process are deferred and
 * picked up when that process finishes or dies. The first failure to write the store (no space,
 * read-only, …) stops the run: every later result could not be kept either.
 */
import { availableParallelism, hostname } from 'node:os';
import type { BackendPreference } from '../../linalg/index.js';
import { commitComputed, errorLine, type ExecuteOutcome } from './execute.js';
import type { SweepJob, SweepPlan } from './plan.js';
import { JobPool, PoolTerminatedError } from './pool.js';
import { DEFAULT_STALE_MS, ResultStore, StoreWriteError, type Claim, type Quarantined } from './store.js';

export interface ParallelismSettings {
  workers: number;
  blasThreads: number;
}

/**
 * Workers and BLAS threads per worker such that workers × threads ≤ cores: by default one worker
 * per core with one BLAS thread each; `--workers N` gives each worker ⌊cores / N⌋ threads.
 */
export function parallelism(opts: { workers?: number; threads?: number; cores?: number; jobs?: number }): ParallelismSettings {
  const cores = Math.max(1, opts.cores ?? availableParallelism());
  let workers = Math.max(1, opts.workers ?? cores);
  if (opts.jobs !== undefined) workers = Math.max(1, Math.min(workers, opts.jobs));
  const blasThreads = Math.max(1, opts.threads ?? Math.floor(cores / workers));
  return { workers, blasThreads };
}

export interface RunProgress {
  total: number;
  /** Jobs finished: already in the store, computed now, or committed by another process meanwhile. */
  done: number;
  computed: number;
  failed: number;
  running: number;
}

export type JobEvent =
  | { type: 'computed'; job: SweepJob; outcome: ExecuteOutcome }
  | { type: 'failed'; job: SweepJob; error: string }
  | { type: 'deferred'; job: SweepJob };

export interface LocalRunOptions extends ParallelismSettings {
  backend?: BackendPreference;
  unitBatch?: number;
  staleMs?: number;
  /** Recorded in each job.json (default: host-pid-time). */
  runId?: string;
  onProgress?: (p: RunProgress) => void;
  onJob?: (e: JobEvent) => void;
  /** Aborting stops the threads now and releases the claims (the run can be resumed). */
  signal?: AbortSignal;
  /** Poll interval while every remaining job is claimed by another process. */
  pollMs?: number;
}

export interface RunSummary {
  total: number;
  alreadyDone: number;
  computed: number;
  /** Jobs another process committed while this run was working. */
  byOthers: number;
  failed: { job: SweepJob; error: string }[];
  interrupted: boolean;
  /** The store write that failed and stopped the run (no space, read-only, …), or null. */
  fatal: string | null;
  /** Broken store entries moved to quarantine/ (their jobs were computed again). */
  quarantined: Quarantined[];
  runId: string;
  seconds: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs the plan's pending jobs into the store. Failures are recorded, not thrown. */
export async function runLocal(plan: SweepPlan, storePath: string, opts: LocalRunOptions): Promise<RunSummary> {
  const t0 = Date.now();
  const store = ResultStore.open(storePath);
  store.writeManifest(plan);
  const runId = opts.runId ?? `${hostname()}-${process.pid}-${new Date().toISOString()}`;
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  store.removeStaleLocksOfDoneJobs(staleMs);
  const { done, quarantined } = store.verify(plan.jobs.map((j) => j.key));
  const queue = plan.jobs.filter((j) => !done.has(j.key));
  const summary: RunSummary = { total: plan.jobs.length, alreadyDone: plan.jobs.length - queue.length, computed: 0, byOthers: 0, failed: [], interrupted: false, fatal: null, quarantined, runId, seconds: 0 };
  const progress = (running: number) => opts.onProgress?.({ total: summary.total, done: summary.alreadyDone + summary.computed + summary.byOthers, computed: summary.computed, failed: summary.failed.length, running });
  progress(0);
  if (queue.length === 0) return { ...summary, seconds: (Date.now() - t0) / 1000 };

  const pool = new JobPool(Math.min(opts.workers, queue.length), {
    store: storePath,
    backend: opts.backend ?? 'auto',
    blasThreads: opts.blasThreads,
    unitBatch: opts.unitBatch ?? 4096,
    runId,
  });
  const inflight = new Map<string, { claim: Claim; promise: Promise<void> }>();
  const deferred: SweepJob[] = [];
  let aborted = opts.signal?.aborted ?? false;
  const onAbort = () => {
    aborted = true;
    void pool.terminate();
  };
  const stop = (err: StoreWriteError) => {
    summary.fatal ??= err.message;
    onAbort();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const launch = (job: SweepJob, claim: Claim) => {
    const promise = pool.run(job).then(
      (computed) => {
        if (summary.fatal !== null) return; // the store cannot take it
        let outcome: ExecuteOutcome;
        try {
          outcome = commitComputed(store, computed);
        } catch (err) {
          if (err instanceof StoreWriteError) return stop(err);
          throw err;
        }
        if (outcome.committed) summary.computed++;
        else summary.byOthers++;
        opts.onJob?.({ type: 'computed', job, outcome });
      },
      (err: unknown) => {
        if (err instanceof PoolTerminatedError) return;
        const error = errorLine(err);
        summary.failed.push({ job, error });
        store.recordFailure(job, error);
        opts.onJob?.({ type: 'failed', job, error });
      },
    ).finally(() => {
      claim.release();
      inflight.delete(job.key);
      progress(inflight.size);
    });
    inflight.set(job.key, { claim, promise });
    progress(inflight.size);
  };

  try {
    while (!aborted && (queue.length > 0 || inflight.size > 0 || deferred.length > 0)) {
      while (!aborted && inflight.size < opts.workers && queue.length > 0) {
        const job = queue.shift() as SweepJob;
        if (store.entryProblem(job.key) === null) {
          summary.byOthers++;
          progress(inflight.size);
          continue;
        }
        let claim: Claim | null;
        try {
          claim = store.tryClaim(job.key, staleMs);
        } catch (err) {
          if (err instanceof StoreWriteError) {
            stop(err);
            break;
          }
          throw err;
        }
        if (!claim) {
          deferred.push(job);
          opts.onJob?.({ type: 'deferred', job });
          continue;
        }
        launch(job, claim);
      }
      if (aborted) break;
      if (inflight.size > 0) {
        await Promise.race([...inflight.values()].map((x) => x.promise));
      } else if (deferred.length > 0) {
        await sleep(opts.pollMs ?? 1000);
      }
      if (queue.length === 0 && deferred.length > 0) queue.push(...deferred.splice(0));
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (aborted) {
      await pool.terminate();
      for (const { claim } of inflight.values()) claim.release();
      summary.interrupted = true;
    } else {
      await pool.close();
    }
  }
  return { ...summary, seconds: (Date.now() - t0) / 1000 };
}
