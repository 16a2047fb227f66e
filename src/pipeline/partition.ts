/**
 * `brainmap partition`: fits feature sets A and B and their banded union A | B, and reports how the
 * union's explained variance splits into what only A, only B, and both explain — per unit, and as Ω
 * per subject (METHODS §5.7): the percentage of B's explained variance that A also explains. With
 * it, the unit-wise test of "B adds variance beyond A" (§6.1).
 */
import type { Dataset } from '../data/dataset.js';
import { aggregateScores } from '../scoring/aggregate.js';
import { omega, partitionUnit, type UnitPartition } from '../scoring/partition.js';
import { unitSignificance, type Blocking, type ErrorMatrix, type SignificanceResult } from '../scoring/significance.js';
import type { ExperimentScores, ScoreResult } from './score.js';
import { scoreSpec, type SpecScore, type SpecScoreOptions } from './score-spec.js';
import { csvCell, experimentCell, specScoreToJson, type ScoreJson } from './results.js';

export interface PartitionOptions extends SpecScoreOptions {
  /** Average squared errors within blocks before the unit-wise test (default 'block'). */
  blocking?: Blocking;
  /**
   * With blocking: cut blocks into chunks of at most this many consecutive samples (Blank: 10 TRs)
   * — by position within the block, or under blocking 'paper' as the authors did, by global row
   * index (a chunk starts at every multiple of this many rows and at every block start, §1.3/§6.1).
   */
  blockChunk?: number;
  /** Fits of A and/or B already made with the same options and `keepErrors` (reused, not refitted). */
  precomputed?: { a?: SpecScore; b?: SpecScore };
}

export interface SubjectPartition {
  subject: string;
  /** Subject R² (units clipped at 0, mean, clipped, mean over experiments) of A, B and A | B. */
  r2A: number;
  r2B: number;
  r2Joint: number;
  /** % of B's explained variance that A also explains. */
  omega: number;
}

export interface UnitPartitionRow extends UnitPartition {
  experiment: string;
  unit: string;
  subject: string;
}

export interface PartitionResult {
  a: SpecScore;
  b: SpecScore;
  joint: SpecScore;
  /** The blocked statistics' blocking, chunk size (null: whole blocks) and how chunks are cut. */
  blocking: Blocking;
  blockChunk: number | null;
  chunking: 'position' | 'global' | null;
  subjects: SubjectPartition[];
  /** Mean over subjects of Ω. */
  omegaMean: number;
  units: UnitPartitionRow[];
  significance: SignificanceResult;
  /** The warnings of the three fits, each prefixed with its fit ('A: ', 'B: ', 'A | B: '). */
  warnings: string[];
}

const clip0 = (v: ArrayLike<number>) => Float64Array.from(v, (x) => (Number.isNaN(x) ? 0 : Math.max(0, x)));

/** Subject values with unit-level clipping first (the variance-partitioning figures, §5.5). */
function clippedSubjects(exps: readonly ExperimentScores[]): Map<string, number> {
  const agg = aggregateScores(exps.map((e) => ({ experiment: e.experiment, subjects: e.subjects, scores: clip0(e.r2) })));
  return new Map(agg.subjects.map((s) => [s.subject, s.value]));
}

/**
 * Block label of each row, optionally cut into chunks of at most `chunk` rows: by position within
 * the block (`position`: positions 0..chunk−1, chunk..2·chunk−1, … of each block), or as the
 * authors cut Blank's stories (`global`, METHODS §1.3 `data_labels_blank_chunked`: walking over the
 * global row index i, a chunk starts whenever i % chunk == 0 or the block changes).
 */
export function blockLabels(dataset: Dataset, rows: ArrayLike<number>, chunk?: number, chunking: 'position' | 'global' = 'position'): string[] {
  if (!chunk) return Array.from(rows, (r) => dataset.samples.block[r]);
  // Blocks are contiguous runs of rows, so (block, ⌊i/chunk⌋) names exactly one walked chunk.
  const index = (r: number) => (chunking === 'global' ? r : dataset.samples.position[r]);
  return Array.from(rows, (r) => `${dataset.samples.block[r]}#${Math.floor(index(r) / chunk)}`);
}

