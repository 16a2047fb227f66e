/**
 * Plan-time checks of feature specs against a dataset, so that a sweep fails before anything
 * runs (dry runs too) instead of planning jobs that can only fail.
 *
 * Every concrete term of a spec (each grid value) is checked once per dataset:
 *  - the feature exists and takes the given arguments;
 *  - `lm`: layer/pool/context/seed in range for that model, its config, weights (tensor names and
 *    shapes) and tokenizer readable — without running the model;
 *  - `glove`: the word-vector file exists and starts with a "<word> <v1> … <vd>" line, `pool` is
 *    sum or mean, and the dataset has text — without reading the whole (large) file;
 *  - every other feature (the confounds, OASM, `file:`, `pereira-glove`, `bow`, registered
 *    plug-ins) is built on the dataset: numeric ranges, one row per sample, finite values and at
 *    least one column are checked exactly as a fit would see them.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { Dataset } from '../../data/dataset.js';
import { InputError, inputError } from '../../data/errors.js';
import { registerBuiltinFeatures } from '../../features/builtin.js';
import { datasetVocabulary } from '../../features/embeddings.js';
import { expandGrid } from '../../features/grid.js';
import { isUntrainedName, lmTermSettings, openLmModel } from '../../features/lm/index.js';
import { buildTerm, getFeature } from '../../features/registry.js';
import { checkParams, parseFeatureSpec, type FeatureTerm } from '../../features/spec.js';
import { describeFsError } from '../../io/fsutil.js';

/** Remembers what was checked (per dataset name and term) and the model folders already opened. */
export class SpecChecker {
  private readonly checked = new Set<string>();
  private readonly models = new Map<string, InputError | null>();

  /** Checks every term of `spec` (all grid values) on `dataset`; throws the first InputError. */
  async check(spec: string, dataset: Dataset, datasetKey: string): Promise<void> {
    registerBuiltinFeatures();
    const { specs } = expandGrid(parseFeatureSpec(spec));
    for (const s of specs) {
      for (const band of s.bands) {
        for (const term of band.terms) {
          const id = `${datasetKey}\u0000${term.text}`;
          if (this.checked.has(id)) continue;
          await this.checkTerm(term, dataset);
          this.checked.add(id);
        }
      }
    }
  }

  private async checkTerm(term: FeatureTerm, dataset: Dataset): Promise<void> {
    const def = getFeature(term.name);
    if (term.name !== 'file') checkParams(term, def.params);
    if (term.name === 'lm') return this.checkLm(term);
    if (term.name === 'glove') return checkGlove(term, dataset);
    const m = await buildTerm(term, { dataset });
    if (m.cols === 0) throw inputError(term.name === 'file' ? term.params.path : term.text, 'columns', 'has 0 columns; expected at least one feature column');
  }

  private checkLm(term: FeatureTerm): void {
    const s = lmTermSettings(term);
    if (isUntrainedName(s.model)) return;
    let err = this.models.get(`${s.model}\u0000${s.seed ?? ''}`);
    if (err === undefined) {
      err = null;
      try {
        // Config, weight headers and tokenizer of any supported architecture (nothing is run).
        openLmModel(s.model, s.seed);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        err = e;
      }
      this.models.set(`${s.model}\u0000${s.seed ?? ''}`, err);
    }
    if (err) throw err;
  }
}

function checkGlove(term: FeatureTerm, dataset: Dataset): void {
  const path = term.params.path;
  if (!path) throw new InputError(`--features: "${term.text}": missing path=<word vectors .txt>`);
  const pool = term.params.pool ?? 'sum';
  if (pool !== 'sum' && pool !== 'mean') throw new InputError(`--features: "${term.text}": pool=${pool}; expected pool=sum or pool=mean`);
  datasetVocabulary(dataset);
  let fd: number;
  try {
    if (!statSync(path).isFile()) throw inputError(path, 'word vectors', 'is not a file');
    fd = openSync(path, 'r');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw inputError(path, 'word vectors', describeFsError(err));
  }
  let head: string;
  try {
    const buf = Buffer.alloc(1 << 16);
    head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
  } catch (err) {
    throw inputError(path, 'word vectors', `cannot read file (${describeFsError(err)})`);
  } finally {
    closeSync(fd);
  }
  const lines = head.split('\n');
  const complete = lines.length > 1 ? lines.slice(0, -1) : lines;
  let i = 0;
  while (i < complete.length && complete[i].trim() === '') i++;
  if (i >= complete.length) {
    if (head.trim() === '') throw inputError(path, 'word vectors', 'no vectors found; expected lines of "<word> <v1> … <vd>"');
    return; // a first line longer than 64 KiB: left to the reader
  }
  let parts = complete[i].trim().split(/\s+/);
  if (parts.length === 2 && /^\d+$/.test(parts[0]) && /^\d+$/.test(parts[1])) {
    i++; // word2vec header
    if (i >= complete.length) return;
    parts = complete[i].trim().split(/\s+/);
  }
  const bad = parts.slice(1).findIndex((v) => !Number.isFinite(Number(v)));
  if (parts.length < 2 || bad >= 0) {
    throw inputError(path, `line ${i + 1}`, `expected "<word> <v1> … <vd>" (space-separated numbers after the word), got ${JSON.stringify(complete[i].slice(0, 60))}`);
  }
}
