/**
 * One large fit over many workers (`unit_chunk:` in an experiment file, `run --unit-chunk`): the
 * units of a job (SweepJob.chunks) are fitted in chunks by queue workers, each chunk with the fold
 * decompositions that the first worker to need them stored in the results store, and the chunks'
 * per-unit statistics are merged into the score.json and units.csv that one whole fit writes.
 *
 * Chunk i of size N covers units [i·N, (i+1)·N) of each experiment (its recorded units in dataset
 * order; empty where an experiment has fewer). Every number a fit reports per unit (fold squared
 * errors, fold r, chosen α, inner-CV score) depends only on that unit's responses and the fold
 * decompositions (ridge.ts fitUnits), and the decompositions are read back bit for bit (float64
 * and float32 .npy), so the merged result is the one-machine result byte for byte; the dataset,
 * subject and grid aggregation then runs once on the merged units (summarise, specScoreFromFits).
 *
 * In the store, beside jobs/:
 *
 *   chunks/<key>/factors-g<g>/        grid value g's fold decompositions: meta.json,
 *                                     e<e>-f<f>-<array>.npy (experiment e, outer fold f), done
 *   chunks/<key>/part-<i>.json        chunk i's per-unit fold statistics (written atomically)
 *   chunks/<key>/tmp/                 decompositions being written
 *   locks/<key>.g<g>.factors.lock     claim of computing grid value g's decompositions
 *   locks/<key>.c<i>.lock             claim of computing chunk i
 *
 * A factors folder is written under tmp/ and renamed into place complete (the store's rule for
 * job folders); the first worker that needs it claims its lock, computes and writes it, and every
 * other worker waits for it (or takes over a stale lock, store.ts) and reads it. Once the merged
 * result is in jobs/<key>, chunks/<key> is removed.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Dataset } from '../../data/dataset.js';
import { uniqueInOrder } from '../../data/dataset.js';
import { registerBuiltinFeatures } from '../../features/builtin.js';
import { expandGrid } from '../../features/grid.js';
import { parseFeatureSpec } from '../../features/spec.js';
import { readNpy, encodeNpy, type NpyWritable } from '../../io/npy.js';
import type { Backend } from '../../linalg/backend.js';
import { takeCols, takeRows, type Matrix, type Matrix64 } from '../../linalg/matrix.js';
import { fitUnits, prepareFold, type FoldFactors, type InnerMap } from '../../regression/ridge.js';
import { foldLabels } from '../../regression/splits.js';
import { applyStandardizer, fitStandardizer } from '../../regression/standardize.js';
import { foldPearson, foldSquaredErrors } from '../../scoring/metrics.js';
import { planScoring, type ScoringPlan } from '../score-plan.js';
import { buildWithTerms, specScoreFromFits } from '../score-spec.js';
import { columnMeans, informativeColumns, poolFolds, summarise, unitLabels, type ExperimentScores, type ScoreResult } from '../score.js';
import { constantColumnWarnings } from '../warnings.js';
import { finishComputed, prepareCompute, type ComputedJob, type ExecuteSettings } from './execute.js';
import type { SweepJob } from './plan.js';
import { DEFAULT_STALE_MS, ResultStore, writeAtomic, writeFileDurable } from './store.js';

/** Units [lo, hi) of an experiment with `nUnits` recorded units that chunk `index` of `size` covers. */
export function chunkRange(index: number, size: number, nUnits: number): [number, number] {
  const lo = Math.min(nUnits, index * size);
  return [lo, Math.min(nUnits, lo + size)];
}

/** chunks/<key> of a store. */
export function chunkDir(store: string, key: string): string {
  return join(store, 'chunks', key);
}

/** The file of chunk `index`'s result. */
export function partPath(store: string, key: string, index: number): string {
  return join(chunkDir(store, key), `part-${index}.json`);
}

/** Chunks of a job whose results are not in the store yet. */
export function missingParts(store: string, job: SweepJob): number[] {
  const n = job.chunks?.count ?? 0;
  return Array.from({ length: n }, (_, i) => i).filter((i) => !existsSync(partPath(store, job.key, i)));
}

