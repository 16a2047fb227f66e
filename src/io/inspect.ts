/**
 * What a dataset holds, to check before fitting (`brainmap inspect`): samples, blocks, units per
 * subject and network, experiments with their outer folds (as `score` will cut them, contiguous
 * splits), units recorded / not recorded per experiment, text coverage, and the reader's notes.
 */
import type { Dataset } from '../data/dataset.js';
import { uniqueInOrder } from '../data/dataset.js';
import { InputError } from '../data/errors.js';
import { planScoring } from '../pipeline/score-plan.js';
import { foldLabels } from '../regression/splits.js';
import { getDatasetNotes, type DatasetNotes } from './notes.js';

export interface FoldSummary {
  /** Fold label (design `labels`) or "rows a–b" (design `blocks`, 0-based, inclusive). */
  label: string;
  /** Test rows. */
  size: number;
  /** Inner (validation) folds of this outer fold. */
  inner: number;
}

export interface ExperimentSummary {
  /** Experiment name ('' for single-experiment datasets). */
  name: string;
  samples: number;
  blocks: number;
  /** Units with finite responses on every row of the experiment. */
  unitsRecorded: number;
  /** Units that are NaN on the experiment's rows (not recorded there). */
  unitsNotRecorded: number;
  /** Recorded units per subject, subjects in order of first appearance. */
  subjects: Array<{ subject: string; units: number }>;
  /** Outer folds in the order `score` runs them (contiguous split), or null when they cannot be made. */
  folds: FoldSummary[] | null;
  /**
   * What `score` (also partition, audit) will refuse about this experiment — too few fold labels
   * or samples for nested cross-validation, no recorded unit — as its error message; else null.
   * The check is the one the fit runs (pipeline/score-plan.ts).
   */
  foldProblem: string | null;
  /** Samples with non-empty text. */
  withText: number;
}

export interface DatasetSummary {
  name: string;
  source: string;
  /** 'labels' or 'blocks (outer N, inner M)'. */
  design: string;
  samples: number;
  blocks: number;
  /** Smallest and largest block, in samples. */
  blockSizes: [number, number];
  units: number;
  /** Units per subject (order of first appearance), with their networks. */
  subjects: Array<{ subject: string; units: number; networks: Array<{ network: string; units: number }> }>;
  /** Units per network ('' = unlabelled). */
  networks: Array<{ network: string; units: number }>;
  /** Whether units have x, y, z coordinates. */
  coordinates: boolean;
  experiments: ExperimentSummary[];
  /** Samples with non-empty text, and distinct texts. */
  text: { withText: number; distinct: number };
  /** What the reader recorded (Pereira2018, Blank2014, MAT readers), else null. */
  notes: DatasetNotes | null;
  /** Every problem for which `brainmap score` will refuse the dataset (its error messages); empty when it fits. */
  scoreRefuses: string[];
}

function counts(values: readonly string[]): Array<{ key: string; n: number }> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m.entries()].map(([key, n]) => ({ key, n }));
}

