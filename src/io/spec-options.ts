/**
 * Reader options inside a dataset spec: `<name>:<path>::<key>=<value>[::<key>=<value>…]`, e.g.
 *
 *   pereira2018:/data/Pereira2018.nc::network=all::halves=/data/halves.csv
 *   blank2014:/data/Blank2014.nc::stimuli=/data/story_data_dict.npz
 *
 * Everything after the first `::` is options; a value may contain ':' and ',' (lists use ','),
 * but not '::'. A path that itself contains '::' cannot be given in a spec.
 */
import { inputError } from '../data/errors.js';

/** Options a reader receives: the spec's `key=value` pairs and the stimuli file, if any. */
export interface ReaderOptions {
  /** The whole spec as the user gave it (for messages). */
  spec: string;
  /** `key=value` pairs after `::`, in order. */
  options: Map<string, string>;
  /** Stimulus text file (`--stimuli`, or `::stimuli=` in the spec). */
  stimuli?: string;
}

/** Splits `<path>[::k=v…]` into the path and its options. `spec` names the whole spec in errors. */
export function splitSpecOptions(rest: string, spec: string): { path: string; options: Map<string, string> } {
  const k = rest.indexOf('::');
  const options = new Map<string, string>();
  if (k < 0) return { path: rest, options };
  const path = rest.slice(0, k);
  for (const part of rest.slice(k + 2).split('::')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw inputError(spec, 'dataset', `option '${part}' is not key=value (options follow the path as ::key=value)`);
    const key = part.slice(0, eq);
    if (options.has(key)) throw inputError(spec, 'dataset', `option '${key}' is given twice`);
    options.set(key, part.slice(eq + 1));
  }
  return { path, options };
}

/** Throws when an option is not one of `allowed` (the reader's `title` names it). */
export function checkOptionKeys(opts: ReaderOptions, allowed: readonly string[], title: string): void {
  for (const key of opts.options.keys()) {
    if (!allowed.includes(key)) {
      throw inputError(opts.spec, 'dataset', allowed.length === 0
        ? `option '${key}' is not known; the ${title} reader takes no options`
        : `option '${key}' is not known; the ${title} reader takes ${allowed.map((a) => `${a}=`).join(', ')}`);
    }
  }
}

/**
 * The stimuli file from `--stimuli` or `::stimuli=` (not both), or undefined. Callers that take
 * no stimuli file reject it with their own message.
 */
export function stimuliOption(opts: ReaderOptions): string | undefined {
  const inSpec = opts.options.get('stimuli');
  if (inSpec !== undefined && opts.stimuli !== undefined && inSpec !== opts.stimuli) {
    throw inputError(opts.spec, 'stimuli', `given twice (--stimuli ${opts.stimuli} and ::stimuli=${inSpec}); give one`);
  }
  const s = opts.stimuli ?? inSpec;
  if (s === '') throw inputError(opts.spec, 'stimuli', 'is empty; expected a path');
  return s;
}
