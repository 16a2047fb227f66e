import { InputError } from '../data/errors.js';
import { parseDelays } from './delays.js';

/**
 * Feature specifications, as typed on the command line:
 *
 *   spec   := band ( '|' band )*        bands of a banded ridge (each its own penalty)
 *   band   := term ( '+' term )*        terms stacked into one feature space
 *   term   := name ( ':' arg )*         arg is `key=value` or a positional value
 *   term   := 'file:' path              (the path is taken verbatim)
 *
 * e.g. `oasm:sigma=1.8`, `sp:sigma=3.4+sl`, `file:features/layer12.npy`.
 *
 * Any term may end in the modifier `:delays=1,2,3,4` (FIR delays in samples, features/delays.ts);
 * it is taken out of `params` into `delays` here, so features never see it.
 */
export interface FeatureTerm {
  /** Registered feature name, lower case (e.g. 'oasm', 'file'). */
  name: string;
  /** key=value arguments. */
  params: Record<string, string>;
  /** Positional arguments (values without '='), in order. */
  positional: string[];
  /** The term as written. */
  text: string;
  /** FIR delays (samples) from the `delays=` modifier, in the order written; absent when not given. */
  delays?: number[];
}

export interface FeatureBand {
  terms: FeatureTerm[];
  text: string;
}

export interface FeatureSpec {
  bands: FeatureBand[];
  text: string;
}

export function parseTerm(text: string): FeatureTerm {
  const term = parseTermArgs(text);
  if (term.name === 'file') {
    // `file:<path>:delays=…` — the path is verbatim up to a trailing delays modifier.
    const m = /^(.*):delays=([^:]*)$/.exec(term.params.path);
    if (!m) return term;
    if (m[1] === '') throw new InputError(`--features: "${term.text}": expected file:<path to a samples × features .npy>`);
    return { ...term, params: { path: m[1] }, positional: [m[1]], delays: parseDelays(m[2], term.text) };
  }
  if (!('delays' in term.params)) return term;
  const { delays, ...params } = term.params;
  return { ...term, params, delays: parseDelays(delays, term.text) };
}

function parseTermArgs(text: string): FeatureTerm {
  const t = text.trim();
  if (t === '') throw new InputError(`--features: empty feature term in "${text}"; expected e.g. oasm:sigma=1.8`);
  const colon = t.indexOf(':');
  const name = (colon < 0 ? t : t.slice(0, colon)).trim().toLowerCase();
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) throw new InputError(`--features: "${t}": feature name "${name}" is not a name (letters, digits, _ and -)`);
  if (name === 'file') {
    const path = colon < 0 ? '' : t.slice(colon + 1);
    if (path === '') throw new InputError(`--features: "${t}": expected file:<path to a samples × features .npy>`);
    return { name, params: { path }, positional: [path], text: t };
  }
  const params: Record<string, string> = {};
  const positional: string[] = [];
  if (colon >= 0) {
    for (const raw of t.slice(colon + 1).split(':')) {
      const arg = raw.trim();
      if (arg === '') throw new InputError(`--features: "${t}": empty argument`);
      const eq = arg.indexOf('=');
      if (eq < 0) { positional.push(arg); continue; }
      const key = arg.slice(0, eq).trim();
      const value = arg.slice(eq + 1).trim();
      if (key === '' || value === '') throw new InputError(`--features: "${t}": argument "${arg}" must be key=value`);
      if (key in params) throw new InputError(`--features: "${t}": argument "${key}" given twice`);
      params[key] = value;
    }
  }
  return { name, params, positional, text: t };
}

export function parseFeatureSpec(text: string): FeatureSpec {
  if (text.trim() === '') throw new InputError('--features: empty; expected a feature spec such as oasm:sigma=1.8 or file:X.npy');
  const bands = text.split('|').map((b) => ({ terms: b.split('+').map(parseTerm), text: b.trim() }));
  return { bands, text: text.trim() };
}

/**
 * A decimal number as written in a spec (`1.8`, `-2`, `.5`, `1e-3`): no blanks, no hex (`0x10`),
 * no `Infinity`; NaN for anything else, including the empty string.
 */
export function parseDecimal(raw: string): number {
  return /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(raw) ? Number(raw) : NaN;
}

/** A numeric parameter, with a message naming the term and what was expected. */
export function numberParam(term: FeatureTerm, key: string, opts: { min?: number; max?: number; integer?: boolean; fallback?: number } = {}): number {
  const raw = term.params[key];
  if (raw === undefined) {
    if (opts.fallback !== undefined) return opts.fallback;
    throw new InputError(`--features: "${term.text}": missing ${key}=<number>`);
  }
  const v = parseDecimal(raw);
  const range = `${opts.min ?? '-∞'}…${opts.max ?? '∞'}`;
  if (!Number.isFinite(v) || (opts.integer && !Number.isInteger(v)) || (opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
    throw new InputError(`--features: "${term.text}": ${key}=${raw} is not ${opts.integer ? 'an integer' : 'a number'} in ${range}`);
  }
  return v;
}

/** Rejects parameters the feature does not know (catches typos such as `sigam=2`). */
export function checkParams(term: FeatureTerm, allowed: readonly string[]): void {
  for (const k of Object.keys(term.params)) {
    if (!allowed.includes(k)) throw new InputError(`--features: "${term.text}": unknown argument "${k}"; ${term.name} takes ${allowed.length ? allowed.join(', ') : 'no arguments'}`);
  }
}