/** Summarises a dataset (pure; reads nothing from disk). */
export function inspectDataset(d: Dataset): DatasetSummary {
  const n = d.y.rows;
  const m = d.y.cols;
  const blockRuns: number[] = [];
  for (let r = 0; r < n; r++) {
    if (r === 0 || d.samples.block[r] !== d.samples.block[r - 1]) blockRuns.push(1);
    else blockRuns[blockRuns.length - 1]++;
  }
  const subjects = uniqueInOrder(d.units.subject).map((s) => {
    const cols = d.units.subject.map((x, j) => (x === s ? j : -1)).filter((j) => j >= 0);
    return { subject: s, units: cols.length, networks: counts(cols.map((j) => d.units.network[j])).map(({ key, n: k }) => ({ network: key, units: k })) };
  });
  const labelsByExp = foldLabels(d, 'contiguous', 42);
  const experiments: ExperimentSummary[] = uniqueInOrder(d.samples.experiment).map((e) => {
    const { rows, labels } = labelsByExp.get(e)!;
    const recorded = new Uint8Array(m);
    for (let j = 0; j < m; j++) {
      let ok = true;
      for (let k = 0; k < rows.length && ok; k++) ok = Number.isFinite(d.y.data[rows[k] * m + j]);
      recorded[j] = ok ? 1 : 0;
    }
    const nRec = recorded.reduce((a, b) => a + b, 0);
    const subj = uniqueInOrder(d.units.subject)
      .map((s) => ({ subject: s, units: d.units.subject.filter((x, j) => x === s && recorded[j]).length }))
      .filter((x) => x.units > 0);
    let folds: FoldSummary[] | null = null;
    let foldProblem: string | null = null;
    try {
      const plan = planScoring(d, e, rows, labels).folds;
      if (labels instanceof Int32Array) {
        folds = plan.map((f) => ({ label: `rows ${Math.min(...f.test)}–${Math.max(...f.test)}`, size: f.test.length, inner: f.inner.length }));
      } else {
        const names = [...new Set(labels)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        folds = plan.map((f, k) => ({ label: names[k], size: f.test.length, inner: f.inner.length }));
      }
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      foldProblem = err.message;
    }
    const blocks = new Set<string>();
    let withText = 0;
    for (const r of rows) { blocks.add(d.samples.block[r]); if (d.samples.text[r] !== '') withText++; }
    return { name: e, samples: rows.length, blocks: blocks.size, unitsRecorded: nRec, unitsNotRecorded: m - nRec, subjects: subj, folds, foldProblem, withText };
  });
  const design = d.design.kind === 'labels' ? 'labels (one outer fold per fold label, sorted; inner folds leave one other label out)'
    : `blocks (outer folds of ${d.design.outerSize} consecutive rows, inner blocks of ${d.design.innerSize})`;
  return {
    name: d.name,
    source: d.source,
    design,
    samples: n,
    blocks: blockRuns.length,
    blockSizes: [Math.min(...blockRuns), Math.max(...blockRuns)],
    units: m,
    subjects,
    networks: counts(d.units.network).map(({ key, n: k }) => ({ network: key, units: k })),
    coordinates: d.units.coords !== null,
    experiments,
    text: { withText: d.samples.text.filter((t) => t !== '').length, distinct: new Set(d.samples.text.filter((t) => t !== '')).size },
    notes: getDatasetNotes(d) ?? null,
    scoreRefuses: experiments.flatMap((e) => (e.foldProblem === null ? [] : [e.foldProblem])),
  };
}

/** Groups equal consecutive fold sizes: "48 ×8" or "47, 46, 38 ×2, 37 ×2". */
function sizeList(sizes: number[]): string {
  const out: string[] = [];
  for (let k = 0; k < sizes.length;) {
    let e = k;
    while (e < sizes.length && sizes[e] === sizes[k]) e++;
    out.push(e - k > 1 ? `${sizes[k]} ×${e - k}` : String(sizes[k]));
    k = e;
  }
  return out.join(', ');
}

const net = (s: string) => (s === '' ? '(unlabelled)' : s);

/** The readable form of a summary (what `brainmap inspect` prints without --json). */
export function formatDatasetSummary(s: DatasetSummary): string {
  const L: string[] = [];
  L.push(`${s.name}  ·  ${s.source}`);
  L.push(`samples      ${s.samples} in ${s.blocks} blocks (${s.blockSizes[0] === s.blockSizes[1] ? s.blockSizes[0] : `${s.blockSizes[0]}–${s.blockSizes[1]}`} samples per block)`);
  L.push(`text         ${s.text.withText} of ${s.samples} samples (${s.text.distinct} distinct)`);
  L.push(`units        ${s.units} in ${s.subjects.length} subject${s.subjects.length === 1 ? '' : 's'}: ${s.subjects.map((x) => `${x.subject} ${x.units}`).join(', ')}${s.coordinates ? '  (with x, y, z)' : ''}`);
  L.push(`networks     ${s.networks.map((x) => `${net(x.network)} ${x.units}`).join(', ')}`);
  if (s.networks.length > 1) {
    for (const x of s.subjects) L.push(`  ${x.subject.padEnd(10)} ${x.networks.map((y) => `${net(y.network)} ${y.units}`).join(', ')}`);
  }
  L.push(`design       ${s.design}`);
  for (const e of s.experiments) {
    const title = e.name === '' ? 'all samples' : `experiment ${e.name}`;
    L.push(`${title}: ${e.samples} samples, ${e.blocks} blocks, text on ${e.withText}; units recorded ${e.unitsRecorded}, not recorded ${e.unitsNotRecorded}`);
    L.push(`  subjects   ${e.subjects.map((x) => `${x.subject} ${x.units}`).join(', ')}`);
    if (e.folds !== null) {
      const inner = [...new Set(e.folds.map((f) => f.inner))];
      L.push(`  folds      ${e.folds.length} outer: ${sizeList(e.folds.map((f) => f.size))} samples; ${inner.join('/')} inner per outer fold`);
      if (e.folds.length <= 12) L.push(`             ${e.folds.map((f) => `${f.label} ${f.size}`).join(', ')}`);
    } else {
      L.push(`  refused    ${e.foldProblem}`);
    }
  }
  if (s.notes !== null) {
    const n = s.notes;
    L.push(`reader       ${n.reader}`);
    L.push(`  text       ${n.text}`);
    L.push(`  order      ${n.order}`);
    L.push(`  units      ${n.units}`);
    for (const x of n.dropped) L.push(`  dropped    ${x.experiment === '' ? '' : `experiment ${x.experiment}: `}${x.count} unit${x.count === 1 ? '' : 's'}: ${x.reason}`);
    for (const r of n.remarks) L.push(`  note       ${r}`);
  }
  L.push(s.scoreRefuses.length === 0
    ? 'fit check    brainmap score can fit this dataset (folds and units as above)'
    : `fit check    brainmap score, partition and audit will refuse this dataset (${s.scoreRefuses.length} problem${s.scoreRefuses.length === 1 ? '' : 's'} above)`);
  return L.join('\n') + '\n';
}
