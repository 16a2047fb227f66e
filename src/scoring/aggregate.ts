/**
 * Aggregation of unit scores to subjects, experiments and the dataset (METHODS §5.5): per
 * (subject, experiment) the mean over that subject's units, clipped at 0; per subject the mean
 * over the experiments the subject did; the dataset value is the mean over subjects, with
 * SEM = SD(ddof 1)/√n over subjects.
 *
 * Undefined (NaN) unit scores count as 0 as published (`undefinedScores: 'zero'`, the default), or
 * are left out (`'omit'`: means over the units whose score is defined; a subject with none is NaN
 * and left out of the dataset mean). Either way each subject reports how many were undefined.
 */
export interface ExperimentUnitScores {
  experiment: string;
  /** Subject of each unit (same length as `scores`). */
  subjects: readonly string[];
  /** One score per unit (NaN = undefined; see AggregateOptions.undefinedScores). */
  scores: ArrayLike<number>;
}

export interface SubjectScore {
  subject: string;
  /** Units of this subject, summed over experiments. */
  nUnits: number;
  /** Of these, units whose score is undefined (NaN). */
  nUndefined: number;
  /** Clipped subject value, averaged over experiments (NaN when omitting and no unit is defined). */
  value: number;
  /** Clipped per-experiment values. */
  perExperiment: Record<string, number>;
}

export interface AggregateScore {
  subjects: SubjectScore[];
  /** Mean over subjects (whose value is defined). */
  mean: number;
  /** Standard error of the mean over subjects (0 for one subject). */
  sem: number;
}

export interface AggregateOptions {
  /** Clip (subject, experiment) means at 0 (default true, as published; best-σ selection uses false). */
  clip?: boolean;
  /** NaN unit scores: counted as 0 ('zero', default, as published) or left out of the means ('omit'). */
  undefinedScores?: 'zero' | 'omit';
}

/** Subject order: numeric when every subject id is numeric, else code-point order. */
export function sortSubjects(ids: readonly string[]): string[] {
  const uniq = [...new Set(ids)];
  const numeric = uniq.every((s) => s.trim() !== '' && Number.isFinite(Number(s)));
  return numeric ? uniq.sort((a, b) => Number(a) - Number(b)) : uniq.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function aggregateScores(parts: readonly ExperimentUnitScores[], opts: AggregateOptions = {}): AggregateScore {
  const clip = opts.clip ?? true;
  const omit = opts.undefinedScores === 'omit';
  const per = new Map<string, { n: number; nUndefined: number; values: Record<string, number> }>();
  for (const part of parts) {
    if (part.subjects.length !== part.scores.length) {
      throw new RangeError(`aggregateScores: experiment ${part.experiment} has ${part.subjects.length} subject labels for ${part.scores.length} scores`);
    }
    const sums = new Map<string, { sum: number; n: number; nUndefined: number }>();
    for (let i = 0; i < part.scores.length; i++) {
      const s = part.subjects[i];
      const v = part.scores[i];
      const acc = sums.get(s) ?? { sum: 0, n: 0, nUndefined: 0 };
      if (Number.isNaN(v)) acc.nUndefined += 1;
      else acc.sum += v;
      acc.n += 1;
      sums.set(s, acc);
    }
    for (const [s, { sum, n, nUndefined }] of sums) {
      const counted = omit ? n - nUndefined : n;
      const mean = counted > 0 ? sum / counted : NaN;
      const entry = per.get(s) ?? { n: 0, nUndefined: 0, values: {} };
      entry.n += n;
      entry.nUndefined += nUndefined;
      entry.values[part.experiment] = clip && !Number.isNaN(mean) ? Math.max(0, mean) : mean;
      per.set(s, entry);
    }
  }
  const subjects: SubjectScore[] = sortSubjects([...per.keys()]).map((s) => {
    const e = per.get(s)!;
    const vals = Object.values(e.values).filter((v) => !Number.isNaN(v));
    return { subject: s, nUnits: e.n, nUndefined: e.nUndefined, value: vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : NaN, perExperiment: e.values };
  });
  const values = subjects.map((s) => s.value).filter((v) => !Number.isNaN(v));
  const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
  let sem = 0;
  if (values.length > 1) {
    const ss = values.reduce((a, v) => a + (v - mean) ** 2, 0);
    sem = Math.sqrt(ss / (values.length - 1)) / Math.sqrt(values.length);
  }
  return { subjects, mean, sem };
}

/** Median of the non-NaN values (NaN when there are none). */
export function median(values: ArrayLike<number>): number {
  const v = Array.from(values).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}
