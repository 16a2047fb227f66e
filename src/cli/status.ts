import { resolve } from 'node:path';
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { inputError } from '../data/errors.js';
import { readExperiment } from '../pipeline/sweep/experiment.js';
import { planExperiment, type SweepPlan } from '../pipeline/sweep/plan.js';
import { DEFAULT_QUEUE_NAME, queueStatus, redactUrl } from '../pipeline/sweep/queue.js';
import { storeStatus } from '../pipeline/sweep/status.js';
import { ResultStore } from '../pipeline/sweep/store.js';
import { table } from './format.js';
import { helpAfter } from './help.js';

export interface StatusCommandOptions {
  store?: string;
  queue?: string;
  queueName: string;
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('progress of experiments: jobs done in the results store, and the queue (waiting, active, completed, failed with their last error)')
    .argument('[experiment]', 'an experiment file: count its jobs (default: every experiment run against the store)')
    .option('--store <dir>', "results store (default: the experiment's `store`, else ./brainmap-store)")
    .option('--queue <url>', 'also show this Redis queue')
    .option('--queue-name <name>', 'queue name', DEFAULT_QUEUE_NAME)
    .addHelpText('after', helpAfter('status'))
    .action(runStatusCommand);
}

export async function runStatusCommand(file: string | undefined, opts: StatusCommandOptions): Promise<void> {
  const experiment = file ? readExperiment(file) : null;
  const root = resolve(opts.store ?? experiment?.store ?? 'brainmap-store');
  const out: string[] = [];
  let plan: SweepPlan | undefined;
  // Counting needs the jobs' keys only; feature specs are checked by `run` (dry runs too).
  if (experiment) plan = await planExperiment(experiment, { validate: false });
  if (!existsSync(root)) {
    if (!opts.queue) throw inputError(root, 'store', 'no such results store; give --store <dir> (the path used by `brainmap run` or `brainmap worker`)');
    out.push(`store ${root}: does not exist yet`);
  } else {
    // Reading only: a store on a read-only file system can be inspected.
    const s = storeStatus(ResultStore.openReadOnly(root), plan);
    const extra = [
      s.broken.length ? `${s.broken.length} broken (the next run moves them to quarantine/ and computes them again)` : '',
      s.quarantined ? `${s.quarantined} in quarantine/` : '',
      s.staleLocks.length ? `${s.staleLocks.length} stale lock${s.staleLocks.length > 1 ? 's' : ''} (owner gone; taken over by the next run)` : '',
    ].filter((x) => x !== '');
    out.push(`store ${s.root}: ${s.done} jobs done, ${s.running.length} being computed, ${s.failures.length} failed${extra.map((x) => `, ${x}`).join('')}`);
    const names = s.experiments.map((e) => e.name);
    for (const e of s.experiments) {
      const twin = names.filter((n) => n === e.name).length > 1;
      out.push(`  experiment ${e.name}${twin && e.file ? ` (${e.file})` : ''}: ${e.done}/${e.total} done${e.done === e.total ? '' : `, ${e.total - e.done} pending`}`);
    }
    if (s.broken.length > 0) {
      out.push('', 'broken entries (jobs/<key>):');
      out.push(table(['job key', 'problem'], s.broken.map((b) => [b.key, b.problem])));
    }
    if (s.running.length > 0) {
      out.push('', 'being computed (store locks):');
      out.push(table(['job key', 'host', 'pid', 'since', 'heartbeat'], s.running.map((r) => [r.key, r.owner?.host ?? '?', String(r.owner?.pid ?? '?'), r.owner?.time ?? '?', `${r.ageSeconds} s ago`])));
    }
    if (s.staleLocks.length > 0) {
      out.push('', 'stale locks (nothing is computing these jobs):');
      out.push(table(['job key', 'host', 'pid', 'since', 'why'], s.staleLocks.map((r) => [r.key, r.owner?.host ?? '?', String(r.owner?.pid ?? '?'), r.owner?.time ?? '?', r.why])));
    }
    if (s.failures.length > 0) {
      out.push('', 'failed in the store (last error):');
      out.push(table(['job key', 'features', 'host', 'time', 'error'], s.failures.map((f) => [f.key, f.features ?? '', f.host, f.time, f.error])));
    }
  }
  if (opts.queue) {
    const q = await queueStatus(opts.queue, opts.queueName);
    const c = q.counts;
    out.push('', `queue ${redactUrl(opts.queue)} (${opts.queueName}): waiting ${c.waiting + c.prioritized}, active ${c.active}, delayed (retry backoff) ${c.delayed}, completed ${c.completed}, failed ${c.failed}; ${q.workers} worker connection(s)`);
    if (q.dead.length > 0) {
      out.push('', 'dead letters (failed every attempt; `brainmap run <experiment> --queue … --retry-failed` runs them again):');
      out.push(table(['job key', 'dataset', 'features', 'split', 'attempts', 'failed at', 'last error'], q.dead.map((d) => [d.key, d.dataset, d.features, d.split, String(d.attempts), d.finishedOn ?? '', d.error])));
    }
  }
  process.stdout.write(out.join('\n') + '\n');
}
