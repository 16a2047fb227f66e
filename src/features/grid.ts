import { InputError } from '../data/errors.js';
import { parseDecimal, type FeatureSpec, type FeatureTerm } from './spec.js';

/**
 * Hyper-parameter grids in feature specs: `oasm:sigma=grid`, `sp:sigma=grid`, `wp:sigma=grid`,
 * `pwr:sigma=grid`, `ramps:len=grid`, or an explicit list `sigma=0.2,1.8,4.2`. One grid per spec.
 */
/** round(arange(0, 4.8, 0.1), 2): 0.0 … 4.7, 0 meaning unsmoothed (§3.2, §3.3). */
const positionSigmas = (): number[] => Array.from({ length: 48 }, (_, i) => Math.round(i * 10) / 100);

const GRIDS: Record<string, Record<string, () => number[]>> = {
  // np.linspace(0.1, 4.8, 48) rounded to 3 decimals (METHODS §3.1).
  oasm: { sigma: () => Array.from({ length: 48 }, (_, i) => Math.round((0.1 + i * 0.1) * 1000) / 1000) },
  sp: { sigma: positionSigmas },
  wp: { sigma: positionSigmas },
  pwr: { sigma: positionSigmas },
  // len_pos 3 … 50 (§3.4).
  ramps: { len: () => Array.from({ length: 48 }, (_, i) => i + 3) },
};

export interface GridAxis {
  /** The term that varies, e.g. 'oasm:sigma=grid'. */
  term: string;
  /** Parameter name, e.g. 'sigma'. */
  param: string;
  values: number[];
}

/**
 * Grids whose values depend on the term itself (e.g. `lm:<model>:layer=all` → 0 … n_layer of that
 * model): a feature family registers a resolver that returns the values, or undefined to defer to
 * the built-in grids.
 */
export type GridResolver = (term: FeatureTerm, param: string, raw: string) => number[] | undefined;
const RESOLVERS = new Map<string, GridResolver>();

/** Registers the grid resolver of feature `name` (values such as `all` become grids for it). */
export function registerGridResolver(name: string, resolver: GridResolver): void {
  RESOLVERS.set(name, resolver);
}

export function gridValues(term: FeatureTerm, param: string, raw: string): number[] {
  const resolved = RESOLVERS.get(term.name)?.(term, param, raw);
  if (resolved) return resolved;
  if (raw === 'grid') {
    const g = GRIDS[term.name]?.[param];
    if (!g) {
      const known = Object.entries(GRIDS).flatMap(([n, ps]) => Object.keys(ps).map((p) => `${n}:${p}=grid`)).join(', ');
      throw new InputError(`--features: "${term.text}": ${term.name} has no built-in grid for ${param}; known grids: ${known}; or give a list such as ${param}=0.5,1,2`);
    }
    return g();
  }
  const items = raw.split(',').map((v) => v.trim());
  const empty = items.findIndex((v) => v === '');
  if (empty >= 0) throw new InputError(`--features: "${term.text}": ${param}=${raw} has an empty item (position ${empty + 1}); expected a comma-separated list of numbers such as ${param}=0.5,1,2`);
  const values = items.map(parseDecimal);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new InputError(`--features: "${term.text}": ${param}=${raw}: '${items[bad]}' is not a decimal number; expected a comma-separated list of numbers such as ${param}=0.5,1,2`);
  const dup = values.findIndex((v, i) => values.indexOf(v) !== i);
  if (dup >= 0) throw new InputError(`--features: "${term.text}": ${param}=${raw}: ${items[dup]} appears twice; expected each value once`);
  return values;
}

function isGridValue(v: string, term: FeatureTerm): boolean {
  return v === 'grid' || v.includes(',') || (v === 'all' && RESOLVERS.has(term.name));
}

/** Finds the (single) grid of a spec and returns one concrete spec per value. */
export function expandGrid(spec: FeatureSpec): { axis: GridAxis | null; specs: FeatureSpec[] } {
  let found: { band: number; term: number; param: string; values: number[] } | null = null;
  spec.bands.forEach((band, b) => band.terms.forEach((term, t) => {
    if (term.name === 'file') return;
    for (const [k, v] of Object.entries(term.params)) {
      if (!isGridValue(v, term)) continue;
      if (found) throw new InputError(`--features: "${spec.text}": only one grid per spec (found ${k}=${v} besides ${found.param}=…)`);
      found = { band: b, term: t, param: k, values: gridValues(term, k, v) };
    }
  }));
  if (!found) return { axis: null, specs: [spec] };
  const g = found as { band: number; term: number; param: string; values: number[] };
  const term = spec.bands[g.band].terms[g.term];
  const specs = g.values.map((value) => {
    const bands = spec.bands.map((band, b) => {
      const terms = band.terms.map((t, i) => {
        if (b !== g.band || i !== g.term) return t;
        const params = { ...t.params, [g.param]: String(value) };
        const text = [t.name, ...t.positional, ...Object.entries(params).map(([k, v]) => `${k}=${v}`), ...(t.delays ? [`delays=${t.delays.join(',')}`] : [])].join(':');
        return { ...t, params, text };
      });
      return { terms, text: terms.map((t) => t.text).join('+') };
    });
    return { bands, text: bands.map((b) => b.text).join(' | ') };
  });
  return { axis: { term: term.text, param: g.param, values: g.values }, specs };
}
