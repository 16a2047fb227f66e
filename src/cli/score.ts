import { Command, Option } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { InputError } from '../data/errors.js';
import { expandGrid } from '../features/grid.js';
import { parseFeatureSpec } from '../features/spec.js';
import type { Backend } from '../linalg/backend.js';
import { writeFileAtomic } from '../pipeline/results.js';
import { specScoreToJson, writeScore, type ScoreJson } from '../pipeline/results.js';
import type { SpecScore } from '../pipeline/score-spec.js';
import type { SelectMode } from '../pipeline/select.js';
import type { SplitScheme } from '../regression/splits.js';
import type { Estimator } from '../regression/ridge.js';
import { num, table, warningLine } from './format.js';
import { applyThreads, computeOptions, intInRange, seedArg } from './options.js';
import { DEFAULT_BANDED_ITER, PAPER_BANDED_ITER } from '../regression/banded-defaults.js';
import { checkOutputDir, writeFailure } from './outpath.js';
import { helpAfter } from './help.js';

export interface ScoreCommandOptions {
  dataset: string;
  stimuli?: string;
  features: string;
  split: SplitScheme;
  seed: number;
  estimator: Estimator;
  experiment?: string[];
  backend: 'auto' | 'native' | 'portable';
  threads?: number;
  unitBatch: number;
  alphas?: number[];
  select: SelectMode;
  nIter: number;
  bandedSeed: number;
  gap: number;
  innerZscore?: boolean;
  compat?: 'paper';
  protocol: 'paper' | 'brainscore';
  ceiling?: string;
  normalise?: 'ceiling';
  ceilingMethod: 'auto' | 'split-half' | 'subject-pool';
  out?: string;
  savePredictions?: boolean;
  json?: boolean;
  affine?: string;
}

export function registerScoreCommand(program: Command): void {
  program
    .command('score')
    .description('cross-validated brain score of one feature space on a dataset')
    .requiredOption('--dataset <spec>', 'dataset: a Brain-Score .nc assembly, name:path (fedorenko2016:<file.nc>), a dataset folder (y.npy, samples.csv, units.csv), or sim:pereira|fedorenko|blank')
    .option('--stimuli <file>', 'stimulus text (Fedorenko2016 or Pereira2018 sentences_ordered.txt, one sentence per line; Blank2014 story_data_dict.npz)')
    .requiredOption('--features <spec>', 'feature spec, e.g. oasm:sigma=1.8, sp:sigma=3.4+sl, wp:sigma=grid, file:X.npy ("+" stacks terms, "|" separates bands of a banded ridge)')
    .addOption(new Option('--split <scheme>', "train/test folds: contiguous blocks, or the paper's shuffled labels").choices(['contiguous', 'shuffled']).default('contiguous'))
    .option('--seed <n>', 'seed of the MT19937 stream that shuffles fold labels', seedArg(), 42)
    .addOption(computeOptions.estimator())
    .addOption(computeOptions.alphas())
    .option('--experiment <name...>', 'analyse only these experiments')
    .addOption(new Option('--select <how>', 'with a grid (sigma=grid, …): choose on inner-CV scores only, or on the reported test scores as the paper did').choices(['validation', 'test']).default('validation'))
    .addOption(computeOptions.backend())
    .addOption(computeOptions.threads())
    .addOption(computeOptions.unitBatch())
    .option('--inner-zscore', 'z-score the features within each inner fold as well as per outer fold, so that validation (α, σ, layer choice) sees what z-scoring does to held-out samples (the default; with --compat paper it keeps this one difference from the paper)')
    .addOption(computeOptions.compat("features z-scored once per outer fold, Schrimpf's r with undefined r counted as 0"))
    .addOption(computeOptions.nIter("banded ridge ('|' in --features): band-weight samples", PAPER_BANDED_ITER, DEFAULT_BANDED_ITER))
    .option('--banded-seed <n>', 'banded ridge: seed of the band-weight sampler (fits are reproducible)', seedArg(), 0)
    .option('--gap <n>', 'drop the training samples within n samples of a held-out sample of the same block (story/run), in outer and inner folds, so autocorrelation cannot leak across the boundary', intInRange(0), 0)
    .addOption(new Option('--protocol <name>', "paper: this paper's method (default); brainscore: Brain-Score's linear-shuffle protocol (10 shuffled 90/10 splits, OLS on raw features, median r over units, ceiling-normalised)").choices(['paper', 'brainscore']).default('paper'))
    .option('--ceiling <value>', "with --protocol brainscore: 'published' (default: only on the assembly it was computed on, else the raw score and why), 'none', or a number")
    .addOption(new Option('--normalise <what>', "ceiling: also report scores divided by each unit's noise ceiling (r / c, R² / c²; units with c ≤ 0 left out), see brainmap ceiling").choices(['ceiling']))
    .addOption(new Option('--ceiling-method <name>', 'with --normalise ceiling: split-half (samples.csv repeat column), subject-pool (≥ 3 subjects), or auto (split-half when there are repeats)').choices(['auto', 'split-half', 'subject-pool']).default('auto'))
    .option('--out <dir>', 'also write score.json and units.csv (per-unit R², r, α) here; with --normalise ceiling also ceilings.csv')
    .option('--save-predictions', 'with --out: also write predictions.npy (samples × units, dataset order, float32, held-out predictions in the units of y), folds.csv (per fold and unit: R², r, α, and each band\'s γ for banded fits) and, with a grid, grid.csv (unit R² and r per grid value)')
    .option('--json', 'print one JSON object instead of a table')
    .option('--affine <file>', 'with --out, for units with coordinates (units.csv x, y, z in mm, e.g. Pereira2018): also write r2.nii and r.nii (NIfTI-1, one volume per subject, NaN where no unit) on the grid of this voxel-to-mm affine (16 numbers, row by row)')
    .addHelpText('after', helpAfter('score', { features: true }))
    .action(runScoreCommand);
}

