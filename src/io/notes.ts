/**
 * What a reader did on the way from a file to a Dataset (text source, row order, units dropped),
 * kept beside the Dataset (not in it) so that `brainmap inspect` can report it.
 */
import type { Dataset } from '../data/dataset.js';

export interface DroppedUnits {
  /** Experiment ('' for single-experiment datasets). */
  experiment: string;
  /** Why, e.g. 'NaN in the experiment's first row (not recorded)'. */
  reason: string;
  count: number;
}

export interface DatasetNotes {
  /** The reader, e.g. 'Pereira2018 assembly'. */
  reader: string;
  /** Where sample text came from. */
  text: string;
  /** How rows were ordered. */
  order: string;
  /** Which units were kept (network selection). */
  units: string;
  /** Units marked not recorded in an experiment, or removed, with the reason. */
  dropped: DroppedUnits[];
  /** Anything else a user should know before fitting. */
  remarks: string[];
}

const notes = new WeakMap<Dataset, DatasetNotes>();

export function setDatasetNotes(d: Dataset, n: DatasetNotes): void {
  notes.set(d, n);
}

/** The notes of a dataset made by a reader that records them (Pereira2018, Blank2014, MAT), else undefined. */
export function getDatasetNotes(d: Dataset): DatasetNotes | undefined {
  return notes.get(d);
}
