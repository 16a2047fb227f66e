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
import type { ExperimentScores } from './score.js';
import { scoreSpec, type SpecScore, type SpecScoreOptions } from './score-spec.js';

export interface PartitionOptions extends SpecScoreOptions {
  /** Average squared errors within blocks before the unit-wise test (default 'block'). */
  blocking?: Blocking;
  /** With blocking: cut blocks into chunks of at most this many consecutive samples (Blank: 10 TRs). */
  blockChunk?: number;
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
  subjects: SubjectPartition[];
  /** Mean over subjects of Ω. */
  omegaMean: number;
  units: UnitPartitionRow[];
  significance: SignificanceResult;
}

const clip0 = (v: ArrayLike<number>) => Float64Array.from(v, (x) => (Number.isNaN(x) ? 0 : Math.max(0, x)));

/** Subject values with unit-level clipping first (the variance-partitioning figures, §5.5). */
function clippedSubjects(exps: readonly ExperimentScores[]): Map<string, number> {
  const agg = aggregateScores(exps.map((e) => ({ experiment: e.experiment, subjects: e.subjects, scores: clip0(e.r2) })));
  return new Map(agg.subjects.map((s) => [s.subject, s.value]));
}

/** Block label of each row, optionally cut into chunks of `chunk` consecutive positions. */
export function blockLabels(dataset: Dataset, rows: ArrayLike<number>, chunk?: number): string[] {
  return Array.from(rows, (r) => (chunk ? `${dataset.samples.block[r]}#${Math.floor(dataset.samples.position[r] / chunk)}` : dataset.samples.block[r]));
}

export async function partitionFeatures(dataset: Dataset, specA: string, specB: string, opts: PartitionOptions): Promise<PartitionResult> {
  const fitOpts = { ...opts, keepErrors: true };
  const step = (k: number) => (d: number, t: number) => opts.onProgress?.(k * t + d, 3 * t);
  const a = await scoreSpec(dataset, specA, { ...fitOpts, onProgress: step(0) });
  const b = await scoreSpec(dataset, specB, { ...fitOpts, onProgress: step(1) });
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

  const units: UnitPartitionRow[] = [];
  a.result.experiments.forEach((ea, k) => {
    const eb = b.result.experiments[k];
    const ej = joint.result.experiments[k];
    for (let j = 0; j < ea.unitIds.length; j++) {
      units.push({ experiment: ea.experiment, unit: ea.unitIds[j], subject: ea.subjects[j], ...partitionUnit(ea.r2[j], eb.r2[j], ej.r2[j]) });
    }
  });

  const errorMatrix = (e: ExperimentScores, which: 'se' | 'seIntercept'): ErrorMatrix => ({ rows: e.errors!.rows.length, units: e.unitIds.length, data: e.errors![which] });
  const significance = unitSignificance({
    experiments: a.result.experiments.map((ea, k) => {
      const expRows = Int32Array.from(dataset.samples.experiment.map((x, i) => (x === ea.experiment ? i : -1)).filter((i) => i >= 0));
      return {
        intercept: errorMatrix(ea, 'seIntercept'),
        simple: errorMatrix(ea, 'se'),
        model: errorMatrix(b.result.experiments[k], 'se'),
        joint: errorMatrix(joint.result.experiments[k], 'se'),
        rowBlocks: blockLabels(dataset, ea.errors!.rows, opts.blockChunk),
        originalBlocks: blockLabels(dataset, expRows, opts.blockChunk),
        unitIndex: ea.unitIndex,
      };
    }),
    subjectOf: (u) => dataset.units.subject[u],
    blocking: opts.blocking ?? 'block',
  });
  return { a, b, joint, subjects, omegaMean, units, significance };
}
