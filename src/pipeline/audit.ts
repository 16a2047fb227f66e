/**
 * `brainmap audit`: one command that answers "what is this brain score made of?" (the paper's
 * argument, applied to any features on any dataset):
 *
 *  1. the features' score under shuffled and contiguous folds, and whether shuffled exceeds
 *     contiguous beyond noise (a leak of temporal autocorrelation across folds);
 *  2. baselines: OASM (no language: block membership and order) under both split schemes, and the
 *     dataset's simple features (position and length) under contiguous folds;
 *  3. the banded combinations simple | features (contiguous) and OASM | features (shuffled), Ω of the
 *     features by each baseline, and the fraction of units where the features add significant
 *     variance beyond the simple features;
 *  4. Brain-Score's old protocol on the same features, side by side;
 *  5. a plain-language verdict per line.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { longestBlock, type Dataset } from '../data/dataset.js';
import { datasetHash } from '../data/hash.js';
import { registerBuiltinFeatures } from '../features/builtin.js';
import { expandGrid } from '../features/grid.js';
import { buildFeatureSpec } from '../features/registry.js';
import { parseFeatureSpec } from '../features/spec.js';
import type { Backend } from '../linalg/backend.js';
import { pairedTTest } from '../scoring/stats.js';
import { brainScoreLinearShuffle, brainScoreToJson, type BrainScoreJson } from './brainscore.js';
import { partitionCsv, partitionFeatures, partitionJson, type PartitionResult } from './partition.js';
import { ResultWriteError, specScoreToJson, writeFileAtomic, writeScore } from './results.js';
import { scoreSpec, type SpecScore } from './score-spec.js';
import { seedsOfSpec } from './seeds.js';
import type { SelectMode } from './select.js';
import { DEFAULT_BANDED_ITER } from '../regression/banded-defaults.js';

export interface AuditOptions {
  backend: Backend;
  /** Simple features (default: chosen from the dataset's design, see `defaultSimpleFeatures`). */
  simple?: string;
  /** OASM spec (default `oasm:sigma=2`, near the paper's chosen σ; see README on small σ). */
  oasm?: string;
  select?: SelectMode;
  seed?: number;
  /** Band-weight samples of the banded fits (default DEFAULT_BANDED_ITER = 100, as score and partition; the paper: 1000). */
  bandedIter?: number;
  bandedSeed?: number;
  /** Ridge penalties of every fit (default DEFAULT_ALPHAS) and units fitted at once (`--alphas`, `--unit-batch`). */
  alphas?: readonly number[];
  unitBatch?: number;
  /** Also run Brain-Score's protocol (default true; skipped for specs with a grid or bands). */
  brainscore?: boolean;
  /**
   * 'paper': reproduce the authors' code where it differs (README table "What `--compat paper`
   * changes"): features z-scored once per outer fold (not within inner folds), Schrimpf's r rule,
   * the blocked-statistics label order and chunks ([BUG], METHODS §6.1).
   */
  compat?: 'paper';
  /** Where to write audit.json and one folder per analysis (optional). */
  outDir?: string;
  onProgress?: (done: number, total: number, label: string) => void;
}

/**
 * The paper's simple features for a design (METHODS §3.2–3.4): Pereira — sentence position and
 * length (sp σ = 3.4 + sl); Fedorenko, single words in 8-word sentences — word position (wp σ = 4.7);
 * long blocks (Blank's stories) — position ramps and word rate; otherwise position (+ length when
 * there is text).
 */
export function defaultSimpleFeatures(d: Dataset): string {
  const hasText = d.samples.text.some((t) => t.trim() !== '');
  const longest = longestBlock(d.samples.block);
  const singleWords = hasText && d.samples.text.every((t) => t.trim().split(/\s+/).length <= 1);
  if (/^pereira/i.test(d.name)) return 'sp:sigma=3.4+sl';
  if (singleWords || d.design.kind === 'blocks') return 'wp:sigma=4.7';
  if (longest > 20) return hasText ? 'ramps:len=11+wn' : 'ramps:len=11';
  return hasText ? 'sp+sl' : 'sp';
}