/** Lock key of chunk `index` of a job (store.tryClaim). */
export const chunkLockKey = (key: string, index: number) => `${key}.c${index}`;

/** Writes chunk `index`'s result (computeChunk's file) atomically. */
export function writePart(store: string, key: string, index: number, text: string): void {
  mkdirSync(chunkDir(store, key), { recursive: true });
  writeAtomic(partPath(store, key, index), text);
}

/** Removes a merged job's chunks (best effort: what is left is only disk space). */
export function removeChunks(store: string, key: string): void {
  try {
    rmSync(chunkDir(store, key), { recursive: true, force: true });
  } catch {
    // a reader elsewhere, or a file system that refuses: harmless
  }
}

// ---------------------------------------------------------------------------------------------
// The fold decompositions in the store

/** What meta.json records of one fold's FoldFactors besides the arrays. */
interface FoldMeta {
  estimator: FoldFactors['estimator'];
  alphas: number[];
  nTrain: number;
  nTest: number;
  nFeatures: number;
  outerForm: FoldFactors['outerForm'];
  nFilters: number;
  inner: InnerMap['kind'][];
}

function arrays(f: FoldFactors): Record<string, { data: NpyWritable; shape: number[] }> {
  const m = (x: Matrix) => ({ data: x.data, shape: [x.rows, x.cols] });
  const r = f.outer.lambda.length;
  const filters = new Float64Array(f.outerFilters.length * r);
  f.outerFilters.forEach((v, k) => filters.set(v, k * r));
  const out: Record<string, { data: NpyWritable; shape: number[] }> = {
    lambda: { data: f.outer.lambda, shape: [r] },
    left: m(f.outer.left),
    right: m(f.outer.right),
    filters: { data: filters, shape: [f.outerFilters.length, r] },
  };
  f.inner.forEach((im, k) => {
    out[`i${k}-train`] = { data: im.train, shape: [im.train.length] };
    out[`i${k}-val`] = { data: im.val, shape: [im.val.length] };
    if (im.kind === 'map') out[`i${k}-s`] = m(im.s);
    else if (im.kind === 'basis') {
      out[`i${k}-s`] = m(im.s);
      out[`i${k}-coef`] = m(im.coef);
    } else {
      out[`i${k}-right`] = m(im.right);
      out[`i${k}-stacked`] = m(im.stacked);
    }
  });
  return out;
}

/** Writes the decompositions (per experiment, per outer fold) into folder `dir` (meta.json last but one, then done). */
function writeFactors(dir: string, factors: FoldFactors[][]): void {
  const meta: FoldMeta[][] = factors.map((folds, e) => folds.map((f, k) => {
    for (const [name, a] of Object.entries(arrays(f))) writeFileDurable(join(dir, `e${e}-f${k}-${name}.npy`), encodeNpy(a.data, a.shape));
    return { estimator: f.estimator, alphas: [...f.alphas], nTrain: f.nTrain, nTest: f.nTest, nFeatures: f.outer.nFeatures, outerForm: f.outerForm, nFilters: f.outerFilters.length, inner: f.inner.map((im) => im.kind) };
  }));
  writeFileDurable(join(dir, 'meta.json'), JSON.stringify({ format: 1, experiments: meta }) + '\n');
  writeFileDurable(join(dir, 'done'), new Date().toISOString() + '\n');
}

