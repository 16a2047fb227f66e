import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { InputError } from '../data/errors.js';
import { readExperiment } from '../pipeline/sweep/experiment.js';
import { parallelism, runLocal, type RunProgress } from '../pipeline/sweep/local.js';
import { planExperiment, type SweepJob, type SweepPlan } from '../pipeline/sweep/plan.js';
import { checkRedis, DEFAULT_ATTEMPTS, DEFAULT_BACKOFF_MS, DEFAULT_QUEUE_NAME, enqueuePlan, redactUrl } from '../pipeline/sweep/queue.js';
import { DEFAULT_STALE_MS, ResultStore } from '../pipeline/sweep/store.js';
import { num, table } from './format.js';
import { backendOption, intArg, positiveIntArg } from './options.js';
import { helpAfter } from './help.js';

export interface RunCommandOptions {
  store?: string;
  dryRun?: boolean;
  workers?: number;
  threads?: number;
  backend: 'auto' | 'native' | 'portable';
  unitBatch: number;
  queue?: string;
  queueName: string;
  attempts: number;
  backoff: number;
  retryFailed?: boolean;
  lockStale: number;
  unitChunk?: number;
}

/** Store path: --store, else the experiment's `store`, else ./brainmap-store. */
export function storePath(opt: string | undefined, fromExperiment: string | null): string {
  return resolve(opt ?? fromExperiment ?? 'brainmap-store');
}

/** Parser for an integer option ≥ 1 (decimal digits only). */
export function positiveInt(_name: string) {
  return positiveIntArg();
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('plan an experiment file (a grid of fits) into jobs and run them: here on worker threads, or on a Redis queue for `brainmap worker`s')
    .argument('<experiment>', 'experiment file (.yaml, .yml or .json)')
    .option('--store <dir>', "results store (default: the experiment's `store`, else ./brainmap-store)")
    .option('--dry-run', 'show the plan (jobs and whether each is done) and compute nothing')
    .option('--workers <n>', 'worker threads (default: all cores)', positiveInt('--workers'))
    .option('--threads <n>', 'BLAS threads per worker (default: cores / workers)', positiveInt('--threads'))
    .addOption(backendOption())
    .option('--unit-batch <n>', 'units fitted at once (bounds memory)', positiveInt('--unit-batch'), 4096)
    .option('--queue <url>', 'enqueue the pending jobs on this Redis (redis://host:port) instead of computing them here')
    .option('--unit-chunk <n>', "with --queue: workers fit each job's units in chunks of this many and merge them (the experiment's unit_chunk); runs here fit whole jobs", positiveInt('--unit-chunk'))
    .option('--queue-name <name>', 'queue name', DEFAULT_QUEUE_NAME)
    .option('--attempts <n>', 'with --queue: attempts per job before it goes to the failed (dead-letter) set', positiveInt('--attempts'), DEFAULT_ATTEMPTS)
    .option('--backoff <ms>', 'with --queue: delay before the first retry, doubling each time', intArg('--backoff'), DEFAULT_BACKOFF_MS)
    .option('--retry-failed', 'with --queue: put jobs of this experiment that are in the failed set back in the queue')
    .option('--lock-stale <s>', 'a job lock not refreshed for this long is taken over (other hosts; a dead process on this host at once)', positiveInt('--lock-stale'), DEFAULT_STALE_MS / 1000)
    .addHelpText('after', helpAfter('run', { features: true }))
    .action(runRunCommand);
}

function jobRow(j: SweepJob, status: string, withSelect: boolean): string[] {
  const row = [j.key, j.datasetName, j.features, j.split, j.estimator, String(j.seed)];
  if (withSelect) row.push(j.select ?? '—');
  row.push(status);
  return row;
}

/**
 * The plan as a table: key, dataset, features, split, estimator, seed, [select,] status. `broken`
 * lists store entries that are there but unusable (a run moves them aside and computes them).
 */