export async function runScoreCommand(opts: ScoreCommandOptions): Promise<void> {
  // An unusable --out fails now, not after the fit.
  if (opts.out) checkOutputDir(opts.out, '--out');
  if (opts.savePredictions && !opts.out) throw new InputError('--save-predictions: needs --out <dir> (where to write predictions.npy and folds.csv)');
  if (opts.savePredictions && opts.protocol === 'brainscore') throw new InputError('--save-predictions: applies to --protocol paper');
  // A NIfTI export that cannot happen fails now, not after the fit.
  if (opts.affine !== undefined && !opts.out) throw new InputError('--affine: needs --out <dir> (the maps are written beside units.csv)');
  if (opts.affine !== undefined) (await import('../pipeline/nifti-export.js')).readAffine(opts.affine);
  // The heavy modules load when the command runs, not when the CLI starts (see main.ts).
  const [{ getBackend }, { loadDataset }, { scoreSpec }, { DelayedProgress }] = await Promise.all([
    import('../linalg/index.js'), import('../io/dataset.js'), import('../pipeline/score-spec.js'), import('./progress.js'),
  ]);
  const backend = getBackend(opts.backend);
  applyThreads(backend, opts.threads);
  // A large dataset-folder y.npy is read in unit batches (the paper protocol's fit reads it so;
  // ceilings and the Brain-Score protocol need it whole).
  const dataset = await loadDataset(opts.dataset, { stimuli: opts.stimuli, batchedY: opts.protocol !== 'brainscore' && opts.normalise === undefined });
  if (opts.protocol === 'brainscore') {
    if (opts.normalise) throw new InputError("--normalise: applies to --protocol paper; the Brain-Score protocol normalises with --ceiling");
    return runBrainScoreProtocol(dataset, opts, backend);
  }
  // The ceilings come first: a dataset that has none fails before the fit.
  const ceilings = opts.normalise === 'ceiling'
    ? await (await import('../pipeline/ceiling.js')).computeCeilings(dataset, { method: opts.ceilingMethod, experiments: opts.experiment, backend })
    : null;
  const progress = new DelayedProgress('fitting');
  let scored: SpecScore;
  try {
    scored = await scoreSpec(dataset, opts.features, {
      split: opts.split,
      seed: opts.seed,
      estimator: opts.estimator,
      alphas: opts.alphas,
      backend,
      unitBatch: opts.unitBatch,
      experiments: opts.experiment,
      select: opts.select,
      bandedIter: opts.nIter,
      bandedSeed: opts.bandedSeed,
      gap: opts.gap,
      innerStandardize: opts.innerZscore,
      compat: opts.compat,
      keepPredictions: opts.savePredictions,
      onProgress: (d, t) => progress.update(d, t),
    });
  } finally {
    progress.stop();
  }
  if (ceilings !== null) {
    const { normaliseScores, normalisedToJson } = await import('../pipeline/ceiling.js');
    const normalised = normaliseScores(scored.result, ceilings, opts.compat === 'paper' ? 'zero' : 'omit');
    scored.ceiling = normalisedToJson(normalised);
    if (normalised.nExcluded > 0) scored.warnings.push(`${normalised.nExcluded} unit(s) have a noise ceiling ≤ 0 or undefined; they are left out of the ceiling-normalised scores`);
  }
  // Causal lm: models' perplexity on the dataset's text, stored with their features.
  const ppl = (await import('../pipeline/lm-perplexity.js')).specPerplexities(scored.spec, dataset);
  if (ppl.length > 0) scored.perplexity = ppl;
  if (opts.savePredictions && !scored.result.experiments.every((e) => e.predictions)) throw new InputError('--save-predictions: not available for lm:…:seeds=a-b (a mean over seeds has no single prediction)');
  // If writing still fails, the result is printed anyway and the failure is one error line.
  let writeError: unknown = null;
  if (opts.out) {
    try {
      writeScore(opts.out, scored);
      // Files the features left for the reader (e.g. synt's variants).
      (await import('../features/artifacts.js')).writeFeatureArtifacts(opts.out);
      if (opts.savePredictions) {
        (await import('../pipeline/predictions.js')).writePredictions(opts.out, scored, { samples: dataset.y.rows, units: dataset.y.cols });
      }
      if (ceilings !== null) writeFileAtomic(join(opts.out, 'ceilings.csv'), (await import('../pipeline/ceiling.js')).ceilingsCsv(ceilings));
    } catch (err) { writeError = err; }
  }
  const json = specScoreToJson(scored);
  if (opts.json) process.stdout.write(JSON.stringify(json, null, 2) + '\n');
  else process.stdout.write(formatSpecScore(json) + ppl.map((p) => `perplexity of ${p.model}${p.seed !== null ? ` (seed ${p.seed})` : ''} on the dataset's text: ${p.perplexity === null ? 'undefined' : p.perplexity.toPrecision(6)} (${p.tokens} tokens)\n`).join('') + (opts.out && writeError === null ? `wrote ${opts.out}/score.json${ceilings !== null ? `, ${opts.out}/ceilings.csv` : ''} and ${opts.out}/units.csv\n` : ''));
  if (writeError !== null) throw writeFailure(opts.out as string, '--out', writeError);
  if (opts.affine !== undefined && opts.out) {
    const w = (await import('../pipeline/nifti-export.js')).writeUnitNifti(opts.out, opts.affine);
    (opts.json ? process.stderr : process.stdout).write(`wrote ${w.files.join(' and ')} (NIfTI-1, ${w.dims.join(' × ')}; volumes: ${w.subjects.join(', ')})\n`);
  }
}

