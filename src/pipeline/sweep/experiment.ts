/**
 * Experiment files: a grid of fits to run, in YAML (or JSON, which is YAML too).
 *
 *   name: figure1-fedorenko          # optional; default: the file name without extension
 *   description: …                   # optional, free text
 *   datasets: [sim:fedorenko]        # required: dataset specs (as `brainmap score --dataset`)
 *   features:                        # required: feature specs (as `brainmap score --features`)
 *     - oasm:sigma=grid              #   one job: fits every σ and selects (see `select`)
 *     - spec: oasm:sigma=0.1,0.5,1   #   one job per grid value
 *       expand: true
 *   splits: [shuffled, contiguous]   # default [contiguous]
 *   estimators: [ridge]              # ridge | ols; default [ridge]
 *   seeds: [42]                      # default [42]
 *   select: [validation]             # validation | test, for specs with a grid; default [validation]
 *   alphas: [0.03125, …]             # optional ridge penalties; default 2^-5 … 2^19
 *   gap: 4                           # optional: samples dropped from training around held-out ones (score --gap); default 0
 *   normalise: ceiling               # optional: also ceiling-normalised scores (score --normalise ceiling)
 *   ceiling_method: auto             # with normalise: auto | split-half | subject-pool; default auto
 *   unit_chunk: 5000                 # optional: queue workers fit each job's units in chunks of this many
 *   store: ./results                 # optional default results store
 *
 * A scalar is accepted wherever a list is (`splits: shuffled`). Relative paths (dataset folders and
 * files, `file:` features, `path=`/`dir=` feature arguments, `store`) are relative to the
 * experiment file. Every problem is an InputError "<file>: <field path>: <what was expected>".
 */
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { InputError, inputError } from '../../data/errors.js';
import { parseFeatureSpec } from '../../features/spec.js';
import { expandGrid } from '../../features/grid.js';
import { datasetSourcePrefixes } from '../../io/dataset.js';
import { splitAssemblySpec } from '../../io/assemblies.js';
import { readText } from '../../io/fsutil.js';
import type { Estimator } from '../../regression/ridge.js';
import type { SplitScheme } from '../../regression/splits.js';
import type { SelectMode } from '../select.js';

/** One entry of `features`: a spec, and whether its grid (if any) becomes one job per value. */
export interface ExperimentFeature {
  spec: string;
  expand: boolean;
}

/** A validated experiment: every list non-empty, defaults filled in, paths resolved. */
export interface Experiment {
  name: string;
  description: string;
  /** The file it was read from ('' when built in code). */
  file: string;
  datasets: string[];
  features: ExperimentFeature[];
  splits: SplitScheme[];
  estimators: Estimator[];
  seeds: number[];
  select: SelectMode[];
  /** Ridge penalties; null for the default 2⁻⁵…2¹⁹. */
  alphas: number[] | null;
  /** `gap:` samples dropped from training around held-out samples (score --gap); absent = 0. */
  gap?: number;
  /**
   * `normalise: ceiling`: every job also reports its scores divided by the units' noise ceilings
   * (score --normalise ceiling), the ceilings computed with this method; absent = not normalised.
   */
  normalise?: CeilingMethodOption;
  /** `unit_chunk:` units per chunk when a queue spreads one fit over several workers (chunks.ts); absent = whole fits. */
  unitChunk?: number;
  /** Default store path (absolute), or null. */
  store: string | null;
}

export const EXPERIMENT_KEYS = ['name', 'description', 'datasets', 'features', 'splits', 'estimators', 'seeds', 'select', 'alphas', 'store', 'gap', 'normalise', 'ceiling_method', 'unit_chunk'] as const;

/** How noise ceilings are computed for `normalise: ceiling` (score --ceiling-method). */
export type CeilingMethodOption = 'auto' | 'split-half' | 'subject-pool';
const CEILING_METHODS: readonly CeilingMethodOption[] = ['auto', 'split-half', 'subject-pool'];

const SPLITS: readonly SplitScheme[] = ['contiguous', 'shuffled'];
const ESTIMATORS: readonly Estimator[] = ['ridge', 'ols'];
const SELECTS: readonly SelectMode[] = ['validation', 'test'];

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `the ${typeof v} ${String(v)}`;
}

/** A list field: a scalar is a one-element list; an empty list is an error. */
function listOf<T>(file: string, field: string, raw: unknown, item: (v: unknown, path: string) => T, expected: string): T[] {
  const values = Array.isArray(raw) ? raw : [raw];
  if (values.length === 0) throw inputError(file, field, `empty list; expected at least one ${expected}`);
  return values.map((v, i) => item(v, Array.isArray(raw) ? `${field}[${i}]` : field));
}

