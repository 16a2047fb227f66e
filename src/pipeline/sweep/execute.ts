/**
 * Computing one job: load the dataset (cached per process/thread), check its content is what was
 * planned, score the spec, and commit score.json, units.csv and job.json to the store.
 */
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { Dataset } from '../../data/dataset.js';
import { InputError, inputError } from '../../data/errors.js';
import { loadDataset } from '../../io/dataset.js';
import { getBackend, setBlasThreads, type BackendPreference } from '../../linalg/index.js';
import { specScoreToJson, unitScoresCsv } from '../results.js';
import { scoreSpec } from '../score-spec.js';
import { ALGORITHM_VERSION, datasetHash, fileHash, packageVersion, type SweepJob } from './plan.js';
import { ResultStore } from './store.js';

/** Settings shared by every job a thread runs. */
export interface ExecuteSettings {
  store: string;
  backend: BackendPreference;
  /** BLAS threads for this thread's fits. */
  blasThreads: number;
  unitBatch: number;
  /** Recorded in job.json: which run or worker computed the job. */
  runId: string;
}

export interface ExecuteOutcome {
  key: string;
  /** false when another process committed the job first. */
  committed: boolean;
  seconds: number;
  r2: number;
  r: number;
}

const datasets = new Map<string, { dataset: Dataset; hash: string }>();
const fileHashes = new Map<string, { size: number; mtimeMs: number; hash: string }>();
const stores = new Map<string, ResultStore>();
let threadsSet = 0;

async function cachedDataset(spec: string): Promise<{ dataset: Dataset; hash: string }> {
  let d = datasets.get(spec);
  if (!d) {
    const dataset = await loadDataset(spec);
    d = { dataset, hash: datasetHash(dataset) };
    if (datasets.size >= 4) datasets.delete(datasets.keys().next().value as string);
    datasets.set(spec, d);
  }
  return d;
}

function cachedFileHash(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch {
    return fileHash(path, 'features');
  }
  const c = fileHashes.get(path);
  if (c && c.size === st.size && c.mtimeMs === st.mtimeMs) return c.hash;
  const hash = fileHash(path, 'features');
  fileHashes.set(path, { size: st.size, mtimeMs: st.mtimeMs, hash });
  return hash;
}

/** Computes a job and commits it to the store (the caller holds the job's claim). */
export async function executeJob(job: SweepJob, s: ExecuteSettings): Promise<ExecuteOutcome> {
  const started = new Date();
  const t0 = performance.now();
  let store = stores.get(s.store);
  if (!store) {
    store = ResultStore.open(s.store);
    stores.set(s.store, store);
  }
  // Language-model features are cached beside the results, so every worker sharing the store
  // shares the cache (unless BRAINMAP_CACHE says otherwise).
  process.env.BRAINMAP_CACHE ??= join(s.store, 'features');
  if (threadsSet !== s.blasThreads) {
    setBlasThreads(s.blasThreads);
    threadsSet = s.blasThreads;
  }
  const backend = getBackend(s.backend);
  backend.setThreads(s.blasThreads);
  const { dataset, hash } = await cachedDataset(job.dataset);
  if (hash !== job.datasetHash) {
    throw inputError(job.dataset, 'dataset', `content differs from the planned dataset (hash ${hash.slice(0, 12)}…, planned ${job.datasetHash.slice(0, 12)}…); every worker must read the same data`);
  }
  for (const [path, want] of Object.entries(job.featureFiles)) {
    const got = cachedFileHash(path);
    if (got !== want) throw inputError(path, 'features', `content differs from the planned file (hash ${got.slice(0, 12)}…, planned ${want.slice(0, 12)}…)`);
  }
  const scored = await scoreSpec(dataset, job.features, {
    split: job.split,
    seed: job.seed,
    estimator: job.estimator,
    alphas: job.alphas,
    select: job.select ?? undefined,
    gap: job.gap ?? 0,
    backend,
    unitBatch: s.unitBatch,
  });
  const seconds = (performance.now() - t0) / 1000;
  const json = specScoreToJson(scored);
  const record = {
    key: job.key,
    job,
    brainmap_version: packageVersion(),
    algorithm_version: ALGORITHM_VERSION,
    computed: {
      run: s.runId,
      host: hostname(),
      pid: process.pid,
      thread: threadId,
      backend: backend.name,
      blas_threads: s.blasThreads,
      started: started.toISOString(),
      finished: new Date().toISOString(),
      seconds: Math.round(seconds * 1000) / 1000,
    },
  };
  const committed = store.commit(job.key, {
    'score.json': JSON.stringify(json, null, 2) + '\n',
    'units.csv': unitScoresCsv(scored.result),
    'job.json': JSON.stringify(record, null, 2) + '\n',
  });
  return { key: job.key, committed, seconds, r2: json.dataset.r2, r: json.dataset.r };
}

/** A one-line description of an error for logs, failure records and the queue's failed set. */
export function errorLine(err: unknown): string {
  if (err instanceof InputError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
