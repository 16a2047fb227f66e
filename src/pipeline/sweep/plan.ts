/**
 * Planning: an experiment becomes a list of jobs, each with a key derived from everything its
 * result depends on —
 *
 *   key = sha256(canonical JSON of {
 *     algorithm: ALGORITHM_VERSION, brainmap: package.json version,
 *     dataset: datasetHash (y bytes + sample table + unit table + design + shuffle order + name),
 *     features: the concrete spec text,
 *     files: { path → sha256 of content } of every input file the features read (termInputFiles:
 *       `file:` terms, `glove:path=`, `pereira-glove:dir=`'s vectors and sentences, and an `lm:`
 *       model folder's config, weights and tokenizer files),
 *     split, seed, estimator, alphas, select (null when the spec has no grid)
 *   }) — first 32 hex digits.
 *
 * Not in the key: the dataset's path/source (the same content read from another mount point is
 * the same job), the backend, BLAS threads and unit batch (they do not change results beyond
 * rounding), and the experiment's name (a store can be shared by many experiments).
 *
 * Planning also checks every feature spec on every dataset (validate.ts), so a sweep with a spec
 * that can only fail stops before anything runs.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Dataset } from '../../data/dataset.js';
import { InputError, inputError } from '../../data/errors.js';
import { registerBuiltinFeatures } from '../../features/builtin.js';
import { expandGrid } from '../../features/grid.js';
import { isUntrainedName, SafetensorsModel } from '../../features/lm/index.js';
import { parseFeatureSpec, type FeatureTerm } from '../../features/spec.js';
import { loadDataset } from '../../io/dataset.js';
import { hashFileInto } from '../../io/fsutil.js';
import { DEFAULT_ALPHAS, type Estimator } from '../../regression/ridge.js';
import type { SplitScheme } from '../../regression/splits.js';
import type { SelectMode } from '../select.js';
import type { CeilingMethodOption, Experiment } from './experiment.js';

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
  /** sha256 of the content of every input file the features read (termInputFiles), by path. */
  featureFiles: Record<string, string>;
  /**
   * Size, mtime and host of each input file when it was hashed: a worker on that host that sees
   * the same size and mtime trusts the hash instead of reading the file again.
   */
  fileStats?: Record<string, FileStat>;
  split: SplitScheme;
  seed: number;
  estimator: Estimator;
  alphas: number[];
  /** How a grid value is chosen; null when the spec has no grid. */
  select: SelectMode | null;
  /** Samples dropped from training around held-out samples (score --gap); absent = 0. */
  gap?: number;
  /** `normalise: ceiling` with this ceiling method (score --normalise ceiling); absent = not normalised. */
  normalise?: CeilingMethodOption;
  /**
   * Queue workers fit the units in `count` chunks of `size` (each experiment's units in order;
   * chunks.ts) and merge them into the same result. Not in the key: the result is the same.
   */
  chunks?: { size: number; count: number };
}

export interface SweepPlan {
  experiment: Experiment;
  jobs: SweepJob[];
}

import { datasetHash } from '../../data/hash.js';
import { SpecChecker } from './validate.js';
import { chunkable } from './chunkable.js';
import { recordedUnits } from '../score-plan.js';
import { ceilingMethodFor } from '../ceiling.js';

export { datasetHash };

/** sha256 of a file's content (streamed); errors name the path and `field`. */
export function fileHash(path: string, field: string): string {
  const h = createHash('sha256');
  hashFileInto(h, path, field);
  return h.digest('hex');
}

/** What identifies a file's version cheaply (with the host it was seen on). */
export interface FileStat {
  size: number;
  mtimeMs: number;
  host: string;
}

const hashCache = new Map<string, { size: number; mtimeMs: number; ino: number; hash: string }>();

/**
 * sha256 of a file's content, cached by absolute path, size, mtime and inode for the life of the
 * process (a model's weights are read once per run, however many jobs use them).
 */
export function cachedFileHash(path: string, field = 'features'): { hash: string; stat: FileStat } {
  const abs = resolve(path);
  let st;
  try {
    st = statSync(abs);
  } catch {
    return { hash: fileHash(path, field), stat: { size: -1, mtimeMs: -1, host: hostname() } }; // fileHash names the problem
  }
  const stat = { size: st.size, mtimeMs: st.mtimeMs, host: hostname() };
  const c = hashCache.get(abs);
  if (c && c.size === st.size && c.mtimeMs === st.mtimeMs && c.ino === st.ino) return { hash: c.hash, stat };
  const hash = fileHash(path, field);
  hashCache.set(abs, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, hash });
  return { hash, stat };
}

