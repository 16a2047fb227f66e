import { resolve } from 'node:path';
import { Command } from 'commander';
import { parallelism } from '../pipeline/sweep/local.js';
import { DEFAULT_LOCK_DURATION_MS, DEFAULT_QUEUE_NAME, DEFAULT_STALLED_INTERVAL_MS, redactUrl, startQueueWorker, type WorkerEvent } from '../pipeline/sweep/queue.js';
import { DEFAULT_STALE_MS } from '../pipeline/sweep/store.js';
import { num } from './format.js';
import { backendOption, intArg } from './options.js';
import { positiveInt } from './run.js';
import { helpAfter } from './help.js';

export interface WorkerCommandOptions {
  queue: string;
  store: string;
  queueName: string;
  workers?: number;
  threads?: number;
  backend: 'auto' | 'native' | 'portable';
  unitBatch: number;
  lockDuration: number;
  stalledInterval: number;
  maxStalled: number;
  lockStale: number;
  exitWhenDrained?: boolean;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('process jobs enqueued by `brainmap run --queue` into a shared results store (run one per machine)')
    .requiredOption('--queue <url>', 'Redis URL, e.g. redis://10.0.0.5:6379')
    .requiredOption('--store <dir>', 'results store, the same path on every machine (a shared file system)')
    .option('--queue-name <name>', 'queue name', DEFAULT_QUEUE_NAME)
    .option('--workers <n>', 'jobs computed at once, each on its own thread (default: all cores)', positiveInt('--workers'))
    .option('--threads <n>', 'BLAS threads per job (default: cores / workers)', positiveInt('--threads'))
    .addOption(backendOption())
    .option('--unit-batch <n>', 'units fitted at once (bounds memory)', positiveInt('--unit-batch'), 4096)
    .option('--lock-duration <ms>', "queue lock of a running job; a dead worker's job is retried elsewhere after about this long", positiveInt('--lock-duration'), DEFAULT_LOCK_DURATION_MS)
    .option('--stalled-interval <ms>', 'how often this worker looks for jobs of dead workers', positiveInt('--stalled-interval'), DEFAULT_STALLED_INTERVAL_MS)
    .option('--max-stalled <n>', 'times a job may lose its worker before it counts as failed', intArg('--max-stalled'), 2)
    .option('--lock-stale <s>', 'a store lock of another host not refreshed for this long is taken over', positiveInt('--lock-stale'), DEFAULT_STALE_MS / 1000)
    .option('--exit-when-drained', 'exit once the queue has no waiting, delayed or running jobs')
    .addHelpText('after', helpAfter('worker'))
    .action(runWorkerCommand);
}

function stamp(): string {
  return new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
}

/** After a second signal, the worker exits within this long whatever happens (ms). */
const FORCED_EXIT_MS = 10_000;

export async function runWorkerCommand(opts: WorkerCommandOptions): Promise<void> {
  const par = parallelism({ workers: opts.workers, threads: opts.threads });
  const log = (line: string) => process.stderr.write(`${stamp()} ${line}\n`);
  const queue = redactUrl(opts.queue);
  // The handlers go in before the worker starts: it may take a job (and its store lock) before
  // startQueueWorker resolves, and a SIGTERM then must stop it cleanly, not kill it mid-job.
  let handle: Awaited<ReturnType<typeof startQueueWorker>> | undefined;
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 2) {
      // Stopping now must not depend on Redis or on a job's thread: exit regardless after a while.
      setTimeout(() => {
        log(`could not stop cleanly within ${FORCED_EXIT_MS / 1000} s; exiting`);
        process.exit(130);
      }, FORCED_EXIT_MS).unref();
    }
    if (signals > 2) process.exit(130);
    if (handle) void handle.shutdown(signals > 1);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  handle = await startQueueWorker({
    url: opts.queue,
    store: resolve(opts.store),
    queueName: opts.queueName,
    ...par,
    backend: opts.backend,
    unitBatch: opts.unitBatch,
    lockDurationMs: opts.lockDuration,
    stalledIntervalMs: opts.stalledInterval,
    maxStalledCount: opts.maxStalled,
    staleMs: opts.lockStale * 1000,
    exitWhenDrained: opts.exitWhenDrained,
    onEvent: (e: WorkerEvent) => {
      switch (e.type) {
        case 'ready': log(`worker ${e.id} on ${queue} (${opts.queueName}), store ${resolve(opts.store)}, ${par.workers} × ${par.blasThreads} BLAS thread(s)`); break;
        case 'completed': {
          const what = e.task?.kind === 'chunk' ? `${e.job.key} chunk ${e.task.index + 1} of ${e.job.chunks?.count ?? '?'}` : e.job.key;
          if ('skipped' in e.outcome) log(`${what} already in the store`);
          else if (e.task?.kind === 'chunk') log(`${what} computed (${e.outcome.seconds.toFixed(1)} s)`);
          else log(`${e.job.key} ${e.job.features} ${e.job.split} seed ${e.job.seed}: R² ${num(e.outcome.r2)} (${e.outcome.seconds.toFixed(1)} s${e.task?.kind === 'merge' ? `, merged from ${e.job.chunks?.count ?? '?'} chunks` : ''})`);
          break;
        }
        case 'failed': log(`${e.task?.kind === 'chunk' ? `${e.job.key} chunk ${e.task.index + 1} of ${e.job.chunks?.count ?? '?'}` : e.task?.kind === 'merge' ? `${e.job.key} merge` : e.job.key} failed (attempt ${e.attempt} of ${e.attempts}${!e.final ? ', will retry' : e.attempt < e.attempts ? ', not retried: the same input gives the same error; see brainmap status' : ', giving up: see brainmap status'}): ${e.error}`); break;
        case 'waiting-for-lock': log(`${e.job.key} is locked by another process; waiting for it`); break;
        case 'quarantined': log(`${e.key}: broken result in the store (${e.problem}); moved to ${e.to}, computing it again`); break;
        case 'connection': log(e.state === 'lost' ? `lost the connection to Redis at ${queue} (${e.reason}); reconnecting — running jobs go on and are saved to the store` : `connection to Redis at ${queue} restored`); break;
        case 'store-error': log(`error: ${e.error}; ${e.job.key} goes back to the queue and this worker stops`); break;
        case 'error': log(`queue error: ${e.error}`); break;
        case 'closing': log(e.force ? 'stopping now; running jobs go back to the queue' : 'stopping after the running jobs (signal again to stop now)'); break;
        case 'abandoned': log('Redis does not answer; closing the connections without it (finished jobs are in the store; an unacknowledged job is retried by another worker and found done)'); break;
      }
    },
  });
  // A signal that came while the worker was starting applies now.
  if (signals > 0) void handle.shutdown(signals > 1);
  const s = await handle.finished;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  log(`stopped: ${s.completed} jobs completed, ${s.failed} failed attempts`);
  // Nothing may keep the process alive now (a reconnect timer of a client Redis never answered).
  const code = s.fatal !== null ? 2 : 0;
  await new Promise<void>((r) => process.stderr.write('', () => r()));
  process.exit(code);
}