function choice<T extends string>(file: string, allowed: readonly T[]) {
  return (v: unknown, path: string): T => {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw inputError(file, path, `expected one of ${allowed.join(', ')}, got ${describe(v)}`);
    return v as T;
  };
}

function str(file: string, v: unknown, path: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw inputError(file, path, `expected a non-empty string, got ${describe(v)}`);
  return v.trim();
}

/** Resolves a path relative to the experiment's folder (absolute paths stay as they are). */
function rel(base: string, p: string): string {
  return isAbsolute(p) ? p : resolve(base, p);
}

/**
 * Resolves the path inside a dataset spec relative to `base`: registered sources (`sim:…`) are
 * kept; `<assembly>:<path>` and plain paths get their path resolved.
 */
export function resolveDatasetSpec(spec: string, base: string): string {
  const m = /^([A-Za-z][A-Za-z0-9_-]*):(.*)$/s.exec(spec);
  if (m !== null && datasetSourcePrefixes().includes(m[1])) return spec;
  const asm = splitAssemblySpec(spec);
  if (asm !== null) return `${spec.slice(0, spec.length - asm.path.length)}${rel(base, asm.path)}`;
  return rel(base, spec);
}

/** Resolves `file:<path>` terms and `path=`/`dir=` arguments of a feature spec relative to `base`. */
export function resolveFeatureSpec(spec: string, base: string): string {
  const parsed = parseFeatureSpec(spec);
  return parsed.bands.map((band) => band.terms.map((t) => {
    if (t.name === 'file') return `file:${rel(base, t.params.path)}`;
    // lm:./folder or lm:../folder: a model folder relative to the experiment file.
    if (t.name === 'lm' && /^\.\.?[\\/]/.test(t.positional[0] ?? '')) {
      const parts = t.text.split(':');
      return [parts[0], rel(base, parts[1].trim()), ...parts.slice(2)].join(':');
    }
    if (t.params.path === undefined && t.params.dir === undefined) return t.text;
    const parts = t.text.split(':');
    return [parts[0], ...parts.slice(1).map((a) => {
      const m = /^\s*(path|dir)\s*=\s*(.*?)\s*$/s.exec(a);
      return m ? `${m[1]}=${rel(base, m[2])}` : a;
    })].join(':');
  }).join('+')).join(' | ');
}

/**
 * Validates a parsed experiment object. `file` names the source in messages; relative paths are
 * resolved against `baseDir`.
 */
