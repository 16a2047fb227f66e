import type { Dataset } from '../data/dataset.js';
import { InputError } from '../data/errors.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { hstack } from '../linalg/matrix.js';
import { delayColumns } from './delays.js';
import type { FeatureBand, FeatureSpec, FeatureTerm } from './spec.js';

/** What a feature builder may look at. */
export interface FeatureContext {
  dataset: Dataset;
}

/** A named feature family (Brain-Score-style registry: one file and one registration each). */
export interface FeatureDefinition {
  name: string;
  /** One line for `brainmap features list` and error messages. */
  summary: string;
  /** Known key=value arguments. */
  params: readonly string[];
  /** Builds the samples × dims matrix for every sample of the dataset (in dataset row order). */
  build(term: FeatureTerm, ctx: FeatureContext): Matrix64 | Promise<Matrix64>;
}

const registry = new Map<string, FeatureDefinition>();

export function registerFeature(def: FeatureDefinition): void {
  registry.set(def.name, def);
}

export function featureDefinitions(): FeatureDefinition[] {
  return [...registry.values()];
}

export function getFeature(name: string): FeatureDefinition {
  const def = registry.get(name);
  if (!def) {
    const known = [...registry.keys()].sort().join(', ');
    throw new InputError(`--features: unknown feature "${name}"; known features: ${known}`);
  }
  return def;
}

/** Builds one term and checks it has one row per sample and only finite values. */
export async function buildTerm(term: FeatureTerm, ctx: FeatureContext): Promise<Matrix64> {
  const def = getFeature(term.name);
  const m = await def.build(term, ctx);
  const n = ctx.dataset.y.rows;
  // Name the file for file-backed features, else the term as written.
  const where = term.name === 'file' ? term.params.path : term.text;
  if (m.rows !== n) {
    throw new InputError(`${where}: rows: has ${m.rows} rows; expected ${n} (one per sample of ${ctx.dataset.name})`);
  }
  if (m.cols < 1) throw new InputError(`${where}: columns: has 0 columns; expected at least one feature column`);
  for (let i = 0; i < m.data.length; i++) {
    if (!Number.isFinite(m.data[i])) {
      const r = Math.floor(i / m.cols);
      throw new InputError(`${where}: values: row ${r}, column ${i - r * m.cols} is ${m.data[i]}; expected finite numbers`);
    }
  }
  return term.delays ? delayColumns(m, ctx.dataset.samples.block, term.delays) : m;
}

/** One band: its terms built and stacked side by side ('+'). */
export async function buildBand(band: FeatureBand, ctx: FeatureContext): Promise<Matrix64> {
  const parts: Matrix64[] = [];
  for (const t of band.terms) parts.push(await buildTerm(t, ctx));
  return parts.length === 1 ? parts[0] : hstack(parts);
}

/** Every band of a spec, built. */
export async function buildFeatureSpec(spec: FeatureSpec, ctx: FeatureContext): Promise<Matrix64[]> {
  const out: Matrix64[] = [];
  for (const b of spec.bands) out.push(await buildBand(b, ctx));
  return out;
}
