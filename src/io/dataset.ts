/**
 * One entry point for every dataset spec the CLI accepts:
 *
 *   <source>:<rest>   a registered source (registerDatasetSource), e.g. `sim:pereira`
 *   <assembly>:<path> a registered Brain-Score assembly reader, e.g. `fedorenko2016:/data/f.nc`
 *   <directory>       a generic dataset folder (y.npy + samples.csv [+ units.csv])
 *   <file>.nc         a Brain-Score assembly, identified by its stimulus_set_name
 *   pereira2018-mat:<folder>  Pereira's per-subject MAT files (src/io/mat.ts)
 *
 * Assembly specs take reader options after the path: `<name>:<path>::key=value[::key=value…]`
 * (src/io/spec-options.ts), e.g. `pereira2018:/d/P.nc::network=all::halves=/d/h.csv`.
 */
import { statSync } from 'node:fs';
import type { Dataset } from '../data/dataset.js';
import { inputError } from '../data/errors.js';
import { assemblyNames, readAssembly, splitAssemblySpec } from './assemblies.js';
import { readDatasetFolder } from './folder.js';
import { describeFsError } from './fsutil.js';
import { validateDataset } from './validate.js';
import { parseSimSpec, simulateDataset } from '../data/simulate.js';
import { readPereiraMatFolder } from './mat.js';
import { splitSpecOptions } from './spec-options.js';

/** Options of `loadDataset`. */
export interface LoadOptions {
  /**
   * Stimulus text file, for the readers that take one: Fedorenko2016 and Pereira2018 (one sentence
   * per line in the analysis order, e.g. sentences_ordered.txt) and Blank2014 (.npz of per-TR
   * strings per story).
   * Other sources reject it.
   */
  stimuli?: string;
  /**
   * Dataset folders: read a large y.npy in unit batches instead of whole (Dataset.ySource; see
   * readDatasetFolder); 'always': in batches whatever its size (a queue worker fitting a chunk of
   * units). Only for callers that handle `ySource` (`score`, sweeps' chunks). Default false.
   */
  batchedY?: boolean | 'always';
}

/**
 * Loads the dataset named by `rest` (the part after `<prefix>:`); `spec` is the whole spec.
 * Loaders that take no stimuli file should reject `options.stimuli`.
 */
export type DatasetSourceLoader = (rest: string, spec: string, options: LoadOptions) => Dataset | Promise<Dataset>;

const sources = new Map<string, DatasetSourceLoader>();

/**
 * Registers a loader for specs `<prefix>:<rest>` (prefix: letters, digits, '_', '-'; matched
 * case-sensitively). Replaces any loader already registered for the prefix, including the
 * built-in placeholder for `sim`.
 */
export function registerDatasetSource(prefix: string, loader: DatasetSourceLoader): void {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(prefix)) throw new RangeError(`registerDatasetSource: invalid prefix '${prefix}'`);
  sources.set(prefix, loader);
}

/** Registered source prefixes (without assembly names). */
export function datasetSourcePrefixes(): string[] {
  return [...sources.keys()];
}

function noStimuli(spec: string, options: LoadOptions, what: string): void {
  if (options.stimuli !== undefined) throw inputError(spec, 'stimuli', `${what} has its own text; --stimuli applies to fedorenko2016, pereira2018, pereira2018-mat and blank2014`);
}

registerDatasetSource('sim', (_rest, spec, opts) => {
  noStimuli(spec, opts, 'a simulated dataset');
  const { kind, options } = parseSimSpec(spec);
  return simulateDataset(kind, options);
});

registerDatasetSource('pereira2018-mat', (rest, spec, opts) => {
  const { path, options } = splitSpecOptions(rest, spec);
  return readPereiraMatFolder(path, { spec, options, stimuli: opts.stimuli });
});

/**
 * Loads and validates a dataset from a spec (see the module comment). Missing paths and unknown
 * prefixes are InputErrors naming the spec.
 */
export async function loadDataset(spec: string, options: LoadOptions = {}): Promise<Dataset> {
  if (spec === '') throw inputError('<dataset>', 'dataset', 'empty dataset spec; expected a folder, a .nc file, or <name>:<path>');
  const m = /^([A-Za-z][A-Za-z0-9_-]*):(.*)$/s.exec(spec);
  let dataset: Dataset;
  let source = spec;
  const loader = m !== null ? sources.get(m[1]) : undefined;
  if (m !== null && loader !== undefined) {
    dataset = await loader(m[2], spec, options);
  } else if (splitAssemblySpec(spec) !== null) {
    source = splitSpecOptions((splitAssemblySpec(spec) as { path: string }).path, spec).path;
    dataset = await readAssembly(spec, options);
  } else {
    const bare = splitSpecOptions(spec, spec).path;
    let st;
    try {
      st = statSync(bare);
    } catch (err) {
      if (m !== null) {
        const known = [...sources.keys(), ...assemblyNames()].map((x) => `${x}:`).join(', ');
        throw inputError(spec, 'dataset', `no such file or directory, and '${m[1]}:' is not a known dataset source (known: ${known})`);
      }
      throw inputError(spec, 'dataset', describeFsError(err));
    }
    if (st.isDirectory()) {
      if (bare !== spec) throw inputError(spec, 'dataset', 'a dataset folder takes no ::options');
      noStimuli(spec, options, 'a dataset folder');
      dataset = readDatasetFolder(spec, { batchedY: options.batchedY === 'always' ? true : options.batchedY ? 'auto' : false });
    } else if (/\.(nc|nc4|h5|hdf5)$/i.test(bare)) {
      source = bare;
      dataset = await readAssembly(spec, options);
    } else {
      throw inputError(spec, 'dataset', 'is a file but not a .nc assembly; expected a dataset folder (y.npy + samples.csv), a .nc file, or <name>:<path>');
    }
  }
  validateDataset(dataset, source);
  return dataset;
}
