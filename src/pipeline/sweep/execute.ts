/**
 * Computing one job: load the dataset (cached per process/thread), check its content and every
 * input file are what was planned, score the spec, and return the files of its store entry
 * (score.json, units.csv, job.json). Computing runs on a pool thread; committing the files to the
 * store (commitComputed) happens on the calling thread, which owns every write to the store.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { Dataset } from '../../data/dataset.js';
import { InputError, inputError } from '../../data/errors.js';
import { loadDataset } from '../../io/dataset.js';
import { getBackend, setBlasThreads, type BackendPreference } from '../../linalg/index.js';
import { specScoreToJson, unitScoresCsv } from '../results.js';
import { specPerplexities } from '../lm-perplexity.js';
import { scoreSpec, type SpecScore } from '../score-spec.js';
import { ceilingsCsv, computeCeilings, normaliseScores, normalisedToJson, type CeilingResult } from '../ceiling.js';
import type { Backend } from '../../linalg/backend.js';
import type { CeilingMethodOption } from './experiment.js';
import { ALGORITHM_VERSION, cachedFileHash, datasetHash, packageVersion, type SweepJob } from './plan.js';
import type { ResultStore } from './store.js';
import { snakeKeys } from '../json-keys.js';

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

/** A computed job, not yet in the store. */
export interface ComputedJob {
  key: string;
  seconds: number;
  r2: number;
  r: number;
  /** The entry's files: score.json, units.csv, job.json. */
  files: Record<string, string>;
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
let threadsSet = 0;

/**
 * A dataset by spec, loaded once per process (the last 4 kept). `batchedY`: a dataset folder's y
 * read in pieces (Dataset.ySource); a copy already loaded whole serves too (y is in memory anyway),
 * and a whole load reuses a batched copy that has no ySource (not a folder: the same dataset).
 */
async function cachedDataset(spec: string, fresh = false, batchedY = false): Promise<{ dataset: Dataset; hash: string }> {
  const k = batchedY ? `${spec}\u0000batched` : spec;
  const other = datasets.get(batchedY ? spec : `${spec}\u0000batched`);
  let d = fresh ? undefined : datasets.get(k) ?? (other && (batchedY || !other.dataset.ySource) ? other : undefined);
  if (!d) {
    const dataset = await loadDataset(spec, batchedY ? { batchedY: 'always' } : {});
    d = { dataset, hash: datasetHash(dataset) };
    datasets.delete(k);
    if (datasets.size >= 4) datasets.delete(datasets.keys().next().value as string);
    datasets.set(k, d);
  }
  return d;
}

/**
 * The dataset of a job, reloaded once when the cached copy is not the planned content. `batchedY`:
 * a dataset folder's y.npy is not read whole but left to Dataset.ySource (read by column ranges;
 * its values checked and hashed a block of rows at a time) — for callers that read y through it.
 */
export async function plannedDataset(job: SweepJob, opts: { batchedY?: boolean } = {}): Promise<Dataset> {
  const batched = opts.batchedY ?? false;
  let d = await cachedDataset(job.dataset, false, batched);
  if (d.hash !== job.datasetHash) d = await cachedDataset(job.dataset, true, batched);
  if (d.hash !== job.datasetHash) {
    throw inputError(job.dataset, 'dataset', `content differs from the planned dataset (hash ${d.hash.slice(0, 12)}…, planned ${job.datasetHash.slice(0, 12)}…); every worker must read the same data`);
  }
  return d.dataset;
}

/** Checks that every input file still has its planned content (see SweepJob.fileStats). */
function checkInputFiles(job: SweepJob): void {
  for (const [path, want] of Object.entries(job.featureFiles)) {
    const { hash, stat } = cachedFileHash(path, 'features');
    if (hash === want) continue;
    const planned = job.fileStats?.[path];
    const when = planned && planned.host === stat.host ? ' (it was changed after the plan was made)' : '';
    throw inputError(path, 'features', `content differs from the planned file (hash ${hash.slice(0, 12)}…, planned ${want.slice(0, 12)}…)${when}; plan again to use the new content`);
  }
}

/**
 * What every computation of a job starts with: the store's feature cache, BLAS threads and the
 * backend set up, the planned dataset loaded (cached; `batchedY` as plannedDataset) and every
 * input file checked.
 */
export async function prepareCompute(job: SweepJob, s: ExecuteSettings, opts: { batchedY?: boolean } = {}): Promise<{ dataset: Dataset; backend: Backend }> {
  // Language-model features are cached beside the results, so every worker sharing the store
  // shares the cache (unless BRAINMAP_CACHE says otherwise).
  process.env.BRAINMAP_CACHE ??= join(s.store, 'features');
  if (threadsSet !== s.blasThreads) {
    setBlasThreads(s.blasThreads);
    threadsSet = s.blasThreads;
  }
  const backend = getBackend(s.backend);
  backend.setThreads(s.blasThreads);
  const dataset = await plannedDataset(job, opts);
  checkInputFiles(job);
  return { dataset, backend };
}

/** Computes a job (the caller holds the job's claim and commits the result). */
export async function computeJob(job: SweepJob, s: ExecuteSettings): Promise<ComputedJob> {
  const started = new Date();
  const t0 = performance.now();
  const { dataset, backend } = await prepareCompute(job, s);
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
  return finishComputed(job, s, { scored, dataset, backend, started, t0 });
}

const ceilingCache = new Map<string, CeilingResult>();

/** A dataset's noise ceilings by `method` (cached per dataset content and method: every job of a sweep shares them). */
async function cachedCeilings(dataset: Dataset, hash: string, method: CeilingMethodOption, backend: Backend): Promise<CeilingResult> {
  const k = `${hash}\u0000${method}`;
  let c = ceilingCache.get(k);
  if (!c) {
    c = await computeCeilings(dataset, { method, backend });
    if (ceilingCache.size >= 4) ceilingCache.delete(ceilingCache.keys().next().value as string);
    ceilingCache.set(k, c);
  }
  return c;
}

/**
 * The store entry of a scored job: perplexities of causal lm: models, the ceiling-normalised
 * scores (`normalise: ceiling`, as `score --normalise ceiling`, with ceilings.csv), score.json,
 * units.csv and job.json (`extra` goes into job.json's `computed`).
 */
export async function finishComputed(job: SweepJob, s: ExecuteSettings, c: { scored: SpecScore; dataset: Dataset; backend: Backend; started: Date; t0: number }, extra: Record<string, unknown> = {}): Promise<ComputedJob> {
  const { scored, dataset, backend, started, t0 } = c;
  // Causal lm: models' perplexity on the dataset's text (stored with their features), as `score` writes it.
  const ppl = specPerplexities(scored.spec, dataset);
  if (ppl.length > 0) scored.perplexity = ppl;
  const files: Record<string, string> = {};
  if (job.normalise) {
    const ceilings = await cachedCeilings(dataset, job.datasetHash, job.normalise, backend);
    const normalised = normaliseScores(scored.result, ceilings, 'omit');
    scored.ceiling = normalisedToJson(normalised);
    if (normalised.nExcluded > 0) scored.warnings.push(`${normalised.nExcluded} unit(s) have a noise ceiling ≤ 0 or undefined; they are left out of the ceiling-normalised scores`);
    files['ceilings.csv'] = ceilingsCsv(ceilings);
  }
  const seconds = (performance.now() - t0) / 1000;
  const json = specScoreToJson(scored);
  const record = {
    key: job.key,
    // snake_case keys like every JSON brainmap writes; the input files' paths are data.
    job: snakeKeys(job, new Set(['featureFiles', 'fileStats'])),
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
      ...extra,
    },
  };
  return {
    key: job.key,
    seconds,
    r2: json.dataset.r2,
    r: json.dataset.r,
    files: {
      'score.json': JSON.stringify(json, null, 2) + '\n',
      'units.csv': unitScoresCsv(scored.result, scored.spec),
      'job.json': JSON.stringify(record, null, 2) + '\n',
      ...files,
    },
  };
}

/** Commits a computed job to the store (a StoreWriteError when the store cannot take it). */
export function commitComputed(store: ResultStore, c: ComputedJob): ExecuteOutcome {
  const committed = store.commit(c.key, c.files);
  return { key: c.key, committed, seconds: c.seconds, r2: c.r2, r: c.r };
}

/** A one-line description of an error for logs, failure records and the queue's failed set. */
export function errorLine(err: unknown): string {
  if (err instanceof InputError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