export interface AuditRow {
  id: string;
  label: string;
  features: string;
  split: 'shuffled' | 'contiguous';
  banded: boolean;
  r2: number;
  r2_sem: number;
  r: number;
  subjects: { subject: string; r2: number; r: number }[];
  verdict: string;
  /** What looks off with this line's fit (empty when nothing does). */
  warnings: string[];
}

export interface AuditPartition {
  id: 'simple' | 'oasm';
  split: 'shuffled' | 'contiguous';
  a: string;
  b: string;
  omega_mean: number;
  subjects: { subject: string; r2_a: number; r2_b: number; r2_joint: number; omega: number }[];
  percent_significant: number;
  verdict: string;
}

export interface AuditJson {
  kind: 'audit';
  dataset: string;
  source: string;
  dataset_hash: string;
  features: string;
  settings: { seed: number; select: SelectMode; banded_iter: number; banded_seed: number; simple: string; oasm: string; backend: string; compat: 'paper' | null; inner_zscore: boolean };
  rows: AuditRow[];
  leak: { shuffled_r2: number; contiguous_r2: number; difference: number; sem: number; p: number; flagged: boolean; verdict: string };
  partitions: AuditPartition[];
  brainscore: (BrainScoreJson & { verdict: string }) | null;
  verdicts: { line: string; verdict: string }[];
  /** What looks off in any of the fits, prefixed with the analysis (also in each analysis's own JSON). */
  warnings: string[];
}

const pct = (v: number) => `${v.toFixed(0)} %`;
const f3 = (v: number) => v.toFixed(3);

/** A line of the audit; a fit with warnings says so in its verdict rather than reading as a plain number. */
function row(id: string, label: string, s: SpecScore, split: 'shuffled' | 'contiguous', verdict: string): AuditRow {
  const j = specScoreToJson(s);
  return {
    id, label, features: s.spec, split, banded: s.spec.includes('|'), r2: j.dataset.r2, r2_sem: j.dataset.r2_sem, r: j.dataset.r,
    subjects: j.subjects.map((x) => ({ subject: x.subject, r2: x.r2, r: x.r })),
    verdict: s.warnings.length ? `${verdict} — but see ${s.warnings.length === 1 ? 'the warning' : `the ${s.warnings.length} warnings`} on this line` : verdict,
    warnings: s.warnings,
  };
}

/** B's subject R² at or below this counts as "explains nothing" (Ω is then 100 % by convention, §5.7). */
const NOTHING = 0.001;

function partitionEntry(id: 'simple' | 'oasm', split: 'shuffled' | 'contiguous', p: PartitionResult, what: string): AuditPartition {
  const omega = p.omegaMean;
  const sig = p.significance.meanPercentSignificant;
  const meanB = p.subjects.reduce((a, s) => a + s.r2B, 0) / (p.subjects.length || 1);
  const nothing = p.subjects.filter((s) => s.r2B <= NOTHING).length;
  // `what` names the baseline as a plural noun phrase ("the simple features", "OASM's columns").
  const verdict = meanB <= NOTHING
    ? `the features explain nothing here (R² ${f3(meanB)} under ${split} folds), so there is nothing for ${what} to explain (Ω is 100 % only by convention)`
    : (omega >= 80
      ? `${what} already explain most (${pct(omega)}) of what the features explain`
      : omega <= 20
        ? `the features explain variance that ${what} do not (Ω ${pct(omega)})`
        : `${what} explain part (${pct(omega)}) of what the features explain`)
      + (nothing > 0 ? ` (in ${nothing} of ${p.subjects.length} subjects the features explain nothing and Ω is 100 % by convention)` : '');
  return {
    id, split, a: p.a.spec, b: p.b.spec, omega_mean: omega,
    subjects: p.subjects.map((s) => ({ subject: s.subject, r2_a: s.r2A, r2_b: s.r2B, r2_joint: s.r2Joint, omega: s.omega })),
    percent_significant: sig,
    verdict: `${verdict}; they add significant variance (BH p < .05) in ${pct(sig)} of units`,
  };
}