const LM_TOKENIZER_FILES = ['tokenizer.json', 'vocab.json', 'merges.txt'];
const modelFiles = new Map<string, string[]>();

/** The files a Hugging Face model folder contributes: config.json, the weights, the tokenizer files. */
function lmModelFiles(dir: string): string[] {
  let files = modelFiles.get(dir);
  if (!files) {
    files = [join(dir, 'config.json'), ...SafetensorsModel.open(dir).files, ...LM_TOKENIZER_FILES.map((f) => join(dir, f)).filter((p) => existsSync(p))];
    modelFiles.set(dir, files);
  }
  return files;
}

/**
 * The files a feature term reads: a `file:` path, `glove:path=`, the vectors and sentence lists in
 * a `pereira-glove:dir=` folder, a pretrained `lm:` model folder's config, weight and tokenizer
 * files; `word`/`sense`/`synt`'s vectors, vocabulary and text files and their model's files.
 * Features computed from the dataset alone read none.
 */
export function termInputFiles(term: FeatureTerm): string[] {
  switch (term.name) {
    case 'file':
      return [term.params.path];
    case 'glove':
      return term.params.path ? [term.params.path] : [];
    case 'pereira-glove': {
      const dir = term.params.dir;
      if (!dir) return [];
      return ['243', '384'].flatMap((e) => [join(dir, `glove_sentence_vectors_${e}.txt`), join(dir, `stimuli_${e}sentences.txt`)]).filter((p) => existsSync(p));
    }
    case 'lm': {
      const model = term.positional[0];
      if (model !== undefined && term.positional[1] === 'untrained') {
        // Untrained weights: only the config and tokenizer files are read.
        return [join(model, 'config.json'), ...['tokenizer.json', 'tokenizer_config.json', ...LM_TOKENIZER_FILES].filter((f, i, a) => a.indexOf(f) === i).map((f) => join(model, f)).filter((p) => existsSync(p))];
      }
      return model === undefined || isUntrainedName(model) ? [] : lmModelFiles(model);
    }
    case 'word':
    case 'sense':
    case 'synt': {
      // The vectors (and vocabulary), the text chosen (text=, deref=) and, for sense/synt, the model's files as lm reads them.
      const files = [term.params.vectors, term.params.vocab, term.params.text].filter((p): p is string => p !== undefined);
      const deref = term.params.deref;
      if (deref) files.push(...['243', '384'].flatMap((e) => [join(deref, `stimuli_${e}sentences.txt`), join(deref, `stimuli_${e}sentences_dereferencedpronouns.txt`)]).filter((p) => existsSync(p)));
      if (term.name === 'word') return files;
      const model = term.params.model ?? (term.positional[1] === 'untrained' ? `${term.positional[0]}:untrained` : term.positional[0]);
      if (model === undefined) return files;
      const positional = model.endsWith(':untrained') ? [model.slice(0, -':untrained'.length), 'untrained'] : [model];
      return [...files, ...termInputFiles({ name: 'lm', params: {}, positional, text: term.text })];
    }
    default:
      return [];
  }
}

/** Every input file of a spec (all bands and grid values), each once. */
export function featureFilePaths(spec: string): string[] {
  registerBuiltinFeatures();
  const out = new Set<string>();
  for (const s of expandGrid(parseFeatureSpec(spec)).specs) {
    for (const b of s.bands) for (const t of b.terms) for (const p of termInputFiles(t)) out.add(p);
  }
  return [...out];
}

/** The most units an experiment of the dataset records (what unit chunks are counted on, chunks.ts). */
function maxRecordedUnits(d: Dataset): number {
  const rows = new Map<string, number[]>();
  d.samples.experiment.forEach((e, i) => { if (rows.has(e)) rows.get(e)!.push(i); else rows.set(e, [i]); });
  return Math.max(0, ...[...rows.values()].map((r) => recordedUnits(d.y, Int32Array.from(r)).length));
}

