/**
 * Structural checks every dataset reader runs before handing a Dataset out. Each failure is an
 * InputError "<source>: <field>: <problem>".
 */
import type { Dataset } from '../data/dataset.js';
import { inputError } from '../data/errors.js';

function describeNonFinite(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/**
 * Checks a dataset: y is a well-formed float64 matrix of finite values (NaN only for a unit not
 * recorded in a whole experiment); every sample/unit table
 * has one entry per row/column of y; blocks are non-empty and contiguous; positions are ≥ 0;
 * stimulus ids are unique within an experiment and unit ids are unique; the fold design has what
 * it needs (labels: a fold label per row, at least 2 distinct; blocks: positive sizes).
 */
export function validateDataset(d: Dataset, source: string): void {
  const fail = (field: string, what: string) => inputError(source, field, what);
  const { y } = d;
  if (!(y.data instanceof Float64Array)) throw fail('y', 'expected float64 storage');
  if (!Number.isInteger(y.rows) || !Number.isInteger(y.cols) || y.rows < 0 || y.cols < 0) {
    throw fail('y', `invalid shape ${y.rows} × ${y.cols}`);
  }
  // Responses read in unit batches (d.ySource): their reader checked the values; only the shape here.
  const batched = d.ySource !== undefined;
  if (batched && (d.ySource!.rows !== y.rows || d.ySource!.cols !== y.cols || y.data.length !== 0)) {
    throw fail('y', `batched responses are ${d.ySource!.rows} × ${d.ySource!.cols}, the shape says ${y.rows} × ${y.cols}`);
  }
  if (!batched && y.data.length !== y.rows * y.cols) {
    throw fail('y', `storage has ${y.data.length} values, expected ${y.rows} × ${y.cols} = ${y.rows * y.cols}`);
  }
  if (y.rows === 0) throw fail('y', 'has no rows (samples), expected at least one');
  if (y.cols === 0) throw fail('y', 'has no columns (units), expected at least one');
  // NaN is allowed only as "not recorded": a unit that is NaN on every row of an experiment
  // (Pereira2018 subjects did one or both experiments). Any other NaN or ±Infinity is an error.
  const expRows = new Map<string, number[]>();
  if (d.samples.experiment.length === y.rows) d.samples.experiment.forEach((e, i) => { const r = expRows.get(e); if (r) r.push(i); else expRows.set(e, [i]); });
  for (let k = 0; k < y.data.length; k++) {
    const v = y.data[k];
    if (Number.isFinite(v)) continue;
    const row = Math.floor(k / y.cols);
    const col = k % y.cols;
    const exp = d.samples.experiment[row];
    const rows = expRows.get(exp);
    const unrecorded = Number.isNaN(v) && rows !== undefined && rows.every((r) => Number.isNaN(y.data[r * y.cols + col]));
    if (!unrecorded) {
      throw fail('y', `row ${row}, column ${col} is ${describeNonFinite(v)}; expected finite values (rows and columns count from 0)`);
    }
  }
  for (let j = 0; j < y.cols && !batched; j++) {
    let recorded = false;
    for (const rows of expRows.values()) if (Number.isFinite(y.data[rows[0] * y.cols + j])) { recorded = true; break; }
    if (!recorded && expRows.size > 0) throw fail('y', `column ${j} (unit ${d.units.id[j] ?? j}) is NaN on every row; expected each unit to be recorded in at least one experiment`);
  }

  const n = y.rows;
  const s = d.samples;
  const lengthCheck = (field: string, len: number, want: number, what: string) => {
    if (len !== want) throw fail(field, `has ${len} entries, expected ${want} (${what})`);
  };
  lengthCheck('samples.stimulusId', s.stimulusId.length, n, 'one per row of y');
  lengthCheck('samples.text', s.text.length, n, 'one per row of y');
  lengthCheck('samples.block', s.block.length, n, 'one per row of y');
  lengthCheck('samples.position', s.position.length, n, 'one per row of y');
  lengthCheck('samples.experiment', s.experiment.length, n, 'one per row of y');
  if (s.fold !== null) lengthCheck('samples.fold', s.fold.length, n, 'one per row of y');

  // Blocks: non-empty labels, contiguous runs.
  const closed = new Set<string>();
  for (let r = 0; r < n; r++) {
    const b = s.block[r];
    if (b === '') throw fail('samples.block', `row ${r} has an empty block label`);
    if (r > 0 && b !== s.block[r - 1]) {
      closed.add(s.block[r - 1]);
      if (closed.has(b)) {
        throw fail('samples.block', `block '${b}' reappears at row ${r} after other blocks; the rows of a block must be contiguous`);
      }
    }
  }
  for (let r = 0; r < n; r++) {
    const p = s.position[r];
    if (!Number.isInteger(p) || p < 0) throw fail('samples.position', `row ${r} has position ${p}, expected an integer ≥ 0`);
  }
  // Stimulus ids unique within an experiment (and repeat, when rows are repeated presentations).
  if (s.repeat !== undefined) lengthCheck('samples.repeat', s.repeat.length, n, 'one per row of y');
  const seenIds = new Map<string, number>();
  for (let r = 0; r < n; r++) {
    const key = `${s.experiment[r]}\u0000${s.stimulusId[r]}${s.repeat !== undefined ? `\u0000${s.repeat[r]}` : ''}`;
    const prev = seenIds.get(key);
    if (prev !== undefined) {
      const exp = s.experiment[r] === '' ? '' : ` in experiment '${s.experiment[r]}'`;
      throw fail('samples.stimulusId', `'${s.stimulusId[r]}' is used by rows ${prev} and ${r}${exp}; expected unique stimulus ids within an experiment`);
    }
    seenIds.set(key, r);
  }

  const m = y.cols;
  const u = d.units;
  lengthCheck('units.id', u.id.length, m, 'one per column of y');
  lengthCheck('units.subject', u.subject.length, m, 'one per column of y');
  lengthCheck('units.network', u.network.length, m, 'one per column of y');
  if (u.coords !== null) {
    if (u.coords.rows !== m || u.coords.cols !== 3 || u.coords.data.length !== m * 3) {
      throw fail('units.coords', `has shape ${u.coords.rows} × ${u.coords.cols}, expected ${m} × 3 (x, y, z per column of y)`);
    }
    for (let k = 0; k < u.coords.data.length; k++) {
      if (!Number.isFinite(u.coords.data[k])) {
        throw fail('units.coords', `unit ${Math.floor(k / 3)} has a non-finite ${'xyz'[k % 3]} coordinate`);
      }
    }
  }
  const seenUnits = new Map<string, number>();
  for (let c = 0; c < m; c++) {
    const id = u.id[c];
    if (id === '') throw fail('units.id', `unit ${c} has an empty id`);
    const prev = seenUnits.get(id);
    if (prev !== undefined) throw fail('units.id', `'${id}' is used by units ${prev} and ${c}; expected unique unit ids`);
    seenUnits.set(id, c);
  }

  const design = d.design;
  if (design.kind === 'labels') {
    if (s.fold === null) throw fail('samples.fold', "is missing; design 'labels' needs a fold label per row");
    const folds = new Set<string>();
    for (let r = 0; r < n; r++) {
      if (s.fold[r] === '') throw fail('samples.fold', `row ${r} has an empty fold label`);
      folds.add(s.fold[r]);
    }
    if (folds.size < 2) {
      throw fail('samples.fold', `has ${folds.size} distinct label${folds.size === 1 ? '' : 's'}, expected at least 2 (one outer fold per label)`);
    }
  } else if (design.kind === 'blocks') {
    for (const [k, v] of [['outerSize', design.outerSize], ['innerSize', design.innerSize]] as const) {
      if (!Number.isInteger(v) || v < 1) throw fail(`design.${k}`, `is ${v}, expected a positive integer`);
    }
  } else {
    throw fail('design', `unknown design kind '${(design as { kind: unknown }).kind}'`);
  }
}