/** The banded row's verdict: Ω, or that the features explain nothing (Ω 100 % only by convention). */
function omegaRowVerdict(p: PartitionResult, baseline: string): string {
  const meanB = p.subjects.reduce((a, s) => a + s.r2B, 0) / (p.subjects.length || 1);
  return meanB <= NOTHING
    ? `the features explain nothing here (R² ${f3(meanB)}), so Ω (${pct(p.omegaMean)}) says nothing about ${baseline}`
    : `Ω ${pct(p.omegaMean)} of the features' explained variance is explained by ${baseline}`;
}

export async function auditFeatures(dataset: Dataset, features: string, opts: AuditOptions): Promise<AuditJson> {
  registerBuiltinFeatures();
  const simple = opts.simple ?? defaultSimpleFeatures(dataset);
  const oasmSpec = opts.oasm ?? 'oasm:sigma=2';
  const select = opts.select ?? 'validation';
  const seed = opts.seed ?? 42;
  const bandedIter = opts.bandedIter ?? DEFAULT_BANDED_ITER;
  const bandedSeed = opts.bandedSeed ?? 0;
  const blockChunk = longestBlock(dataset.samples.block) > 20 ? 10 : undefined; // Blank: 10-TR chunks for blocked statistics
  const steps = ['features shuffled', 'features contiguous', 'OASM shuffled', 'OASM contiguous', 'simple contiguous', 'simple | features', 'OASM | features', 'Brain-Score protocol'];
  let step = 0;
  const progress = (label: string) => (d: number, t: number) => opts.onProgress?.(step + d / Math.max(1, t), steps.length, label);
  const fit = async (spec: string, split: 'shuffled' | 'contiguous', label: string): Promise<SpecScore> => {
    const s = await scoreSpec(dataset, spec, { split, seed, select, backend: opts.backend, alphas: opts.alphas, unitBatch: opts.unitBatch, bandedIter, bandedSeed, compat: opts.compat, keepErrors: true, onProgress: progress(label) });
    step++;
    return s;
  };
  const fShuf = await fit(features, 'shuffled', steps[0]);
  const fCont = await fit(features, 'contiguous', steps[1]);
  const oShuf = await fit(oasmSpec, 'shuffled', steps[2]);
  const oCont = await fit(oasmSpec, 'contiguous', steps[3]);
  const sCont = await fit(simple, 'contiguous', steps[4]);
  const pSimple = await partitionFeatures(dataset, simple, features, {
    split: 'contiguous', seed, select, backend: opts.backend, alphas: opts.alphas, unitBatch: opts.unitBatch, bandedIter, bandedSeed, compat: opts.compat, blocking: opts.compat === 'paper' ? 'paper' : 'block', blockChunk,
    precomputed: { a: sCont, b: fCont }, onProgress: progress(steps[5]),
  });
  step++;
  const pOasm = await partitionFeatures(dataset, oasmSpec, features, {
    split: 'shuffled', seed, select, backend: opts.backend, alphas: opts.alphas, unitBatch: opts.unitBatch, bandedIter, bandedSeed, compat: opts.compat, blocking: opts.compat === 'paper' ? 'paper' : 'block', blockChunk,
    precomputed: { a: oShuf, b: fShuf }, onProgress: progress(steps[6]),
  });
  step++;
  let brainscore: AuditJson['brainscore'] = null;
  const spec = parseFeatureSpec(features);
  const oldWaySkipped = opts.brainscore === false
    ? 'not run (--no-brainscore)'
    : spec.bands.length > 1 || expandGrid(spec).axis || seedsOfSpec(features)
      ? `not run: Brain-Score's protocol fits one feature space, and ${features} has ${spec.bands.length > 1 ? 'bands' : expandGrid(spec).axis ? 'a grid' : 'several seeds'} (choose the layer or σ and audit it alone)`
      : null;
  if (oldWaySkipped === null) {
    const [x] = await buildFeatureSpec(spec, { dataset });
    const bs = await brainScoreLinearShuffle(dataset, x, { backend: opts.backend });
    const normalised = bs.experiments.some((e) => e.ceiling);
    const noCeiling = bs.experiments.filter((e) => e.ceiling === null).map((e) => e.ceilingNote);
    brainscore = { ...brainScoreToJson(bs), verdict: `the old protocol (shuffled splits, OLS, median r${normalised ? ', ceiling-normalised' : ''}) reports ${f3(bs.score)}${normalised ? ` (raw r ${f3(bs.raw)})` : ' (raw r)'}, where the contiguous-fold R² is ${f3(specScoreToJson(fCont).dataset.r2)}${noCeiling.length ? ` (${[...new Set(noCeiling)].join('; ')})` : ''}` };
  }
  step++;
  opts.onProgress?.(steps.length, steps.length, 'done');

  // Leak: shuffled vs contiguous per subject.
  const js = specScoreToJson(fShuf);
  const jc = specScoreToJson(fCont);
  const sh = js.subjects.map((s) => s.r2);
  const co = jc.subjects.map((s) => s.r2);
  const diffs = sh.map((v, i) => v - co[i]);
  const meanDiff = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  const sem = diffs.length > 1 ? Math.sqrt(diffs.reduce((a, d) => a + (d - meanDiff) ** 2, 0) / (diffs.length - 1) / diffs.length) : 0;
  const t = pairedTTest(sh, co, 'greater');
  const p = Number.isNaN(t.p) ? 1 : t.p;
  const flagged = meanDiff > 0.005 && (p < 0.05 || (diffs.length < 3 && meanDiff > 2 * sem));
  const leakVerdict = flagged
    ? `LEAK: shuffled folds inflate the score (R² ${f3(js.dataset.r2)} shuffled vs ${f3(jc.dataset.r2)} contiguous, p = ${p.toPrecision(2)} over ${diffs.length} subjects); held-out samples have their block neighbours in training — report contiguous folds`
    : `no leak detected: shuffled (${f3(js.dataset.r2)}) does not exceed contiguous (${f3(jc.dataset.r2)}) beyond noise (p = ${p.toPrecision(2)})`;

  const oS = specScoreToJson(oShuf).dataset.r2;
  const oC = specScoreToJson(oCont).dataset.r2;
  const sC = specScoreToJson(sCont).dataset.r2;
  const rows: AuditRow[] = [
    row('features-shuffled', 'features, shuffled folds', fShuf, 'shuffled', oS >= js.dataset.r2 ? `a feature with no language (OASM, ${f3(oS)}) scores as high or higher under the same folds` : `scores above OASM (${f3(oS)}) under the same folds`),
    row('features-contiguous', 'features, contiguous folds', fCont, 'contiguous', jc.dataset.r2 <= 0.001 ? 'about zero with honest folds' : jc.dataset.r2 > sC ? `above the simple features (${f3(sC)})` : `no higher than the simple features (${f3(sC)})`),
    row('oasm-shuffled', 'OASM baseline, shuffled folds', oShuf, 'shuffled', oS > 0.005 ? 'temporal autocorrelation alone predicts the data when folds are shuffled' : 'no autocorrelation signal'),
    row('oasm-contiguous', 'OASM baseline, contiguous folds', oCont, 'contiguous', oC <= 0.005 ? 'about zero, as it must be: OASM cannot predict held-out blocks' : 'above zero: check that blocks are contiguous and folds hold out whole blocks'),
    row('simple-contiguous', `simple features (${simple}), contiguous folds`, sCont, 'contiguous', sC > 0.005 ? 'position and length alone explain part of the responses' : 'position and length explain little here'),
    row('simple+features-contiguous', 'simple | features (banded), contiguous folds', pSimple.joint, 'contiguous', omegaRowVerdict(pSimple, 'the simple features')),
    row('oasm+features-shuffled', 'OASM | features (banded), shuffled folds', pOasm.joint, 'shuffled', omegaRowVerdict(pOasm, 'OASM')),
  ];
  const partitions = [partitionEntry('simple', 'contiguous', pSimple, `the simple features (${simple})`), partitionEntry('oasm', 'shuffled', pOasm, "OASM's autocorrelation columns")];
  const warnings = [...new Set([
    ...([[fShuf, 'features, shuffled folds'], [fCont, 'features, contiguous folds'], [oShuf, 'OASM, shuffled folds'], [oCont, 'OASM, contiguous folds'], [sCont, 'simple features, contiguous folds'], [pSimple.joint, 'simple | features'], [pOasm.joint, 'OASM | features']] as const)
      .flatMap(([s, label]) => s.warnings.map((w) => `${label}: ${w}`)),
  ])];
  const verdicts = [
    { line: 'Leak', verdict: leakVerdict },
    { line: 'Honest score', verdict: `contiguous-fold R² ${f3(jc.dataset.r2)} ± ${f3(jc.dataset.r2_sem)} (r ${f3(jc.dataset.r)})` },
    { line: 'Simple features', verdict: partitions[0].verdict },
    { line: 'OASM (shuffled)', verdict: partitions[1].verdict },
    { line: 'Old way', verdict: brainscore ? brainscore.verdict : oldWaySkipped ?? 'not run' },
    ...warnings.map((w) => ({ line: 'Warning', verdict: w })),
  ];
  const audit: AuditJson = {
    kind: 'audit', dataset: dataset.name, source: dataset.source, dataset_hash: datasetHash(dataset), features,
    settings: { seed, select, banded_iter: bandedIter, banded_seed: bandedSeed, simple, oasm: oasmSpec, backend: opts.backend.name, compat: opts.compat ?? null, inner_zscore: opts.compat !== 'paper' },
    rows, leak: { shuffled_r2: js.dataset.r2, contiguous_r2: jc.dataset.r2, difference: meanDiff, sem, p, flagged, verdict: leakVerdict },
    partitions, brainscore, verdicts, warnings,
  };
  if (opts.outDir) {
    try {
      writeAudit(opts.outDir, audit, { fShuf, fCont, oShuf, oCont, sCont, pSimple, pOasm });
    } catch (err) {
      throw new ResultWriteError(opts.outDir, err, audit);
    }
  }
  return audit;
}