/** The key of a job (see the module comment). */
export function jobKey(job: Omit<SweepJob, 'key' | 'dataset' | 'datasetName' | 'fileStats' | 'chunks'>): string {
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
    ...(job.normalise ? { normalise: job.normalise } : {}),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

export interface PlanOptions {
  /** Loads a dataset (default loadDataset); tests inject their own. */
  load?: (spec: string) => Promise<Dataset>;
  /** Called once per dataset after it is loaded and hashed. */
  onDataset?: (spec: string, hash: string, ms: number) => void;
  /**
   * Check every feature spec on every dataset (validate.ts) before returning (default true):
   * a spec that can only fail is an InputError "<experiment>: features[i]: …".
   */
  validate?: boolean;
}

/**
 * Plans an experiment into jobs: datasets × features (expanded entries give one job per grid
 * value) × splits × estimators × seeds × select (select only multiplies specs that have a grid).
 * Loads each dataset once to hash it and check the feature specs on it. Jobs with equal keys (the
 * same fit listed twice) appear once.
 */
export async function planExperiment(exp: Experiment, opts: PlanOptions = {}): Promise<SweepPlan> {
  const load = opts.load ?? loadDataset;
  const where = exp.file || exp.name;
  const datasets: { spec: string; hash: string; name: string; nUnits: number }[] = [];
  const checker = opts.validate === false ? null : new SpecChecker();
  for (const [i, spec] of exp.datasets.entries()) {
    const t0 = Date.now();
    let d: Dataset;
    try {
      d = await load(spec);
    } catch (err) {
      if (err instanceof InputError) throw inputError(where, `datasets[${i}]`, err.message);
      throw err;
    }
    if (exp.normalise) {
      // A dataset without what the ceiling method needs fails here, before any job runs.
      try {
        ceilingMethodFor(d, exp.normalise);
      } catch (err) {
        if (err instanceof InputError) throw inputError(where, 'normalise', `${err.message}${exp.datasets.length > 1 ? ` (on datasets[${i}])` : ''}`);
        throw err;
      }
    }
    const hash = datasetHash(d);
    opts.onDataset?.(spec, hash, Date.now() - t0);
    datasets.push({ spec, hash, name: d.name, nUnits: exp.unitChunk === undefined ? d.y.cols : maxRecordedUnits(d) });
    if (checker) {
      for (const [k, f] of exp.features.entries()) {
        try {
          await checker.check(f.spec, d, hash);
        } catch (err) {
          if (err instanceof InputError) throw inputError(where, `features[${k}]`, `${err.message.replace(/^--features: /, '')}${exp.datasets.length > 1 ? ` (on datasets[${i}])` : ''}`);
          throw err;
        }
      }
    }
  }
  registerBuiltinFeatures();
  const features: { spec: string; files: Record<string, string>; stats: Record<string, FileStat>; hasGrid: boolean }[] = [];
  for (const [i, f] of exp.features.entries()) {
    const parsed = parseFeatureSpec(f.spec);
    const { axis, specs } = expandGrid(parsed);
    const concrete = f.expand && axis ? specs.map((s) => ({ text: s.text, hasGrid: false })) : [{ text: parsed.text, hasGrid: axis !== null }];
    for (const c of concrete) {
      const files: Record<string, string> = {};
      const stats: Record<string, FileStat> = {};
      try {
        for (const p of featureFilePaths(c.text)) {
          const h = cachedFileHash(p, 'features');
          files[p] = h.hash;
          stats[p] = h.stat;
        }
      } catch (err) {
        if (err instanceof InputError) throw inputError(where, `features[${i}]`, err.message.replace(/^--features: /, ''));
        throw err;
      }
      features.push({ spec: c.text, files, stats, hasGrid: c.hasGrid });
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
              const base = { datasetHash: d.hash, features: f.spec, featureFiles: f.files, split, seed, estimator, alphas, select, ...(exp.gap ? { gap: exp.gap } : {}), ...(exp.normalise ? { normalise: exp.normalise } : {}) };
              const key = jobKey(base);
              if (seen.has(key)) continue;
              seen.add(key);
              const chunks = exp.unitChunk !== undefined && d.nUnits > exp.unitChunk && chunkable(f.spec) ? { size: exp.unitChunk, count: Math.ceil(d.nUnits / exp.unitChunk) } : null;
              jobs.push({ key, dataset: d.spec, datasetName: d.name, ...base, fileStats: f.stats, ...(chunks ? { chunks } : {}) });
            }
          }
        }
      }
    }
  }
  return { experiment: exp, jobs };
}
