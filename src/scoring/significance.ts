/**
 * Unit-wise significance of "the model adds variance beyond the simple model" (METHODS §6.1), on
 * per-sample squared errors of held-out predictions.
 *
 * 1. Each model's squared errors are "corrected" to the better (lower mean) of themselves and the
 *    intercept model's, and the joint model's to the best of intercept, model and joint — the
 *    squared-error analogue of clipping R² at 0 and of joint ≥ model.
 * 2. Optionally, squared errors are averaged within blocks (passages, sentences, chunks of a story)
 *    so that the test counts independent-ish blocks rather than autocorrelated samples. brainmap
 *    groups rows by the block label of each row as it is (`blocking: 'block'`); the paper applied
 *    labels in the original row order to fold-ordered rows (`'paper'`, a [BUG] kept for comparison).
 * 3. Per unit a paired one-sided t-test: joint* < simple*; a NaN p (all differences 0) becomes 1.
 *    Also model* < intercept ("the model beats chance").
 * 4. Benjamini–Hochberg within each subject; fraction of units with adjusted p < 0.05 per subject,
 *    then the mean over subjects.
 */
import { benjaminiHochberg, pairedTTest } from './stats.js';
import { sortSubjects } from './aggregate.js';

/** Squared errors of one experiment: rows (in fold order) × units. */
export interface ErrorMatrix {
  rows: number;
  units: number;
  data: Float32Array;
}

export type Blocking = 'none' | 'block' | 'paper';

/** Index of the candidate with the lowest mean squared error for unit j (first wins ties). */
function lowestMean(candidates: readonly ErrorMatrix[], j: number): number {
  let best = 0;
  let bestMean = Infinity;
  candidates.forEach((c, k) => {
    let s = 0;
    let n = 0;
    for (let i = 0; i < c.rows; i++) { const v = c.data[i * c.units + j]; if (!Number.isNaN(v)) { s += v; n++; } }
    const m = n ? s / n : Infinity;
    if (m < bestMean) { bestMean = m; best = k; }
  });
  return best;
}

/** Column j of the lowest-mean candidate (step 1). */
export function correctedColumn(candidates: readonly ErrorMatrix[], j: number): Float64Array {
  const c = candidates[lowestMean(candidates, j)];
  return Float64Array.from({ length: c.rows }, (_, i) => c.data[i * c.units + j]);
}

/** Averages values within groups of equal labels (groups in sorted label order; NaN propagates). */
export function averageByLabel(values: ArrayLike<number>, labels: readonly string[]): Float64Array {
  const keys = [...new Set(labels)].sort();
  const index = new Map(keys.map((k, i) => [k, i]));
  const sum = new Float64Array(keys.length);
  const n = new Float64Array(keys.length);
  for (let i = 0; i < values.length; i++) { const k = index.get(labels[i])!; sum[k] += values[i]; n[k]++; }
  return sum.map((s, k) => s / n[k]);
}

/** Element-wise mean over seeds (the correct way), or the paper's sum ([BUG], `compat`). */
export function combineSeeds(seeds: readonly ErrorMatrix[], mode: 'mean' | 'sum'): ErrorMatrix {
  const out = new Float32Array(seeds[0].data.length);
  for (const s of seeds) for (let i = 0; i < out.length; i++) out[i] += s.data[i];
  if (mode === 'mean') for (let i = 0; i < out.length; i++) out[i] /= seeds.length;
  return { rows: seeds[0].rows, units: seeds[0].units, data: out };
}

export interface SignificanceInput {
  /** Per experiment: squared errors of intercept, simple, model and joint fits (same rows and units). */
  experiments: {
    intercept: ErrorMatrix;
    simple: ErrorMatrix;
    model: ErrorMatrix;
    joint: ErrorMatrix;
    /** Block label of each row as it stands (fold order). */
    rowBlocks: readonly string[];
    /** Block label of each row in the original (experiment) order — only for blocking 'paper'. */
    originalBlocks?: readonly string[];
    /** Dataset unit index of each column (a unit present in several experiments pools its rows). */
    unitIndex: ArrayLike<number>;
  }[];
  /** Subject of each dataset unit index. */
  subjectOf: (unit: number) => string;
  blocking: Blocking;
}

export interface UnitSignificance {
  unit: number;
  subject: string;
  /** p of joint* < simple*, raw and BH-adjusted within subject. */
  p: number;
  pAdjusted: number;
  /** p of model* < intercept, raw and BH-adjusted. */
  pModel: number;
  pModelAdjusted: number;
  /** Rows (or blocks) in the test. */
  n: number;
}

export interface SignificanceResult {
  units: UnitSignificance[];
  /** Per subject: % of units with adjusted p < alpha (beyond simple), and % where the model beats chance. */
  subjects: { subject: string; nUnits: number; percentSignificant: number; percentModelSignificant: number }[];
  /** Mean over subjects of percentSignificant. */
  meanPercentSignificant: number;
  alpha: number;
  /** The blocking the test used. */
  blocking: Blocking;
}

export function unitSignificance(input: SignificanceInput, alpha = 0.05): SignificanceResult {
  // Collect, per dataset unit, the corrected (and optionally blocked) columns of every experiment.
  const pooled = new Map<number, { full: number[]; simple: number[]; model: number[]; int: number[] }>();
  for (const e of input.experiments) {
    const labels = input.blocking === 'paper' ? (e.originalBlocks ?? e.rowBlocks) : e.rowBlocks;
    const block = (v: Float64Array) => (input.blocking === 'none' ? v : averageByLabel(v, labels));
    for (let j = 0; j < e.simple.units; j++) {
      const simple = block(correctedColumn([e.intercept, e.simple], j));
      const full = block(correctedColumn([e.intercept, e.model, e.joint], j));
      const model = block(correctedColumn([e.intercept, e.model], j));
      const int = block(correctedColumn([e.intercept], j));
      const u = e.unitIndex[j];
      const acc = pooled.get(u) ?? { full: [], simple: [], model: [], int: [] };
      acc.full.push(...full); acc.simple.push(...simple); acc.model.push(...model); acc.int.push(...int);
      pooled.set(u, acc);
    }
  }
  const units: UnitSignificance[] = [];
  for (const [u, v] of pooled) {
    const t = pairedTTest(v.full, v.simple, 'less');
    const tm = pairedTTest(v.model, v.int, 'less');
    units.push({ unit: u, subject: input.subjectOf(u), p: Number.isNaN(t.p) ? 1 : t.p, pAdjusted: NaN, pModel: Number.isNaN(tm.p) ? 1 : tm.p, pModelAdjusted: NaN, n: t.n });
  }
  units.sort((a, b) => a.unit - b.unit);
  const subjects = sortSubjects(units.map((u) => u.subject)).map((subject) => {
    const mine = units.filter((u) => u.subject === subject);
    const adj = benjaminiHochberg(mine.map((u) => u.p));
    const adjM = benjaminiHochberg(mine.map((u) => u.pModel));
    mine.forEach((u, k) => { u.pAdjusted = adj[k]; u.pModelAdjusted = adjM[k]; });
    const pct = (xs: Float64Array) => (100 * xs.filter((p) => p < alpha).length) / mine.length;
    return { subject, nUnits: mine.length, percentSignificant: pct(adj), percentModelSignificant: pct(adjM) };
  });
  const meanPercentSignificant = subjects.reduce((a, s) => a + s.percentSignificant, 0) / (subjects.length || 1);
  return { units, subjects, meanPercentSignificant, alpha, blocking: input.blocking };
}