/** What `beyondSignificance` returns: the blocking as run and the unit-wise test. */
export interface BeyondSignificance {
  blocking: Blocking;
  blockChunk: number | null;
  chunking: 'position' | 'global' | null;
  significance: SignificanceResult;
}

/**
 * The unit-wise test of "the joint model adds variance beyond the simple one" (METHODS §6.1) on
 * fits made with `keepErrors`: per experiment the held-out squared errors of the intercept, the
 * simple model, the other model alone and the joint model, blocked by `opts.blocking` (default
 * 'block') with optional chunks of `opts.blockChunk` samples, BH within subject.
 */
export function beyondSignificance(dataset: Dataset, simple: ScoreResult, model: ScoreResult, joint: ScoreResult, opts: { blocking?: Blocking; blockChunk?: number }): BeyondSignificance {
  const blocking = opts.blocking ?? 'block';
  const blockChunk = opts.blockChunk ?? null;
  const chunking = blockChunk === null ? null : blocking === 'paper' ? 'global' : 'position';
  const errorMatrix = (e: ExperimentScores, which: 'se' | 'seIntercept'): ErrorMatrix => ({ rows: e.errors!.rows.length, units: e.unitIds.length, data: e.errors![which] });
  const significance = unitSignificance({
    experiments: simple.experiments.map((ea, k) => {
      const expRows = Int32Array.from(dataset.samples.experiment.map((x, i) => (x === ea.experiment ? i : -1)).filter((i) => i >= 0));
      return {
        intercept: errorMatrix(ea, 'seIntercept'),
        simple: errorMatrix(ea, 'se'),
        model: errorMatrix(model.experiments[k], 'se'),
        joint: errorMatrix(joint.experiments[k], 'se'),
        rowBlocks: blockLabels(dataset, ea.errors!.rows, opts.blockChunk, chunking ?? undefined),
        originalBlocks: blockLabels(dataset, expRows, opts.blockChunk, chunking ?? undefined),
        unitIndex: ea.unitIndex,
      };
    }),
    subjectOf: (u) => dataset.units.subject[u],
    blocking,
  });
  return { blocking, blockChunk, chunking, significance };
}

export async function partitionFeatures(dataset: Dataset, specA: string, specB: string, opts: PartitionOptions): Promise<PartitionResult> {
  const fitOpts = { ...opts, keepErrors: true };
  const step = (k: number) => (d: number, t: number) => opts.onProgress?.(k * t + d, 3 * t);
  const reuse = (s: SpecScore | undefined) => (s && s.result.experiments.every((e) => e.errors) ? s : undefined);
  const a = reuse(opts.precomputed?.a) ?? await scoreSpec(dataset, specA, { ...fitOpts, onProgress: step(0) });
  const b = reuse(opts.precomputed?.b) ?? await scoreSpec(dataset, specB, { ...fitOpts, onProgress: step(1) });
  const joint = await scoreSpec(dataset, `${specA} | ${specB}`, { ...fitOpts, onProgress: step(2) });

  const sA = clippedSubjects(a.result.experiments);
  const sB = clippedSubjects(b.result.experiments);
  const sJ = clippedSubjects(joint.result.experiments);
  const subjects = [...sA.keys()].map((subject) => {
    const r2A = sA.get(subject)!;
    const r2B = sB.get(subject)!;
    const r2Joint = sJ.get(subject)!;
    return { subject, r2A, r2B, r2Joint, omega: omega(r2A, r2B, r2Joint) };
  });
  const omegaMean = subjects.reduce((s, x) => s + x.omega, 0) / (subjects.length || 1);

  // units.csv's joint column is the same per-unit value whose subject means entered Ω above.
  const units: UnitPartitionRow[] = [];
  a.result.experiments.forEach((ea, k) => {
    const eb = b.result.experiments[k];
    const ej = joint.result.experiments[k];
    for (let j = 0; j < ea.unitIds.length; j++) {
      units.push({ experiment: ea.experiment, unit: ea.unitIds[j], subject: ea.subjects[j], ...partitionUnit(ea.r2[j], eb.r2[j], ej.r2[j]) });
    }
  });

  const { blocking, blockChunk, chunking, significance } = beyondSignificance(dataset, a.result, b.result, joint.result, opts);
  const warnings = [...new Set([...a.warnings.map((w) => `A: ${w}`), ...b.warnings.map((w) => `B: ${w}`), ...joint.warnings.map((w) => `A | B: ${w}`)])];
  return { a, b, joint, blocking, blockChunk, chunking, subjects, omegaMean, units, significance, warnings };
}