/** The readable form of a score (what `brainmap score` prints without --json). */
export function formatSpecScore(json: ScoreJson): string {
  const lines: string[] = [];
  lines.push(`${json.dataset.name}  ·  features ${json.features}  ·  ${json.settings.split} splits  ·  ${json.settings.estimator}  ·  seed ${json.settings.seed}`);
  for (const e of json.experiments) {
    lines.push(`experiment ${e.experiment || '(single)'}: ${e.n_samples} samples, ${e.n_units} units, ${e.fold_sizes.length} outer folds (sizes ${e.fold_sizes.join(', ')}), ${e.inner_folds[0]} inner${e.median_alpha !== null ? `, median α ${num(e.median_alpha, 3)}` : ''}`);
  }
  if (json.grid) {
    const g = json.grid;
    lines.push('');
    lines.push(`${g.param} curve (each value fitted alone; mean over subjects of per-subject unit means, unclipped as in docs/method.md §5.8 — the dataset score clips subject means at 0):`);
    lines.push(table([g.param, 'R²', 'r', 'R² clipped', 'r clipped'], g.curve.map((c) => [String(c.value), num(c.r2), num(c.r), num(c.r2_clipped), num(c.r_clipped)]), ['r', 'r', 'r', 'r', 'r']));
    for (const c of g.chosen) {
      const vals = [...new Set(c.values)];
      const where = c.experiment ? `experiment ${c.experiment}` : 'dataset';
      lines.push(g.select === 'test'
        ? `chosen ${g.param} (${where}): ${vals[0]} for R², ${c.values_r[0]} for r — each selected on its own reported test score (--select test, the paper's way; circular)`
        : `chosen ${g.param} per outer fold (${where}): ${c.values.join(', ')} — selected on inner-CV R² only (--select validation; r is reported at the same values)`);
    }
  }
  lines.push('');
  lines.push(table(['subject', 'units', 'R²', 'r'], json.subjects.map((s) => [s.subject, String(s.n_units), num(s.r2), num(s.r)]), ['l', 'r', 'r', 'r']));
  lines.push('');
  lines.push(`dataset  R² ${num(json.dataset.r2)} ± ${num(json.dataset.r2_sem)}   r ${num(json.dataset.r)} ± ${num(json.dataset.r_sem)}   (mean ± SEM over subjects; subject values are unit means clipped at 0)`);
  if (json.ceiling) {
    const c = json.ceiling;
    lines.push('');
    lines.push(`ceiling-normalised (${c.method} ceiling; ${c.rule}):`);
    lines.push(table(['subject', 'ceiling', 'excluded', 'R²/c²', 'r/c'], c.subjects.map((s) => [s.subject, num(s.ceiling), String(s.n_units_excluded), num(s.r2), num(s.r)]), ['l', 'r', 'r', 'r', 'r']));
    lines.push(`dataset  R²/c² ${num(c.dataset.r2)} ± ${num(c.dataset.r2_sem)}   r/c ${num(c.dataset.r)} ± ${num(c.dataset.r_sem)}   (ceiling: median over the subject's units with c > 0)`);
  }
  if (json.n_constant_units > 0) lines.push(`note: ${json.n_constant_units} unit(s) are constant on the test folds; their R² is undefined and counted as 0`);
  lines.push(...json.warnings.map(warningLine));
  if (json.n_undefined_r > 0) {
    const how = json.settings.compat === 'paper' ? 'counted as 0 (--compat paper)' : 'left out of the subject means of r';
    lines.push(`note: r is undefined for ${json.n_undefined_r} unit(s) (a constant prediction or constant responses on a test fold); ${how}`);
  }
  return lines.join('\n') + '\n';
}

