/** What a results store holds: finished jobs, jobs being computed (locks), failures, experiments. */
import type { SweepPlan } from './plan.js';
import type { FailureRecord, LockInfo, ResultStore } from './store.js';

export interface StoreStatus {
  root: string;
  done: number;
  running: { key: string; owner: LockInfo | null; ageSeconds: number }[];
  failures: FailureRecord[];
  /** Per experiment manifest in the store (or the given plan): jobs done of planned. */
  experiments: { name: string; total: number; done: number }[];
  /** With a plan: its pending jobs' keys. */
  pending: string[] | null;
}

export function storeStatus(store: ResultStore, plan?: SweepPlan): StoreStatus {
  const done = store.doneKeys();
  const experiments = plan
    ? [{ name: plan.experiment.name, total: plan.jobs.length, done: plan.jobs.filter((j) => done.has(j.key)).length }]
    : store.manifests().map((m) => ({ name: m.name, total: m.keys.length, done: m.keys.filter((k) => done.has(k)).length }));
  return {
    root: store.root,
    done: done.size,
    running: store.locks().filter((l) => !done.has(l.key)).map((l) => ({ key: l.key, owner: l.info, ageSeconds: Math.round(l.ageMs / 1000) })),
    failures: store.failures(),
    experiments,
    pending: plan ? plan.jobs.filter((j) => !done.has(j.key)).map((j) => j.key) : null,
  };
}