/** The JSON form of a partition (partition.json, `brainmap partition --json`). */
export interface PartitionJson {
  dataset: string;
  split: string;
  a: ScoreJson;
  b: ScoreJson;
  joint: ScoreJson;
  subjects: { subject: string; r2_a: number; r2_b: number; r2_joint: number; omega: number }[];
  omega_mean: number;
  /**
   * The unit-wise test: `blocking` as run ('paper' under --compat paper), `block_chunk` (null:
   * whole blocks) and how chunks were cut (`chunking`: 'position' within a block, 'global' row
   * index as the authors did; null without chunks).
   */
  significance: { alpha: number; blocking: Blocking; block_chunk: number | null; chunking: 'position' | 'global' | null; mean_percent_significant: number; subjects: { subject: string; n_units: number; percent_significant: number; percent_b_beats_chance: number }[] };
  /** The warnings of A, B and A | B (each also in its own `warnings`), prefixed with the fit. */
  warnings: string[];
}

/** The JSON form of a partition (what `brainmap partition --json` prints). */
export function partitionJson(p: PartitionResult, split: string): PartitionJson {
  return {
    dataset: p.a.result.dataset,
    split,
    a: specScoreToJson(p.a),
    b: specScoreToJson(p.b),
    joint: specScoreToJson(p.joint),
    subjects: p.subjects.map((s) => ({ subject: s.subject, r2_a: s.r2A, r2_b: s.r2B, r2_joint: s.r2Joint, omega: s.omega })),
    omega_mean: p.omegaMean,
    significance: {
      alpha: p.significance.alpha,
      blocking: p.blocking,
      block_chunk: p.blockChunk,
      chunking: p.chunking,
      mean_percent_significant: p.significance.meanPercentSignificant,
      subjects: p.significance.subjects.map((s) => ({ subject: s.subject, n_units: s.nUnits, percent_significant: s.percentSignificant, percent_b_beats_chance: s.percentModelSignificant })),
    },
    warnings: p.warnings,
  };
}

/**
 * units.csv of a partition: the analysis (dataset, joint features, A, B, split, estimator — so that
 * files concatenate without joins), then per unit R² of A, B, joint, the unique/shared parts, and
 * the test's p-values.
 */
export function partitionCsv(p: PartitionResult): string {
  const sig = new Map(p.significance.units.map((u) => [u.unit, u]));
  const lines = ['dataset,features,features_a,features_b,split,estimator,experiment,unit,subject,r2_a,r2_b,r2_joint,unique_a,unique_b,shared,p_b_beyond_a,p_b_beyond_a_bh'];
  const analysis = [p.joint.result.dataset, p.joint.spec, p.a.spec, p.b.spec, p.joint.result.settings.split, p.joint.result.settings.estimator];
  let k = 0;
  for (const e of p.a.result.experiments) {
    e.unitIds.forEach((id, j) => {
      const row = p.units[k++];
      const s = sig.get(e.unitIndex[j]);
      lines.push([...analysis, experimentCell(e.experiment), id, row.subject, row.a, row.b, row.joint, row.uniqueA, row.uniqueB, row.shared, s?.p ?? NaN, s?.pAdjusted ?? NaN].map(csvCell).join(','));
    });
  }
  return lines.join('\n') + '\n';
}
