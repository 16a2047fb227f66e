/**
 * What a results store holds: finished jobs, broken entries, jobs being computed (live locks),
 * stale locks of processes that are gone, failures, experiments. Reads only.
 */
import type { SweepPlan } from './plan.js';
import { DEFAULT_STALE_MS, type FailureRecord, type LockInfo, type ResultStore } from './store.js';

export interface StoreStatus {
  root: string;
  done: number;
  /** Entries in jobs/ that cannot be used (the next run moves them to quarantine/ and recomputes). */
  broken: { key: string; problem: string }[];
  /** Folders moved to quarantine/ by earlier runs. */
  quarantined: number;
  /** Jobs whose lock is live: being computed now. */
  running: { key: string; owner: LockInfo | null; ageSeconds: number }[];
  /** Locks whose owner is gone (or silent for staleMs): nothing is computing them. */
  staleLocks: { key: string; owner: LockInfo | null; ageSeconds: number; why: string }[];
  failures: FailureRecord[];
  /**
   * Per experiment manifest in the store (or the given plan): jobs done of planned. `file` is the
   * experiment file the manifest came from (experiments with the same name are told apart by it).
   */
  experiments: { name: string; file: string; total: number; done: number }[];
  /** With a plan: its pending jobs' keys. */
  pending: string[] | null;
}

export function storeStatus(store: ResultStore, plan?: SweepPlan, staleMs = DEFAULT_STALE_MS): StoreStatus {
  const { done, broken } = store.scan();
  const experiments = plan
    ? [{ name: plan.experiment.name, file: plan.experiment.file, total: plan.jobs.length, done: plan.jobs.filter((j) => done.has(j.key)).length }]
    : store.manifests().map((m) => ({ name: m.name, file: m.file, total: m.keys.length, done: m.keys.filter((k) => done.has(k)).length }));
  const locks = store.locks(staleMs).filter((l) => !done.has(l.key));
  return {
    root: store.root,
    done: done.size,
    broken,
    quarantined: store.quarantinedCount(),
    running: locks.filter((l) => !l.state.stale).map((l) => ({ key: l.key, owner: l.info, ageSeconds: Math.round(l.ageMs / 1000) })),
    staleLocks: locks.flatMap((l) => (l.state.stale ? [{ key: l.key, owner: l.info, ageSeconds: Math.round(l.ageMs / 1000), why: l.state.why }] : [])),
    failures: store.failures(),
    experiments,
    pending: plan ? plan.jobs.filter((j) => !done.has(j.key)).map((j) => j.key) : null,
  };
}
