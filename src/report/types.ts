/**
 * The typed analyses a report is made of, as read back from a results folder (score.json,
 * partition.json, audit.json, summary.json and their units.csv). Everything here is read, never
 * fitted: a number that is absent from a file stays absent (null) and is reported as missing.
 */

import type { DeconstructAnalysis } from './deconstruct.js';

/** The two score metrics a figure can show (pooled out-of-sample R², Pearson r). */
export type Metric = 'r2' | 'r';

export const METRIC_LABEL: Record<Metric, string> = { r2: 'R²', r: 'Pearson r' };

/** Something the report could not show, and why ("which file and why"). */
export interface MissingNote {
  /** The file (relative to the results folder) the note is about. */
  file: string;
  problem: string;
}

/** One subject's aggregated score (METHODS §5.5). */
export interface SubjectScore {
  subject: string;
  r2: number | null;
  r: number | null;
  nUnits: number | null;
}

/** The dataset a result was computed on, as the result names it. */
export interface DatasetRef {
  name: string;
  source: string | null;
  /** Content hash of the dataset (score.json `dataset.hash`, audit `dataset_hash`). */
  hash: string | null;
}

/** One row of a score's units.csv. Coordinates are null when the file has no x,y,z columns. */
export interface ScoreUnit {
  experiment: string;
  unit: string;
  subject: string;
  r2: number | null;
  r: number | null;
  x: number | null;
  y: number | null;
  z: number | null;
}

export interface GridCurve {
  term: string;
  param: string;
  select: string;
  /** Per grid value: the mean over subjects and, when the file has them, its SEM over subjects. */
  curve: { value: number; r2: number | null; r: number | null; r2Sem: number | null; rSem: number | null }[];
  /** True when the curve holds subject means clipped at 0 (score.json files from before `curve_clipped`). */
  clipped: boolean;
  /** The value chosen per outer fold and experiment for R² (`values`) and for r (`valuesR`); empty when not recorded. */
  chosen: { experiment: string; values: number[]; valuesR: number[] }[];
}

/** A single feature space scored on one dataset under one split scheme (score.json). */
export interface ScoreAnalysis {
  kind: 'score';
  /** Stable id, unique in the report (derived from the file path). */
  id: string;
  /** score.json, relative to the results folder (or `summary.json#…` for a demo row read from the summary). */
  file: string;
  dataset: DatasetRef;
  features: string;
  split: string | null;
  /** The `settings` object as written (split, seed, estimator, α grid, backend, …). */
  settings: Record<string, unknown> | null;
  mean: { r2: number | null; r: number | null; r2Sem: number | null; rSem: number | null };
  subjects: SubjectScore[];
  grid: GridCurve | null;
  /** units.csv beside score.json; null when absent or unreadable (see the notes). */
  units: ScoreUnit[] | null;
  unitsFile: string | null;
  /** What the analysis shows, when a demo summary says so. */
  meaning: string | null;
  /** score.json's `ceiling` block (score --normalise ceiling), when present. */
  ceiling?: ScoreCeiling | null;
}

/** Per-subject noise ceilings and ceiling-normalised scores of a score (docs/method.md §9). */
export interface ScoreCeiling {
  method: string;
  nExcluded: number | null;
  subjects: { subject: string; ceiling: number | null; nExcluded: number | null; r2: number | null; r: number | null }[];
  mean: { r2: number | null; r: number | null };
}

export interface PartitionSubject {
  subject: string;
  r2A: number | null;
  r2B: number | null;
  r2Joint: number | null;
  omega: number | null;
}

export interface PartitionUnit {
  experiment: string;
  unit: string;
  subject: string;
  r2A: number | null;
  r2B: number | null;
  r2Joint: number | null;
  p: number | null;
  pAdjusted: number | null;
}

export interface PartitionSignificance {
  alpha: number | null;
  blocking: string | null;
  meanPercent: number | null;
  subjects: { subject: string; nUnits: number | null; percent: number | null }[];
}

/** The manifest of one fitted feature set inside a partition. */
export interface PartitionPart {
  features: string;
  settings: Record<string, unknown> | null;
}

/** A variance partition of A, B and A | B (partition.json, or an audit's partition entry). */
export interface PartitionAnalysis {
  kind: 'partition';
  id: string;
  file: string;
  dataset: DatasetRef;
  split: string | null;
  a: PartitionPart;
  b: PartitionPart;
  joint: PartitionPart | null;
  subjects: PartitionSubject[];
  omegaMean: number | null;
  significance: PartitionSignificance | null;
  units: PartitionUnit[] | null;
  unitsFile: string | null;
  verdict: string | null;
}

export interface AuditRow {
  id: string;
  label: string;
  features: string;
  split: string | null;
  banded: boolean | null;
  r2: number | null;
  r2Sem: number | null;
  r: number | null;
  subjects: SubjectScore[];
  verdict: string | null;
}

export interface AuditLeak {
  shuffledR2: number | null;
  contiguousR2: number | null;
  difference: number | null;
  sem: number | null;
  p: number | null;
  flagged: boolean | null;
  verdict: string | null;
}

/** `brainmap audit`'s audit.json. */
export interface AuditAnalysis {
  kind: 'audit';
  id: string;
  file: string;
  dataset: DatasetRef;
  features: string | null;
  settings: Record<string, unknown> | null;
  rows: AuditRow[];
  leak: AuditLeak | null;
  /** Audit partitions: from `partition-<id>/partition.json` when that folder exists, else from audit.json. */
  partitions: { id: string; analysisId: string | null; a: string; b: string; split: string | null; omegaMean: number | null; percentSignificant: number | null; verdict: string | null }[];
  verdicts: { line: string; verdict: string }[];
}

/** `brainmap demo`'s summary.json: one row per analysis. */
export interface DemoSummary {
  kind: 'summary';
  id: string;
  file: string;
  rows: { dataset: string; analysis: string; features: string; split: string; r2: number | null; r2Sem: number | null; r: number | null; meaning: string; scoreId: string | null }[];
  /** The demo's partitions (Ω and % of units where B adds significant variance), as the terminal printed them. */
  partitions: { dataset: string; a: string; b: string; omegaMean: number | null; percentSignificant: number | null }[];
}

/** Everything found under a results folder. */
export interface ResultsFolder {
  /** Absolute path of the folder that was scanned. */
  root: string;
  scores: ScoreAnalysis[];
  partitions: PartitionAnalysis[];
  audits: AuditAnalysis[];
  summaries: DemoSummary[];
  /** `brainmap deconstruct`'s deconstruct.json files (src/report/deconstruct.ts); absent in folders scanned before it existed. */
  deconstructs?: DeconstructAnalysis[];
  /** What could not be read or is incomplete, file by file. */
  notes: MissingNote[];
  /** The analyses' own warnings (`warnings` of score.json and partition.json), file by file. */
  warnings: MissingNote[];
  /** Number of result files read (json + csv). */
  filesRead: number;
}