function readFactors(dir: string): FoldFactors[][] {
  const meta = (JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { experiments: FoldMeta[][] }).experiments;
  return meta.map((folds, e) => folds.map((m, k) => {
    const read = (name: string) => readNpy(join(dir, `e${e}-f${k}-${name}.npy`), 'factors');
    const vec64 = (name: string) => read(name).data as Float64Array;
    const mat = <T extends Float64Array | Float32Array>(name: string): Matrix<T> => {
      const a = read(name);
      return { rows: a.shape[0], cols: a.shape[1], data: a.data as T };
    };
    const lambda = vec64('lambda');
    const r = lambda.length;
    const filters = vec64('filters');
    const inner: InnerMap[] = m.inner.map((kind, i) => {
      const rows = { train: read(`i${i}-train`).data as Int32Array, val: read(`i${i}-val`).data as Int32Array };
      if (kind === 'map') return { ...rows, kind, s: mat<Float32Array>(`i${i}-s`) };
      if (kind === 'basis') return { ...rows, kind, s: mat<Float32Array>(`i${i}-s`), coef: mat<Float32Array>(`i${i}-coef`) };
      return { ...rows, kind, right: mat<Float32Array>(`i${i}-right`), stacked: mat<Float32Array>(`i${i}-stacked`) };
    });
    return {
      estimator: m.estimator,
      alphas: m.alphas,
      nTrain: m.nTrain,
      nTest: m.nTest,
      outer: { lambda, left: mat<Float64Array>('left'), right: mat<Float64Array>('right'), nFeatures: m.nFeatures },
      outerForm: m.outerForm,
      outerFilters: Array.from({ length: m.nFilters }, (_, k) => filters.slice(k * r, (k + 1) * r)),
      inner,
    };
  }));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Removes decompositions left half-written under chunks/<key>/tmp by dead processes of this host. */
function cleanFactorTmp(tmp: string, staleMs: number): void {
  let entries: string[];
  try {
    entries = readdirSync(tmp);
  } catch {
    return;
  }
  for (const e of entries) {
    const m = /\.([^.]+(?:\.[^.]+)*)\.(\d+)\.[0-9a-f]+$/.exec(e);
    let stale = false;
    try {
      stale = Date.now() - statSync(join(tmp, e)).mtimeMs > staleMs;
    } catch {
      continue;
    }
    if (m && m[1] === hostname() && Number(m[2]) !== process.pid) {
      try {
        process.kill(Number(m[2]), 0);
      } catch (err) {
        if ((err as { code?: string }).code === 'ESRCH') stale = true;
      }
    }
    if (stale) rmSync(join(tmp, e), { recursive: true, force: true });
  }
}

/**
 * Grid value g's fold decompositions: read from the store, or computed by `compute` and written
 * there when no other process is computing them (then this one waits for theirs, or takes over
 * their lock once it is stale).
 */
export async function sharedFactors(storeRoot: string, key: string, g: number, compute: () => Promise<FoldFactors[][]>, staleMs = DEFAULT_STALE_MS): Promise<FoldFactors[][]> {
  const dir = join(chunkDir(storeRoot, key), `factors-g${g}`);
  const store = ResultStore.open(storeRoot);
  for (;;) {
    if (existsSync(join(dir, 'done'))) return readFactors(dir);
    const claim = store.tryClaim(`${key}.g${g}.factors`, staleMs);
    if (!claim) {
      await sleep(250);
      continue;
    }
    try {
      if (existsSync(join(dir, 'done'))) return readFactors(dir);
      const factors = await compute();
      const tmpRoot = join(chunkDir(storeRoot, key), 'tmp');
      mkdirSync(tmpRoot, { recursive: true });
      cleanFactorTmp(tmpRoot, staleMs);
      const tmp = join(tmpRoot, `factors-g${g}.${hostname()}.${process.pid}.${randomBytes(4).toString('hex')}`);
      mkdirSync(tmp);
      try {
        writeFactors(tmp, factors);
        renameSync(tmp, dir);
      } catch (err) {
        rmSync(tmp, { recursive: true, force: true });
        const code = (err as { code?: string }).code;
        // Another process wrote them first (ours are the same numbers): keep theirs.
        if ((code !== 'EEXIST' && code !== 'ENOTEMPTY') || !existsSync(join(dir, 'done'))) throw err;
      }
      return factors;
    } finally {
      claim.release();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Computing a chunk

/** One experiment as scoreFeatures fits it: its plan and the informative feature columns. */
interface ExperimentLayout extends ScoringPlan {
  cols: Int32Array;
}

/** y[rows, cols] (rows.length × cols.length) without copying the other columns first. */
function gather(y: Matrix64, rows: Int32Array, cols: Int32Array): Matrix64 {
  const out = new Float64Array(rows.length * cols.length);
  for (let i = 0; i < rows.length; i++) {
    const src = rows[i] * y.cols;
    for (let j = 0; j < cols.length; j++) out[i * cols.length + j] = y.data[src + cols[j]];
  }
  return { rows: rows.length, cols: cols.length, data: out };
}

/**
 * A chunk's responses y[rows, cols] (rows.length × cols.length; cols ascending): gathered from the
 * whole y, or, when the dataset reads y in pieces (Dataset.ySource: a dataset folder's y.npy), from
 * one read of the chunk's column range [cols[0], cols[last] + 1) — the other units are never read,
 * so a worker's memory for y is bounded by its chunk.
 */
export function chunkResponses(dataset: Dataset, rows: Int32Array, cols: Int32Array): Matrix64 {
  const src = dataset.ySource;
  if (!src) return gather(dataset.y, rows, cols);
  if (cols.length === 0) return { rows: rows.length, cols: 0, data: new Float64Array(0) };
  const u0 = cols[0];
  return gather(src.readColumns(u0, cols[cols.length - 1] + 1), rows, cols.map((c) => c - u0));
}

function layout(dataset: Dataset, x: Matrix64, job: SweepJob): ExperimentLayout[] {
  const labels = foldLabels(dataset, job.split, job.seed);
  return uniqueInOrder(dataset.samples.experiment).map((experiment) => {
    const l = labels.get(experiment)!;
    const plan = planScoring(dataset, experiment, l.rows, l.labels, job.gap ?? 0);
    // As scoreFeatures: the columns not identically zero on the experiment's rows, at least one.
    const cols = informativeColumns(x, plan.rows);
    return { ...plan, cols: cols.length > 0 ? cols : Int32Array.from([0]) };
  });
}

async function computeFactors(backend: Backend, x: Matrix64, exps: ExperimentLayout[], job: SweepJob): Promise<FoldFactors[][]> {
  const out: FoldFactors[][] = [];
  for (const e of exps) {
    const xe = takeCols(takeRows(x, e.rows), e.cols);
    const folds: FoldFactors[] = [];
    for (const fold of e.folds) {
      const scaler = fitStandardizer(xe, fold.train);
      const xtr = applyStandardizer(xe, fold.train, scaler);
      const xte = applyStandardizer(xe, fold.test, scaler);
      folds.push(await prepareFold(backend, xtr, xte, fold.inner, { estimator: job.estimator, alphas: job.alphas, innerStandardize: true }));
    }
    out.push(folds);
  }
  return out;
}

/** A chunk's statistics of one experiment (folds × units arrays, fold-major, as ExperimentScores). */
interface PartExperiment {
  experiment: string;
  nSamples: number;
  nFeatures: number;
  foldSizes: number[];
  innerFolds: number[];
  /** Dataset columns of the chunk's units. */
  unitIndex: number[];
  foldSse: string;
  foldSse0: string;
  foldR: string;
  alpha: string;
  valScore: string;
}

/** The file a chunk leaves: per grid value, its settings and experiments. */
interface PartFile {
  format: 1;
  key: string;
  chunk: number;
  count: number;
  warnings: string[];
  fits: { settings: ScoreResult['settings']; experiments: PartExperiment[] }[];
}

const b64 = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const unb64 = (s: string) => {
  const b = Buffer.from(s, 'base64');
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

async function fitPart(backend: Backend, dataset: Dataset, exps: ExperimentLayout[], factors: FoldFactors[][], job: SweepJob, index: number, unitBatch: number): Promise<PartExperiment[]> {
  const size = job.chunks!.size;
  const out: PartExperiment[] = [];
  for (const [k, e] of exps.entries()) {
    const [lo, hi] = chunkRange(index, size, e.units.length);
    const b = hi - lo;
    const nF = e.folds.length;
    const foldSse = new Float64Array(nF * b);
    const foldSse0 = new Float64Array(nF * b);
    const foldR = new Float64Array(nF * b);
    const alpha = new Float64Array(nF * b);
    const valScore = new Float64Array(nF * b);
    if (b > 0) {
      const yc = chunkResponses(dataset, e.rows, e.units.subarray(lo, hi));
      for (const [f, fold] of e.folds.entries()) {
        // As scoreFeatures: targets as deviations from the outer-training mean.
        const yte = takeRows(yc, fold.test);
        const trainMean = columnMeans(yc, fold.train);
        for (let i = 0; i < yte.rows; i++) for (let j = 0; j < b; j++) yte.data[i * b + j] -= trainMean[j];
        const fit = await fitUnits(backend, factors[k][f], yc, { unitBatch, trainRows: fold.train, deviations: true });
        const errs = foldSquaredErrors(yte, fit.yhat, new Float64Array(b));
        foldSse.set(errs.sse, f * b);
        foldSse0.set(errs.sse0, f * b);
        foldR.set(foldPearson(yte, fit.yhat, { rule: 'exact', offset: trainMean }), f * b);
        alpha.set(fit.alpha, f * b);
        valScore.set(fit.valScore, f * b);
      }
    }
    out.push({
      experiment: e.experiment,
      nSamples: e.rows.length,
      nFeatures: e.cols.length,
      foldSizes: e.folds.map((f) => f.test.length),
      innerFolds: e.folds.map((f) => f.inner.length),
      unitIndex: Array.from(e.units.subarray(lo, hi)),
      foldSse: b64(foldSse),
      foldSse0: b64(foldSse0),
      foldR: b64(foldR),
      alpha: b64(alpha),
      valScore: b64(valScore),
    });
  }
  return out;
}

/**
 * Test hook: with BRAINMAP_TEST_HOLD_CHUNK=<index>:<folder>, the computation of that chunk, once
 * fitted, writes <folder>/held-<pid> and waits until <folder>/release exists — a worker the fault
 * tests kill mid-chunk, without racing a clock.
 */
async function holdForTests(index: number): Promise<void> {
  const m = /^(\d+):(.+)$/.exec(process.env.BRAINMAP_TEST_HOLD_CHUNK ?? '');
  if (!m || Number(m[1]) !== index) return;
  writeAtomic(join(m[2], `held-${process.pid}`), `${index}\n`);
  while (!existsSync(join(m[2], 'release'))) await sleep(50);
}

/**
 * Computes chunk `index` of a chunked job (the caller holds its claim and writes the result with
 * writePart): the file is the one entry of `files`, part-<index>.json.
 */
export async function computeChunk(job: SweepJob, index: number, s: ExecuteSettings): Promise<ComputedJob> {
  if (!job.chunks || index < 0 || index >= job.chunks.count) throw new RangeError(`computeChunk: job ${job.key} has no chunk ${index}`);
  const t0 = performance.now();
  // A dataset folder's y.npy is read by the chunk's column range only (chunkResponses).
  const { dataset, backend } = await prepareCompute(job, s, { batchedY: true });
  registerBuiltinFeatures();
  const { specs } = expandGrid(parseFeatureSpec(job.features));
  const part: PartFile = { format: 1, key: job.key, chunk: index, count: job.chunks.count, warnings: [], fits: [] };
  for (const [g, spec] of specs.entries()) {
    const { bands, terms } = await buildWithTerms(spec, dataset);
    if (bands.length !== 1) throw new RangeError(`computeChunk: ${spec.text} has ${bands.length} bands; chunked fits have one`);
    const x = bands[0];
    part.warnings.push(...constantColumnWarnings(dataset, x, terms));
    const exps = layout(dataset, x, job);
    const factors = await sharedFactors(s.store, job.key, g, () => computeFactors(backend, x, exps, job));
    const experiments = await fitPart(backend, dataset, exps, factors, job, index, s.unitBatch);
    const settings: ScoreResult['settings'] = { split: job.split, seed: job.seed, estimator: job.estimator, alphas: [...job.alphas], backend: backend.name, bands: 1, bandedIter: null, bandedSeed: null, innerStandardize: job.estimator === 'ridge', compat: null, gap: job.gap ?? 0 };
    part.fits.push({ settings, experiments });
  }
  await holdForTests(index);
  return { key: job.key, seconds: (performance.now() - t0) / 1000, r2: NaN, r: NaN, files: { [`part-${index}.json`]: JSON.stringify(part) + '\n' } };
}

// ---------------------------------------------------------------------------------------------
// Merging

/** The per-grid-value fits of a job from its chunks' files, in grid order. */
function mergeParts(dataset: Dataset, parts: PartFile[]): ScoreResult[] {
  return parts[0].fits.map((fit0, g) => {
    const experiments: ExperimentScores[] = fit0.experiments.map((e0, k) => {
      const pieces = parts.map((p) => p.fits[g].experiments[k]);
      const nU = pieces.reduce((a, p) => a + p.unitIndex.length, 0);
      const nF = e0.foldSizes.length;
      const stat = (name: 'foldSse' | 'foldSse0' | 'foldR' | 'alpha' | 'valScore') => {
        const out = new Float64Array(nF * nU);
        let u0 = 0;
        for (const p of pieces) {
          const v = unb64(p[name]);
          const b = p.unitIndex.length;
          for (let f = 0; f < nF; f++) out.set(v.subarray(f * b, (f + 1) * b), f * nU + u0);
          u0 += b;
        }
        return out;
      };
      const units = Int32Array.from(pieces.flatMap((p) => p.unitIndex));
      const foldSse = stat('foldSse');
      const foldSse0 = stat('foldSse0');
      const foldR = stat('foldR');
      const { r2, r } = poolFolds(foldSse, foldSse0, foldR, nF, nU);
      return {
        experiment: e0.experiment,
        nSamples: e0.nSamples,
        nFeatures: e0.nFeatures,
        unitIndex: units,
        ...unitLabels(dataset, units),
        r2,
        r,
        alpha: stat('alpha'),
        valScore: stat('valScore'),
        foldSse,
        foldSse0,
        foldR,
        foldSizes: e0.foldSizes,
        innerFolds: e0.innerFolds,
        bandSizes: [e0.nFeatures],
        gamma: null,
        errors: null,
        predictions: null,
      };
    });
    return summarise(dataset, fit0.settings, experiments);
  });
}

/**
 * Merges the chunks of a job (all must be in the store) into the job's store entry: the same
 * score.json and units.csv a whole fit gives; job.json records the chunks.
 */
export async function mergeChunks(job: SweepJob, s: ExecuteSettings): Promise<ComputedJob> {
  if (!job.chunks) throw new RangeError(`mergeChunks: job ${job.key} is not chunked`);
  const started = new Date();
  const t0 = performance.now();
  const missing = missingParts(s.store, job);
  if (missing.length > 0) throw new Error(`chunk${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of job ${job.key} ${missing.length > 1 ? 'are' : 'is'} not in the store`);
  // Merging needs no responses (only noise ceilings do): a dataset folder's y.npy is not read whole.
  const { dataset, backend } = await prepareCompute(job, s, { batchedY: !job.normalise });
  const parts = Array.from({ length: job.chunks.count }, (_, i) => JSON.parse(readFileSync(partPath(s.store, job.key, i), 'utf8')) as PartFile);
  const parsed = parseFeatureSpec(job.features);
  const { axis } = expandGrid(parsed);
  const scored = specScoreFromFits(dataset, parsed.text, axis, mergeParts(dataset, parts), parts[0].warnings, { select: job.select ?? undefined });
  return finishComputed(job, s, { scored, dataset, backend, started, t0 }, { chunks: job.chunks.count, unit_chunk: job.chunks.size });
}
