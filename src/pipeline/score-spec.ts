import type { Dataset } from '../data/dataset.js';
import { datasetHash } from '../data/hash.js';
import { expandGrid, type GridAxis } from '../features/grid.js';
import { buildFeatureSpec } from '../features/registry.js';
import { registerBuiltinFeatures } from '../features/builtin.js';
import { parseFeatureSpec } from '../features/spec.js';
import { hstack } from '../linalg/matrix.js';
import { scoreFeatures, type ScoreOptions, type ScoreResult } from './score.js';
import { selectOverGrid, type SelectMode } from './select.js';

export interface CurvePoint {
  value: number;
  /** Dataset R² and r of this value alone (§5.5 aggregation). */
  r2: number;
  r: number;
}

/** A score of one feature spec: one fit, or a grid of fits and the selection over it. */
export interface SpecScore {
  spec: string;
  /** Content hash of the dataset (sha256 of responses, tables and design). */
  datasetHash: string;
  result: ScoreResult;
  grid: null | {
    axis: GridAxis;
    select: SelectMode;
    curve: CurvePoint[];
    /**
     * Chosen grid value per outer fold and experiment: `values` behind R² (and α, errors),
     * `values_r` behind r (test selection chooses per metric; validation once for both).
     */
    chosen: { experiment: string; values: number[]; values_r: number[] }[];
  };
}

export interface SpecScoreOptions extends Omit<ScoreOptions, 'onProgress'> {
  select?: SelectMode;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Parses a feature spec (terms joined with '+', bands separated by '|', at most one grid), builds
 * its features on the dataset and scores them — a banded ridge when there are several bands; with
 * a grid, scores every value and selects (§5.6).
 */
export async function scoreSpec(dataset: Dataset, specText: string, opts: SpecScoreOptions): Promise<SpecScore> {
  registerBuiltinFeatures();
  const spec = parseFeatureSpec(specText);
  const { axis, specs } = expandGrid(spec);
  const fits: ScoreResult[] = [];
  for (const [i, s] of specs.entries()) {
    const bands = await buildFeatureSpec(s, { dataset });
    const x = bands.length === 1 ? bands[0] : hstack(bands);
    fits.push(await scoreFeatures(dataset, x, {
      ...opts,
      bands: bands.map((b) => b.cols),
      onProgress: (d, t) => opts.onProgress?.(i * t + d, t * specs.length),
    }));
  }
  if (!axis) return { spec: spec.text, datasetHash: datasetHash(dataset), result: fits[0], grid: null };
  const select = opts.select ?? 'validation';
  const { result, chosen } = selectOverGrid(fits, select, { clip: axis.param === 'layer' });
  return {
    spec: spec.text,
    datasetHash: datasetHash(dataset),
    result,
    grid: {
      axis,
      select,
      curve: fits.map((f, i) => ({ value: axis.values[i], r2: f.r2.mean, r: f.r.mean })),
      chosen: chosen.map((c) => ({ experiment: c.experiment, values: c.perFold.map((k) => axis.values[k]), values_r: c.perFoldR.map((k) => axis.values[k]) })),
    },
  };
}
