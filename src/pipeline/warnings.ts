/**
 * Saying when something is off with a fit, in words a user can act on. Each check is a pure
 * function of what a score already holds; the messages go to the terminal, to the JSON `warnings`
 * arrays and to the report.
 *
 * - A feature column that is constant on the training rows (every sample has the same value, e.g.
 *   `sl` on Fedorenko2016 where every sample is one word) carries no information: z-scoring turns it
 *   into 0 and the fit into the training mean.
 * - Most units choosing a penalty at the edge of the α grid: at the largest α the model is the
 *   training mean (the features predict nothing for those units); at the smallest the grid may be
 *   too narrow.
 * - A grid whose chosen values score far below the best grid value on the test folds: the inner
 *   CV that chose them did not see what the test folds see (e.g. small-σ OASM after a single outer
 *   z-scoring, README).
 */
import type { Dataset } from '../data/dataset.js';
import { uniqueInOrder } from '../data/dataset.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { isConstantFeature } from '../regression/standardize.js';
import type { ScoreResult } from './score.js';

/** The columns one feature term occupies in a built feature matrix. */
export interface TermColumns {
  /** The term as written (e.g. 'sl', 'wp:sigma=4.7'). */
  term: string;
  start: number;
  cols: number;
}

/** Units (or unit × fold choices) beyond this fraction count as "most". */
const MOST = 0.5;

const pct = (x: number) => `${Math.round(100 * x)} %`;
const where = (experiment: string) => (experiment ? ` (experiment ${experiment})` : '');

/**
 * Per column of `x` on `rows`: 'zero' (all 0: dropped before fitting, by construction for
 * block-wise features), 'constant' (one non-zero value, scikit-learn's constant rule), or null.
 */
export function columnConstancy(x: Matrix64, rows: ArrayLike<number>): ('zero' | 'constant' | null)[] {
  const out: ('zero' | 'constant' | null)[] = [];
  const n = rows.length;
  for (let j = 0; j < x.cols; j++) {
    let mean = 0;
    let zero = true;
    for (let k = 0; k < n; k++) { const v = x.data[rows[k] * x.cols + j]; mean += v; if (v !== 0) zero = false; }
    if (zero) { out.push('zero'); continue; }
    mean /= n;
    let v2 = 0;
    for (let k = 0; k < n; k++) v2 += (x.data[rows[k] * x.cols + j] - mean) ** 2;
    out.push(isConstantFeature(v2 / n, mean, n) ? 'constant' : null);
  }
  return out;
}

/**
 * Terms with columns that are constant on every training set of an experiment. (With three or more
 * outer folds any two training sets overlap and together cover every row, so a column constant on
 * every training set is constant on the whole experiment — that is what is checked.) A term all of
 * whose columns are zero or constant carries no information; all-zero columns alone are expected
 * (block-wise features such as OASM are zero outside an experiment's blocks) and not reported.
 */
export function constantColumnWarnings(dataset: Dataset, x: Matrix64, terms: readonly TermColumns[], experiments?: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of uniqueInOrder(dataset.samples.experiment)) {
    if (experiments && !experiments.includes(e)) continue;
    const rows = Int32Array.from(dataset.samples.experiment.flatMap((x2, i) => (x2 === e ? [i] : [])));
    const kind = columnConstancy(x, rows);
    for (const t of terms) {
      const mine = kind.slice(t.start, t.start + t.cols);
      const constant = mine.filter((k) => k === 'constant').length;
      const informative = mine.filter((k) => k === null).length;
      if (informative === 0) {
        const value = constant > 0 ? x.data[rows[0] * x.cols + t.start + mine.indexOf('constant')] : 0;
        const what = t.cols === 1 ? `every sample has the same value (${value})` : `each of its ${t.cols} columns has one value on every sample`;
        out.push(`feature ${t.term} is constant on the training rows${where(e)}: ${what}, so it carries no information and its fit is the training mean`);
      } else if (constant > 0) {
        out.push(`feature ${t.term}: ${constant} of its ${t.cols} columns are constant on the training rows${where(e)} and carry no information`);
      }
    }
  }
  return out;
}

/** Most units' penalty at the edge of the α grid (per experiment; unit × fold choices). */
export function alphaEdgeWarnings(result: ScoreResult): string[] {
  const alphas = result.settings.alphas;
  if (alphas.length < 2) return [];
  const lo = Math.min(...alphas);
  const hi = Math.max(...alphas);
  const out: string[] = [];
  for (const e of result.experiments) {
    const chosen = Array.from(e.alpha).filter((a) => !Number.isNaN(a));
    if (chosen.length === 0) continue;
    const atHi = chosen.filter((a) => a >= hi).length / chosen.length;
    const atLo = chosen.filter((a) => a <= lo).length / chosen.length;
    if (atHi > MOST) {
      out.push(`${pct(atHi)} of the units' penalty choices${where(e.experiment)} are the largest α in the grid (${hi}): for those units the model is (nearly) the training mean — the features predict nothing there, or the grid needs larger penalties`);
    }
    if (atLo > MOST) {
      out.push(`${pct(atLo)} of the units' penalty choices${where(e.experiment)} are the smallest α in the grid (${lo}): the grid may be too narrow (smaller penalties might fit better)`);
    }
  }
  return out;
}

/** A grid point's dataset scores (subject means clipped at 0, §5.5) — what the chosen values are compared with. */
export interface GridPointScore {
  value: number;
  r2_clipped: number;
  r_clipped: number;
}

/**
 * The chosen values' test score far below the best single grid value's: below half of it, by more
 * than 0.005 (R²) or 0.02 (r). Only meaningful for validation selection (test selection picks the
 * best by construction).
 */
export function gridSelectionWarnings(param: string, curve: readonly GridPointScore[], result: ScoreResult, select: string): string[] {
  if (select !== 'validation' || curve.length < 2) return [];
  const out: string[] = [];
  for (const [metric, label, margin] of [['r2', 'R²', 0.005], ['r', 'r', 0.02]] as const) {
    const best = curve.reduce((b, c) => (c[`${metric}_clipped`] > b[`${metric}_clipped`] ? c : b));
    const bestScore = best[`${metric}_clipped`];
    const chosen = result[metric].mean;
    if (bestScore - chosen > margin && chosen < bestScore / 2) {
      out.push(`the ${param} values chosen on inner-CV scores reach ${label} ${chosen.toFixed(4)} on the test folds, while ${param} = ${best.value} alone reaches ${bestScore.toFixed(4)}: the inner CV did not see what the test folds see (with a single outer z-scoring, small σ can look fine inside and explode on held-out rows; see README)`);
    }
  }
  return out;
}