function parseCeiling(raw: string | undefined): 'published' | number | null {
  if (raw === undefined || raw === 'published') return 'published';
  if (raw === 'none') return null;
  const v = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(v > 0 && v <= 1)) throw new InputError(`--ceiling: '${raw}' is not 'published', 'none' or a decimal number in (0, 1]`);
  return v;
}

async function runBrainScoreProtocol(dataset: Dataset, opts: ScoreCommandOptions, backend: Backend): Promise<void> {
  const [{ registerBuiltinFeatures }, { buildFeatureSpec }, { brainScoreLinearShuffle, brainScoreToJson }] = await Promise.all([
    import('../features/builtin.js'), import('../features/registry.js'), import('../pipeline/brainscore.js'),
  ]);
  registerBuiltinFeatures();
  const spec = parseFeatureSpec(opts.features);
  if (spec.bands.length > 1 || expandGrid(spec).axis) throw new InputError(`--features: "${opts.features}": the Brain-Score protocol fits one feature space with no grid (choose the layer or σ yourself)`);
  const [x] = await buildFeatureSpec(spec, { dataset });
  const res = await brainScoreLinearShuffle(dataset, x, { backend, ceiling: parseCeiling(opts.ceiling) });
  let writeError: unknown = null;
  if (opts.out) {
    try {
      mkdirSync(opts.out, { recursive: true });
      writeFileAtomic(join(opts.out, 'brainscore.json'), JSON.stringify({ features: spec.text, ...brainScoreToJson(res) }, null, 2) + '\n');
    } catch (err) {
      writeError = err;
    }
  }
  const fail = () => { if (writeError !== null) throw writeFailure(opts.out as string, '--out', writeError); };
  if (opts.json) { process.stdout.write(JSON.stringify({ features: spec.text, ...brainScoreToJson(res) }, null, 2) + '\n'); return fail(); }
  const lines = [
    `${dataset.name}  ·  features ${spec.text}  ·  Brain-Score linear-shuffle protocol (ShuffleSplit 10 × 90/10, random_state 1; OLS on raw features; median r over units; mean over splits)`,
    '',
    table(['experiment', 'units', 'raw r', 'ceiling', 'normalised'], res.experiments.map((e) => [e.experiment || '(single)', String(e.nUnits), num(e.raw), e.ceiling === null ? '—' : num(e.ceiling), e.normalized === null ? '—' : num(e.normalized)]), ['l', 'r', 'r', 'r', 'r']),
    '',
    ...res.experiments.map((e) => `${e.experiment ? `experiment ${e.experiment}: ` : ''}${e.ceilingNote}${e.ceiling === null ? ' — the raw score is reported' : ''}`),
    res.experiments.every((e) => e.splitOrder === 'assembly')
      ? "splits drawn over the assembly's presentation order (the file's rows), as Brain-Score does"
      : `splits drawn over the dataset's row order (${dataset.name} was not read from a Brain-Score assembly, so its presentation order is unknown)`,
    '',
    `score ${num(res.score)} (raw ${num(res.raw)})`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  fail();
}