export function formatPlan(plan: SweepPlan, done: Set<string>, storeRoot: string, broken: Set<string> = new Set()): string {
  const withSelect = plan.jobs.some((j) => j.select !== null) && plan.experiment.select.length > 1;
  const header = ['job key', 'dataset', 'features', 'split', 'estimator', 'seed', ...(withSelect ? ['select'] : []), 'status'];
  const rows = plan.jobs.map((j) => jobRow(j, done.has(j.key) ? 'done' : broken.has(j.key) ? 'broken (will be recomputed)' : 'pending', withSelect));
  const nDone = plan.jobs.filter((j) => done.has(j.key)).length;
  const nBroken = plan.jobs.filter((j) => broken.has(j.key)).length;
  return [
    table(header, rows),
    '',
    `${plan.experiment.name}: ${plan.jobs.length} jobs, ${nDone} done, ${plan.jobs.length - nDone} pending${nBroken ? ` (${nBroken} of them broken in the store)` : ''}  ·  store ${storeRoot}`,
  ].join('\n') + '\n';
}

/** A stored job's dataset R² and r, or why there is none ('missing', 'unreadable'). */
function storedScore(store: ResultStore, key: string): { r2: number | null; r: number | null } | 'missing' | 'unreadable' {
  if (!store.isDone(key)) return 'missing';
  try {
    const d = (JSON.parse(store.readText(key, 'score.json')) as { dataset?: { r2?: unknown; r?: unknown } } | null)?.dataset;
    const val = (v: unknown) => (typeof v === 'number' ? v : v === null ? null : undefined);
    const r2 = val(d?.r2);
    const r = val(d?.r);
    return r2 === undefined || r === undefined ? 'unreadable' : { r2, r };
  } catch {
    return 'unreadable';
  }
}

function resultsTable(plan: SweepPlan, store: ResultStore, limit = 200): string {
  const rows: string[][] = [];
  for (const j of plan.jobs.slice(0, limit)) {
    const s = storedScore(store, j.key);
    if (typeof s === 'string') {
      rows.push([j.datasetName, j.features, j.split, j.estimator, String(j.seed), '—', '—', s]);
      continue;
    }
    rows.push([j.datasetName, j.features, j.split, j.estimator, String(j.seed), num(s.r2), num(s.r), j.key.slice(0, 12)]);
  }
  const more = plan.jobs.length > limit ? `\n… and ${plan.jobs.length - limit} more (see ${store.root}/jobs/<key>/score.json)` : '';
  return table(['dataset', 'features', 'split', 'estimator', 'seed', 'R²', 'r', 'key'], rows, ['l', 'l', 'l', 'l', 'r', 'r', 'r', 'l']) + more + '\n';
}