export function validateExperiment(raw: unknown, file: string, baseDir: string, defaultName: string): Experiment {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw inputError(file, '(top level)', `expected a mapping with keys ${EXPERIMENT_KEYS.join(', ')}, got ${describe(raw)}`);
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!(EXPERIMENT_KEYS as readonly string[]).includes(k)) throw inputError(file, k, `unknown key; expected one of ${EXPERIMENT_KEYS.join(', ')}`);
  }
  for (const k of ['datasets', 'features'] as const) {
    if (obj[k] === undefined || obj[k] === null) throw inputError(file, k, `missing; expected a list of ${k === 'datasets' ? 'dataset specs (e.g. sim:fedorenko)' : 'feature specs (e.g. oasm:sigma=grid)'}`);
  }
  let name = defaultName;
  if (obj.name !== undefined) {
    name = str(file, obj.name, 'name');
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw inputError(file, 'name', `expected letters, digits, '.', '_' and '-' (it names a file in the store), got ${JSON.stringify(name)}`);
  }
  const description = obj.description === undefined ? '' : str(file, obj.description, 'description');

  const datasets = listOf(file, 'datasets', obj.datasets, (v, p) => resolveDatasetSpec(str(file, v, p), baseDir), 'dataset spec');

  const features = listOf(file, 'features', obj.features, (v, p): ExperimentFeature => {
    let spec: string;
    let expand = false;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) if (k !== 'spec' && k !== 'expand') throw inputError(file, `${p}.${k}`, 'unknown key; expected spec or expand');
      if (o.spec === undefined) throw inputError(file, `${p}.spec`, 'missing; expected a feature spec such as oasm:sigma=grid');
      spec = str(file, o.spec, `${p}.spec`);
      if (o.expand !== undefined) {
        if (typeof o.expand !== 'boolean') throw inputError(file, `${p}.expand`, `expected true or false, got ${describe(o.expand)}`);
        expand = o.expand;
      }
    } else {
      spec = str(file, v, p);
    }
    try {
      const resolved = resolveFeatureSpec(spec, baseDir);
      expandGrid(parseFeatureSpec(resolved));
      return { spec: resolved, expand };
    } catch (err) {
      if (err instanceof InputError) throw inputError(file, p, err.message.replace(/^--features: /, ''));
      throw err;
    }
  }, 'feature spec');

  const splits = obj.splits === undefined ? ['contiguous' as const] : listOf(file, 'splits', obj.splits, choice(file, SPLITS), 'split scheme (contiguous or shuffled)');
  const estimators = obj.estimators === undefined ? ['ridge' as const] : listOf(file, 'estimators', obj.estimators, choice(file, ESTIMATORS), 'estimator (ridge or ols)');
  const select = obj.select === undefined ? ['validation' as const] : listOf(file, 'select', obj.select, choice(file, SELECTS), 'select mode (validation or test)');
  const seeds = obj.seeds === undefined ? [42] : listOf(file, 'seeds', obj.seeds, (v, p) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 0xffffffff) throw inputError(file, p, `expected an integer in 0…4294967295, got ${describe(v)}`);
    return v;
  }, 'seed');
  const alphas = obj.alphas === undefined ? null : listOf(file, 'alphas', obj.alphas, (v, p) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw inputError(file, p, `expected a positive number, got ${describe(v)}`);
    return v;
  }, 'ridge penalty');
  const store = obj.store === undefined ? null : rel(baseDir, str(file, obj.store, 'store'));
  const gap = obj.gap === undefined ? 0 : obj.gap;
  if (typeof gap !== 'number' || !Number.isSafeInteger(gap) || gap < 0) throw inputError(file, 'gap', `expected a non-negative integer (samples), got ${describe(gap)}`);
  if (obj.normalise !== undefined && obj.normalise !== 'ceiling') throw inputError(file, 'normalise', `expected ceiling (scores divided by the units' noise ceilings, as score --normalise ceiling), got ${describe(obj.normalise)}`);
  if (obj.ceiling_method !== undefined && obj.normalise === undefined) throw inputError(file, 'ceiling_method', 'applies with normalise: ceiling; add it or remove ceiling_method');
  const normalise = obj.normalise === undefined ? undefined : obj.ceiling_method === undefined ? 'auto' as const : choice(file, CEILING_METHODS)(obj.ceiling_method, 'ceiling_method');
  const unitChunk = obj.unit_chunk;
  if (unitChunk !== undefined && (typeof unitChunk !== 'number' || !Number.isSafeInteger(unitChunk) || unitChunk < 1)) throw inputError(file, 'unit_chunk', `expected a positive integer (units per chunk), got ${describe(unitChunk)}`);

  for (const [field, list] of [['datasets', datasets], ['features', features.map((f) => `${f.spec}\u0000${f.expand}`)], ['splits', splits], ['estimators', estimators], ['seeds', seeds], ['select', select]] as const) {
    const seen = new Set<string | number>();
    (list as readonly (string | number)[]).forEach((v, i) => {
      if (seen.has(v)) throw inputError(file, `${field}[${i}]`, `duplicate of an earlier entry (${String(v).replace('\u0000', ', expand ')}); each value must appear once`);
      seen.add(v);
    });
  }
  return { name, description, file, datasets, features, splits, estimators, seeds, select, alphas, store, ...(gap ? { gap } : {}), ...(normalise ? { normalise } : {}), ...(unitChunk !== undefined ? { unitChunk } : {}) };
}

/** Most alias expansions an experiment file may use (YAML "billion laughs" files are refused). */
export const MAX_ALIAS_COUNT = 100;

/** Parses experiment text (YAML 1.2, so JSON too). YAML syntax errors name the line and column. */
export function parseExperiment(text: string, file: string, baseDir: string = process.cwd()): Experiment {
  const doc = parseDocument(text, { uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}` : 'YAML';
    const what = err.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '').trim();
    throw inputError(file, where, `YAML syntax error: ${what}`);
  }
  const stem = basename(file, extname(file)).replace(/[^A-Za-z0-9._-]/g, '_') || 'experiment';
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // The YAML library throws ReferenceError for an alias without anchor and for alias bombs.
    if (!(e instanceof ReferenceError)) throw e;
    const unresolved = /^Unresolved alias.*: (.*)$/.exec(e.message);
    if (unresolved) throw inputError(file, 'YAML', `alias *${unresolved[1]} has no anchor &${unresolved[1]} before it`);
    throw inputError(file, 'YAML', `aliases expand to too much data (more than ${MAX_ALIAS_COUNT} expansions: a guard against "billion laughs" files); expected an experiment file that repeats less through aliases`);
  }
  return validateExperiment(value, file, baseDir, stem);
}

/** Reads and validates an experiment file (.yaml, .yml or .json). */
export function readExperiment(path: string): Experiment {
  // A missing file, a folder, unreadable bytes or invalid UTF-8: one InputError naming the file.
  const text = readText(path, 'experiment');
  return parseExperiment(text, path, dirname(resolve(path)));
}
