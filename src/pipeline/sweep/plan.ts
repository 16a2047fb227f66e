/**
 * Planning: an experiment becomes a list of jobs, each with a key derived from everything its
 * result depends on —
 *
 *   key = sha256(canonical JSON of {
 *     algorithm: ALGORITHM_VERSION, brainmap: package.json version,
 *     dataset: datasetHash (y bytes + sample table + unit table + design + shuffle order + name),
 *     features: the concrete spec text, files: { path → sha256 of content } for `file:` terms,
 *     split, seed, estimator, alphas, select (null when the spec has no grid)
 *   }) — first 32 hex digits.
 *
 * Not in the key: the dataset's path/source (the same content read from another mount point is
 * the same job), the backend, BLAS threads and unit batch (they do not change results beyond
 * rounding), and the experiment's name (a store can be shared by many experiments).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Dataset } from '../../data/dataset.js';
import { InputError, inputError } from '../../data/errors.js';
import { expandGrid } from '../../features/grid.js';
import { parseFeatureSpec } from '../../features/spec.js';
import { loadDataset } from '../../io/dataset.js';
import { hashFileInto } from '../../io/fsutil.js';
import { DEFAULT_ALPHAS, type Estimator } from '../../regression/ridge.js';
import type { SplitScheme } from '../../regression/splits.js';
import type { SelectMode } from '../select.js';
import type { Experiment } from './experiment.js';

/**
 * Bump when a change to the fitting or scoring code changes results, so that stores never mix
 * results of different algorithms under one key.
 */
export const ALGORITHM_VERSION = 2; // 2: features z-scored within inner folds by default (issue 11.10)

let packageVersionCache: string | undefined;

/** brainmap's package.json version (read once; src/ and dist/ are at the same depth). */
export function packageVersion(): string {
  if (packageVersionCache === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    packageVersionCache = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  }
  return packageVersionCache;
}

/** One fit to run: everything a worker needs, and the key its result is stored under. */
export interface SweepJob {
  key: string;
  /** Dataset spec as loadDataset takes it (paths absolute). */
  dataset: string;
  /** Content hash of the dataset (see datasetHash); workers check they read the same content. */
  datasetHash: string;
  /** Dataset name (for display). */
  datasetName: string;
  /** Concrete feature spec (one feature space; a grid unless the entry was expanded). */
  features: string;
  /** sha256 of each `file:` term's content, by path. */
  featureFiles: Record<string, string>;
  split: SplitScheme;
  seed: number;
  estimator: Estimator;
  alphas: number[];
  /** How a grid value is chosen; null when the spec has no grid. */
  select: SelectMode | null;
  /** Samples dropped from training around held-out samples (score --gap); absent = 0. */
  gap?: number;
}

export interface SweepPlan {
  experiment: Experiment;
  jobs: SweepJob[];
}

import { datasetHash } from '../../data/hash.js';

export { datasetHash };

/** sha256 of a file's content (streamed); errors name the path and `field`. */
export function fileHash(path: string, field: string): string {
  const h = createHash('sha256');
  hashFileInto(h, path, field);
  return h.digest('hex');
}

/** Paths of the `file:` terms of a spec. */
export function featureFilePaths(spec: string): string[] {
  return parseFeatureSpec(spec).bands.flatMap((b) => b.terms.filter((t) => t.name === 'file').map((t) => t.params.path));
}

/** The key of a job (see the module comment). */
export function jobKey(job: Omit<SweepJob, 'key' | 'dataset' | 'datasetName'>): string {
  const canonical = JSON.stringify({
    algorithm: ALGORITHM_VERSION,
    brainmap: packageVersion(),
    dataset: job.datasetHash,
    features: job.features,
    files: Object.keys(job.featureFiles).sort().map((p) => [p, job.featureFiles[p]]),
    split: job.split,
    seed: job.seed,
    estimator: job.estimator,
    alphas: job.alphas,
    select: job.select,
    // Only a non-zero gap enters the key, so jobs without one keep their earlier keys.
    ...(job.gap ? { gap: job.gap } : {}),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

export interface PlanOptions {
  /** Loads a dataset (default loadDataset); tests inject their own. */
  load?: (spec: string) => Promise<Dataset>;
  /** Called once per dataset after it is loaded and hashed. */
  onDataset?: (spec: string, hash: string, ms: number) => void;
}

/**
 * Plans an experiment into jobs: datasets × features (expanded entries give one job per grid
 * value) × splits × estimators × seeds × select (select only multiplies specs that have a grid).
 * Loads each dataset once to hash it. Jobs with equal keys (the same fit listed twice) appear once.
 */
export async function planExperiment(exp: Experiment, opts: PlanOptions = {}): Promise<SweepPlan> {
  const load = opts.load ?? loadDataset;
  const where = exp.file || exp.name;
  const datasets: { spec: string; hash: string; name: string }[] = [];
  for (const [i, spec] of exp.datasets.entries()) {
    const t0 = Date.now();
    let d: Dataset;
    try {
      d = await load(spec);
    } catch (err) {
      if (err instanceof InputError) throw inputError(where, `datasets[${i}]`, err.message);
      throw err;
    }
    const hash = datasetHash(d);
    opts.onDataset?.(spec, hash, Date.now() - t0);
    datasets.push({ spec, hash, name: d.name });
  }
  const fileHashes = new Map<string, string>();
  const features: { spec: string; files: Record<string, string>; hasGrid: boolean }[] = [];
  for (const [i, f] of exp.features.entries()) {
    const parsed = parseFeatureSpec(f.spec);
    const { axis, specs } = expandGrid(parsed);
    const concrete = f.expand && axis ? specs.map((s) => ({ text: s.text, hasGrid: false })) : [{ text: parsed.text, hasGrid: axis !== null }];
    for (const c of concrete) {
      const files: Record<string, string> = {};
      for (const p of featureFilePaths(c.text)) {
        let h = fileHashes.get(p);
        if (h === undefined) {
          try {
            h = fileHash(p, 'features');
          } catch (err) {
            if (err instanceof InputError) throw inputError(where, `features[${i}]`, err.message);
            throw err;
          }
          fileHashes.set(p, h);
        }
        files[p] = h;
      }
      features.push({ spec: c.text, files, hasGrid: c.hasGrid });
    }
  }
  const alphas = exp.alphas ?? [...DEFAULT_ALPHAS];
  const jobs: SweepJob[] = [];
  const seen = new Set<string>();
  for (const d of datasets) {
    for (const f of features) {
      for (const split of exp.splits) {
        for (const estimator of exp.estimators) {
          for (const seed of exp.seeds) {
            for (const select of f.hasGrid ? exp.select : [null]) {
              const base = { datasetHash: d.hash, features: f.spec, featureFiles: f.files, split, seed, estimator, alphas, select, ...(exp.gap ? { gap: exp.gap } : {}) };
              const key = jobKey(base);
              if (seen.has(key)) continue;
              seen.add(key);
              jobs.push({ key, dataset: d.spec, datasetName: d.name, ...base });
            }
          }
        }
      }
    }
  }
  return { experiment: exp, jobs };
}