/** Writes audit.json and one folder per analysis (score.json/units.csv; partition-<id>/partition.json + units.csv). */
function writeAudit(dir: string, audit: AuditJson, fits: { fShuf: SpecScore; fCont: SpecScore; oShuf: SpecScore; oCont: SpecScore; sCont: SpecScore; pSimple: PartitionResult; pOasm: PartitionResult }): void {
  mkdirSync(dir, { recursive: true });
  writeScore(join(dir, 'features-shuffled'), fits.fShuf);
  writeScore(join(dir, 'features-contiguous'), fits.fCont);
  writeScore(join(dir, 'oasm-shuffled'), fits.oShuf);
  writeScore(join(dir, 'oasm-contiguous'), fits.oCont);
  writeScore(join(dir, 'simple-contiguous'), fits.sCont);
  for (const [id, p, split] of [['simple', fits.pSimple, 'contiguous'], ['oasm', fits.pOasm, 'shuffled']] as const) {
    const sub = join(dir, `partition-${id}`);
    mkdirSync(sub, { recursive: true });
    writeFileAtomic(join(sub, 'partition.json'), JSON.stringify(partitionJson(p, split), null, 2) + '\n');
    writeFileAtomic(join(sub, 'units.csv'), partitionCsv(p));
  }
  writeFileAtomic(join(dir, 'audit.json'), JSON.stringify(audit, null, 2) + '\n');
}