/** With unit chunks: how many jobs are split, and whether chunks align with the unit batch (then scores are byte-identical to a whole fit). */
function chunkNote(plan: SweepPlan, unitBatch: number): string {
  const chunked = plan.jobs.filter((j) => j.chunks);
  if (chunked.length === 0) return '';
  const size = chunked[0].chunks!.size;
  const aligned = size % unitBatch === 0;
  return `${chunked.length} job${chunked.length > 1 ? 's' : ''} split into ${chunked.reduce((a, j) => a + j.chunks!.count, 0)} chunks of ${size} units` +
    `${aligned ? '' : ` (not a multiple of the unit batch ${unitBatch}: merged scores equal a whole fit's to rounding, not byte for byte)`}\n`;
}

export async function runRunCommand(file: string, opts: RunCommandOptions): Promise<void> {
  const read = readExperiment(file);
  const experiment = opts.unitChunk !== undefined ? { ...read, unitChunk: opts.unitChunk } : read;
  const root = storePath(opts.store, experiment.store);
  if (opts.dryRun) {
    // A dry run checks everything a run would, reads the store if there is one, and writes nothing.
    const plan = await planExperiment(experiment);
    const scan = existsSync(root) ? ResultStore.openReadOnly(root).scan(plan.jobs.map((j) => j.key)) : { done: new Set<string>(), broken: [] };
    process.stdout.write(formatPlan(plan, scan.done, root, new Set(scan.broken.map((b) => b.key))));
    return;
  }
  // Fail fast, before loading datasets: the store must be writable and Redis reachable.
  const store = ResultStore.open(root);
  if (opts.queue) await checkRedis(opts.queue);
  const plan = await planExperiment(experiment);
  if (opts.queue) {
    store.writeManifest(plan);
    const s = await enqueuePlan(plan, store, { url: opts.queue, queueName: opts.queueName, attempts: opts.attempts, backoffMs: opts.backoff, retryFailed: opts.retryFailed });
    process.stdout.write(
      `${experiment.name}: ${s.total} jobs — ${s.done} already in the store, ${s.added + s.readded} enqueued, ${s.queued} already queued` +
      `${s.retried ? `, ${s.retried} failed jobs re-queued` : ''}${s.dead ? `, ${s.dead} in the failed set (--retry-failed to run them again)` : ''}\n` +
      chunkNote(plan, opts.unitBatch) +
      `queue ${redactUrl(opts.queue)} (${opts.queueName}); start workers with: brainmap worker --queue ${redactUrl(opts.queue)} --store ${root}` +
      `${redactUrl(opts.queue) !== opts.queue ? ' (the password is shown as ***: give the real one)' : ''}\n`,
    );
    return;
  }

  const done = store.scan(plan.jobs.map((j) => j.key)).done;
  const par = parallelism({ workers: opts.workers, threads: opts.threads, jobs: plan.jobs.filter((j) => !done.has(j.key)).length });
  const tty = process.stderr.isTTY === true;
  process.stderr.write(`${experiment.name}: ${plan.jobs.length} jobs  ·  store ${root}  ·  ${par.workers} workers × ${par.blasThreads} BLAS thread${par.blasThreads > 1 ? 's' : ''}\n`);
  let bar: cliProgress.SingleBar | null = null;
  let last: RunProgress | null = null;
  const ac = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(130);
    process.stderr.write(`\n${sig}: stopping (finished jobs are kept; run the same command again to resume)\n`);
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let summary;
  try {
    summary = await runLocal(plan, root, {
      ...par,
      backend: opts.backend,
      unitBatch: opts.unitBatch,
      staleMs: opts.lockStale * 1000,
      signal: ac.signal,
      onProgress: (p) => {
        if (tty && !bar && p.done < p.total) {
          bar = new cliProgress.SingleBar(
            { format: 'jobs [{bar}] {value}/{total} | {running} running | {eta_formatted} left', stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 20 },
            cliProgress.Presets.shades_classic,
          );
          bar.start(p.total, p.done, { running: p.running });
        }
        bar?.update(p.done, { running: p.running });
        last = p;
      },
      onJob: (e) => {
        if (e.type === 'failed') {
          bar?.stop();
          process.stderr.write(`failed ${e.job.key} (${e.job.features}, ${e.job.split}): ${e.error}\n`);
          bar?.start((last as RunProgress).total, (last as RunProgress).done, { running: (last as RunProgress).running });
        } else if (e.type === 'computed' && !tty && last) {
          process.stderr.write(`[${last.done + 1}/${last.total}] ${e.job.key} ${e.job.features} ${e.job.split} seed ${e.job.seed}: R² ${num(e.outcome.r2)} (${e.outcome.seconds.toFixed(1)} s)\n`);
        } else if (e.type === 'deferred' && !tty) {
          process.stderr.write(`${e.job.key} is being computed by another process; coming back to it later\n`);
        }
      },
    });
  } finally {
    (bar as cliProgress.SingleBar | null)?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  for (const q of summary.quarantined) process.stderr.write(`${root}/jobs/${q.key}: broken result (${q.problem}); moved to ${q.to} and computed again\n`);
  if (summary.fatal !== null) {
    const finished = summary.alreadyDone + summary.computed + summary.byOthers;
    throw new InputError(`${summary.fatal}; the run stopped (${finished} of ${summary.total} jobs are in the store; run the same command again once the store can be written)`);
  }
  if (summary.interrupted) {
    process.stderr.write(`interrupted: ${summary.alreadyDone + summary.computed + summary.byOthers} of ${summary.total} jobs done\n`);
    process.exitCode = 130;
    return;
  }
  process.stdout.write(resultsTable(plan, store));
  process.stdout.write(`\n${experiment.name}: ${summary.total} jobs — computed ${summary.computed}, already in the store ${summary.alreadyDone}${summary.byOthers ? `, by other processes ${summary.byOthers}` : ''}, failed ${summary.failed.length} (${summary.seconds.toFixed(1)} s)\n`);
  if (summary.failed.length > 0) {
    for (const f of summary.failed) process.stderr.write(`failed ${f.job.key} (${f.job.features}, ${f.job.split}): ${f.error}\n`);
    process.exitCode = 1;
  }
}
