/**
 * Pereira et al. (2018) per-subject MATLAB files → the Pereira2018 Dataset (`pereira2018-mat:<folder>`).
 *
 * Folder layout (as distributed on the EvLab page, one folder per subject; shared/DATASETS.md §3.6a):
 *
 *   <folder>/<subject>/examples_243sentences.mat    experiment 3 (243 sentences), if the subject did it
 *   <folder>/<subject>/examples_384sentences.mat    experiment 2 (384 sentences), if the subject did it
 *
 * (`<folder>` may also be one subject's folder itself.) The subject id is the folder name (P01,
 * M02, …; the public release does not give the Brain-Score UIDs 018, 199, …). MAT files may be
 * Level 5 (read with mat-for-js) or v7.3 (HDF5, read with h5wasm). Variables used:
 *
 *   examples (or data)             n × V responses, one row per sentence                  [C]
 *   keySentences                   n sentences in presentation order                     [C]
 *   labelsPassageForEachSentence   n 1-based passage numbers                             [C]
 *   keyPassages                    P passage titles (not used beyond a length check)      [C]
 *   labelsPassageCategory          P 1-based category numbers                            [C]
 *   keyPassageCategory             C category names                                      [C]
 *   meta.colToCoord                V × 3 voxel grid coordinates (optional)                [S]
 *   meta.atlases, meta.roiMultimask  network selections (optional; Blank's re-processed   [C/I]
 *                                  files have them, the public release apparently not)
 *
 * Units: with meta.atlases, `network=` selects the voxels of selections
 * "<network>[_<filter>]_from90to100prcnt" with filter none, HminusE or FIXminusH (default
 * language), as Brain-Score packaged Pereira2018.language. Without it the files have no
 * language-network selection, and `::network=all` must be given to use every voxel (unlabelled).
 * Rows, folds and missing values are then as for the assembly (src/io/pereira.ts); unit ids are
 * "<subject>.<voxel>" with the 0-based voxel column.
 *
 * What is inferred: the variable names and meanings come from Brain-Score's packaging code, not
 * from a real file; MATLAB integer classes and compression are unknown (any numeric class is
 * accepted); the v7.3 variant is supported in case a copy was re-saved that way.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Dataset as H5Dataset, File as H5File, Group as H5Group } from 'h5wasm/node';
import { read as readMat5 } from 'mat-for-js';
import type { Dataset } from '../data/dataset.js';
import { inputError } from '../data/errors.js';
import type { Matrix64 } from '../linalg/matrix.js';
import { describeFsError } from './fsutil.js';
import { h5, withHdf5File } from './netcdf.js';
import { buildPereiraDataset, parseNetworks, type PereiraRowsInput } from './pereira.js';
import { checkOptionKeys, stimuliOption, type ReaderOptions } from './spec-options.js';

/** A MATLAB value as plain JS: numbers, strings, arrays (vectors flat, matrices as rows), objects (structs), or a Matrix64. */
export type MatValue = number | bigint | string | MatValue[] | { [field: string]: MatValue } | Matrix64;

function isMatrix(v: unknown): v is Matrix64 {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as Matrix64).data instanceof Float64Array;
}

// ---------------------------------------------------------------------------------------------
// Reading MAT files

function attr(obj: { attrs: Record<string, { value: unknown }> }, name: string): unknown {
  const a = obj.attrs[name];
  return a === undefined ? undefined : a.value;
}

/** MATLAB dims (column-major) → JS value: scalars as numbers, vectors flat, matrices as Matrix64. */
function numericFromColumnMajor(values: ArrayLike<number | bigint>, dims: number[]): MatValue {
  const num = (x: number | bigint) => (typeof x === 'bigint' ? Number(x) : x);
  const total = dims.reduce((a, b) => a * b, 1);
  if (total === 1) return num(values[0]);
  if (dims.filter((d) => d > 1).length <= 1) return Array.from({ length: total }, (_, k) => num(values[k]));
  const [rows, cols] = [dims[0], total / dims[0]];
  const data = new Float64Array(total);
  for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) data[i * cols + j] = num(values[j * rows + i]);
  return { rows, cols, data };
}

function h5ToMat(file: H5File, path: string, obj: unknown, name: string): MatValue {
  if (obj instanceof h5().default.Group) {
    const g = obj as H5Group;
    const out: { [field: string]: MatValue } = {};
    for (const k of g.keys()) {
      if (k.startsWith('#')) continue;
      out[k] = h5ToMat(file, path, g.get(k), `${name}.${k}`);
    }
    return out;
  }
  if (!(obj instanceof h5().default.Dataset)) throw inputError(path, name, 'is neither a MATLAB array nor a struct');
  const ds = obj as H5Dataset;
  const cls = String(attr(ds, 'MATLAB_class') ?? '');
  if (attr(ds, 'MATLAB_empty') !== undefined) return cls === 'char' ? '' : [];
  const dims = [...(ds.shape ?? [])].reverse();
  while (dims.length < 2) dims.push(1);
  const value = ds.value;
  if (cls === 'char') {
    const codes = Array.from(value as ArrayLike<number>);
    return String.fromCharCode(...codes);
  }
  if (cls === 'cell') {
    const refs = value as unknown[];
    const items = refs.map((ref, k) => h5ToMat(file, path, file.dereference(ref as Parameters<H5File['dereference']>[0]), `${name}{${k + 1}}`));
    if (dims.filter((d) => d > 1).length <= 1) return items;
    const rows = dims[0];
    const cols = items.length / rows;
    return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => items[j * rows + i]));
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return numericFromColumnMajor(value as unknown as ArrayLike<number | bigint>, dims);
  }
  if (typeof value === 'number' || typeof value === 'bigint') return typeof value === 'bigint' ? Number(value) : value;
  throw inputError(path, name, `has MATLAB class '${cls}', which is not supported (expected numeric, char, cell or struct)`);
}

async function readMat73(path: string): Promise<Record<string, MatValue>> {
  return withHdf5File(path, 'a MATLAB v7.3 (HDF5) file', 'the MATLAB v7.3 file', (file) => {
    const out: Record<string, MatValue> = {};
    for (const k of file.keys()) {
      if (k.startsWith('#')) continue;
      out[k] = h5ToMat(file, path, file.get(k), k);
    }
    return out;
  });
}

/** Reads a MAT file (Level 5 or v7.3) into plain JS values. */
export async function readMatFile(path: string): Promise<Record<string, MatValue>> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw inputError(path, 'file', describeFsError(err));
  }
  if (bytes.length < 128) throw inputError(path, 'file', `has ${bytes.length} bytes; expected a MAT file (128-byte header, then data)`);
  const endian = bytes.toString('latin1', 126, 128);
  const version = endian === 'IM' ? bytes.readUInt16LE(124) : endian === 'MI' ? bytes.readUInt16BE(124) : -1;
  if (version === 0x0200) return readMat73(path);
  if (version !== 0x0100) throw inputError(path, 'file', 'is not a MATLAB Level-5 or v7.3 MAT file (no MAT header)');
  try {
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    return readMat5(ab).data as Record<string, MatValue>;
  } catch (err) {
    throw inputError(path, 'file', `cannot read as a Level-5 MAT file (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Typed access

function leaves(v: MatValue, out: MatValue[] = []): MatValue[] {
  if (Array.isArray(v)) for (const x of v) leaves(x, out);
  else out.push(v);
  return out;
}

function field(vars: Record<string, MatValue>, name: string, path: string, expected: string): MatValue {
  const v = vars[name];
  if (v === undefined) throw inputError(path, name, `missing variable (${expected}); the file has ${Object.keys(vars).join(', ') || 'no variables'}`);
  return v;
}

function strings(v: MatValue, path: string, name: string, n: number | null, what: string): string[] {
  const xs = leaves(v).map((x, k) => {
    if (typeof x === 'string') return x;
    throw inputError(path, name, `element ${k + 1} is not text; expected ${what}`);
  });
  if (n !== null && xs.length !== n) throw inputError(path, name, `has ${xs.length} entries, expected ${n} (${what})`);
  return xs;
}

function integers(v: MatValue, path: string, name: string, n: number | null, what: string): number[] {
  const xs = leaves(isMatrix(v) ? Array.from(v.data) : v).map((x, k) => {
    const num = typeof x === 'bigint' ? Number(x) : x;
    if (typeof num !== 'number' || !Number.isInteger(num)) throw inputError(path, name, `element ${k + 1} is ${JSON.stringify(typeof num === 'number' ? num : String(num))}; expected ${what}`);
    return num;
  });
  if (n !== null && xs.length !== n) throw inputError(path, name, `has ${xs.length} entries, expected ${n} (${what})`);
  return xs;
}

function matrix(v: MatValue, path: string, name: string, rows: number): Matrix64 {
  if (isMatrix(v)) {
    if (v.rows !== rows) throw inputError(path, name, `has ${v.rows} rows, expected ${rows} (one per sentence)`);
    return v;
  }
  if (Array.isArray(v) && v.length === rows && v.every((r) => Array.isArray(r))) {
    const cols = (v[0] as MatValue[]).length;
    const data = new Float64Array(rows * cols);
    v.forEach((row, i) => {
      const r = row as MatValue[];
      if (r.length !== cols) throw inputError(path, name, `row ${i + 1} has ${r.length} values, expected ${cols}`);
      r.forEach((x, j) => {
        if (typeof x !== 'number') throw inputError(path, name, `row ${i + 1}, column ${j + 1} is not a number`);
        data[i * cols + j] = x;
      });
    });
    return { rows, cols, data };
  }
  if (Array.isArray(v) && v.length === rows && v.every((x) => typeof x === 'number')) {
    return { rows, cols: 1, data: Float64Array.from(v as number[]) };
  }
  const len = Array.isArray(v) ? v.length : isMatrix(v) ? v.rows : 1;
  throw inputError(path, name, `has ${len} rows, expected a numeric ${rows} × V matrix (one row per sentence)`);
}

// ---------------------------------------------------------------------------------------------
// The folder

interface SubjectFile { subject: string; experiment: string; path: string }

function listFiles(folder: string, spec: string): SubjectFile[] {
  const fileRe = /^examples_([0-9]+)sentences\.mat$/;
  let st;
  try {
    st = statSync(folder);
  } catch (err) {
    throw inputError(folder, 'dataset', describeFsError(err));
  }
  if (!st.isDirectory()) throw inputError(folder, 'dataset', `is not a folder; ${spec.split(':')[0]}: expects a folder of per-subject folders (<subject>/examples_384sentences.mat, …)`);
  const out: SubjectFile[] = [];
  const direct = readdirSync(folder).filter((f) => fileRe.test(f)).sort();
  if (direct.length > 0) {
    for (const f of direct) out.push({ subject: basename(resolve(folder)), experiment: fileRe.exec(f)![1], path: join(folder, f) });
    return out;
  }
  for (const sub of readdirSync(folder).sort()) {
    const dir = join(folder, sub);
    if (!statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir).filter((x) => fileRe.test(x)).sort()) out.push({ subject: sub, experiment: fileRe.exec(f)![1], path: join(dir, f) });
  }
  if (out.length === 0) {
    throw inputError(folder, 'dataset', 'has no <subject>/examples_243sentences.mat or <subject>/examples_384sentences.mat files; expected the per-subject folders of Pereira et al. 2018 (e.g. P01/examples_384sentences.mat)');
  }
  return out;
}

interface ExperimentMeta { path: string; text: string[]; passage: number[]; category: string[] }

function experimentMeta(vars: Record<string, MatValue>, path: string, n: number): ExperimentMeta {
  const text = strings(field(vars, 'keySentences', path, 'the sentences'), path, 'keySentences', n, 'one sentence per row of examples');
  const passage = integers(field(vars, 'labelsPassageForEachSentence', path, 'passage of each sentence'), path, 'labelsPassageForEachSentence', n, 'a 1-based passage number per sentence');
  const titles = strings(field(vars, 'keyPassages', path, 'passage titles'), path, 'keyPassages', null, 'passage titles');
  const pcat = integers(field(vars, 'labelsPassageCategory', path, 'category of each passage'), path, 'labelsPassageCategory', titles.length, 'a 1-based category number per passage (one per keyPassages entry)');
  const cats = strings(field(vars, 'keyPassageCategory', path, 'category names'), path, 'keyPassageCategory', null, 'category names');
  const category = passage.map((p, k) => {
    if (p < 1 || p > titles.length) throw inputError(path, 'labelsPassageForEachSentence', `sentence ${k + 1} has passage ${p}, expected 1..${titles.length} (keyPassages has ${titles.length})`);
    const c = pcat[p - 1];
    if (c < 1 || c > cats.length) throw inputError(path, 'labelsPassageCategory', `passage ${p} has category ${c}, expected 1..${cats.length} (keyPassageCategory has ${cats.length})`);
    return cats[c - 1];
  });
  return { path, text, passage, category };
}

interface Selection { atlas: string; mask: number[] }

/** meta.atlases + meta.roiMultimask → per-selection voxel masks, or null when the file has none. */
function selections(meta: { [k: string]: MatValue } | null, path: string, v: number): Selection[] | null {
  if (meta === null || meta.atlases === undefined) return null;
  const names = strings(meta.atlases, path, 'meta.atlases', null, 'selection names');
  const masksRaw = meta.roiMultimask;
  if (masksRaw === undefined) throw inputError(path, 'meta.roiMultimask', 'missing while meta.atlases exists; expected one V × 1 mask per selection');
  const masks = Array.isArray(masksRaw) ? masksRaw : [masksRaw];
  if (masks.length !== names.length) throw inputError(path, 'meta.roiMultimask', `has ${masks.length} masks, expected ${names.length} (one per meta.atlases entry)`);
  return names.map((nm, a) => {
    const mv = masks[a];
    const mask = leaves(isMatrix(mv) ? Array.from(mv.data) : mv).map((x) => (typeof x === 'number' ? x : NaN));
    if (mask.length !== v) throw inputError(path, 'meta.roiMultimask', `mask ${a + 1} (${nm}) has ${mask.length} entries, expected ${v} (one per voxel)`);
    return { atlas: nm, mask };
  });
}

const KEPT_FILTERS = new Set(['', 'HminusE', 'FIXminusH']);

/** "language_from90to100prcnt" → {network: language, filter: ''}; null when not a top-10% selection. */
function parseSelection(name: string): { network: string; filter: string } | null {
  const parts = name.split('_');
  if (parts.length < 2 || parts[parts.length - 1] !== 'from90to100prcnt') return null;
  return { network: parts[0], filter: parts.length === 3 ? parts[1] : '' };
}

/**
 * Reads `pereira2018-mat:<folder>` (see the module comment). Options: `network=`, `halves=`,
 * `stimuli=` as for the assembly.
 */
export async function readPereiraMatFolder(folder: string, ro: ReaderOptions): Promise<Dataset> {
  checkOptionKeys(ro, ['network', 'halves', 'stimuli'], 'Pereira2018 MAT');
  if (folder === '') throw inputError(ro.spec, 'dataset', "expected a folder after 'pereira2018-mat:'");
  const files = listFiles(folder, ro.spec);
  const requested = parseNetworks(ro.options.get('network'), ro.spec);
  const exps = [...new Set(files.map((f) => f.experiment))].sort((a, b) => Number(a) - Number(b));
  const metaByExp = new Map<string, ExperimentMeta>();
  interface Loaded { file: SubjectFile; y: Matrix64; coords: Matrix64 | null; sel: Selection[] | null }
  const loaded: Loaded[] = [];
  for (const f of files) {
    const vars = await readMatFile(f.path);
    const respName = vars.examples !== undefined ? 'examples' : 'data';
    const resp = field(vars, respName, f.path, 'responses, one row per sentence (examples or data)');
    const nGuess = isMatrix(resp) ? resp.rows : Array.isArray(resp) ? resp.length : 0;
    const y = matrix(resp, f.path, respName, nGuess);
    if (y.cols === 0) throw inputError(f.path, respName, `has no columns; expected at least one voxel for subject '${f.subject}'`);
    const meta = experimentMeta(vars, f.path, y.rows);
    const first = metaByExp.get(f.experiment);
    if (first === undefined) metaByExp.set(f.experiment, meta);
    else {
      if (first.text.length !== meta.text.length) throw inputError(f.path, 'keySentences', `has ${meta.text.length} sentences, but ${first.path} has ${first.text.length}; expected the same sentences in every subject's file`);
      meta.text.forEach((t, k) => {
        if (t !== first.text[k]) throw inputError(f.path, 'keySentences', `sentence ${k + 1} is '${t}', but in ${first.path} it is '${first.text[k]}'; expected the same sentences in every subject's file`);
        if (meta.passage[k] !== first.passage[k] || meta.category[k] !== first.category[k]) throw inputError(f.path, 'labelsPassageForEachSentence', `sentence ${k + 1} is in passage ${meta.passage[k]} (${meta.category[k]}), but in ${first.path} in passage ${first.passage[k]} (${first.category[k]}); expected the same passages in every subject's file`);
      });
    }
    const m = vars.meta;
    const metaObj = typeof m === 'object' && m !== null && !Array.isArray(m) && !isMatrix(m) ? m as { [k: string]: MatValue } : null;
    let coords: Matrix64 | null = null;
    if (metaObj !== null && metaObj.colToCoord !== undefined) {
      const c = metaObj.colToCoord;
      const cm = isMatrix(c) ? c : Array.isArray(c) && c.length === y.cols ? matrix(c, f.path, 'meta.colToCoord', y.cols) : null;
      if (cm === null || cm.rows !== y.cols || cm.cols !== 3) throw inputError(f.path, 'meta.colToCoord', `has shape ${cm ? `${cm.rows} × ${cm.cols}` : 'other than V × 3'}, expected ${y.cols} × 3 (x, y, z per voxel)`);
      coords = cm;
    }
    loaded.push({ file: f, y, coords, sel: selections(metaObj, f.path, y.cols) });
  }

  // Units per subject: the same voxels in both experiments.
  const subjects = [...new Set(files.map((f) => f.subject))];
  interface Unit { subject: string; voxel: number; network: string }
  const units: Unit[] = [];
  const coordRows: number[][] = [];
  let anyCoords = false;
  let unitsNote = '';
  for (const s of subjects) {
    const mine = loaded.filter((l) => l.file.subject === s);
    const v = mine[0].y.cols;
    for (const l of mine) if (l.y.cols !== v) throw inputError(l.file.path, 'examples', `has ${l.y.cols} voxels, but ${mine[0].file.path} has ${v}; expected the same voxels in both experiments of subject '${s}'`);
    const sel = mine.find((l) => l.sel !== null)?.sel ?? null;
    const coords = mine.find((l) => l.coords !== null)?.coords ?? null;
    for (const l of mine) {
      if (l.coords === null || coords === null || l.coords === coords) continue;
      const k = l.coords.data.findIndex((x, i) => x !== coords.data[i]);
      if (k >= 0) throw inputError(l.file.path, 'meta.colToCoord', `voxel ${Math.floor(k / 3) + 1} is at (${Array.from(l.coords.data.subarray(k - (k % 3), k - (k % 3) + 3)).join(', ')}), but at (${Array.from(coords.data.subarray(k - (k % 3), k - (k % 3) + 3)).join(', ')}) in ${mine.find((x) => x.coords === coords)!.file.path}; expected the same voxels in both experiments of subject '${s}'`);
    }
    const subjUnits: Unit[] = [];
    if (sel === null) {
      if (requested !== 'all') {
        throw inputError(mine[0].file.path, 'meta.atlases', `missing, so network ${requested.join(',')} cannot be selected (the public release has whole-brain voxels with AAL/Gordon ROIs only); give ${ro.spec.split('::')[0]}::network=all to use every voxel`);
      }
      for (let j = 0; j < v; j++) subjUnits.push({ subject: s, voxel: j, network: '' });
      unitsNote = 'every voxel (no meta.atlases: no network labels)';
    } else {
      const parsed = sel.map((x) => ({ ...x, p: parseSelection(x.atlas) })).filter((x) => x.p !== null && KEPT_FILTERS.has(x.p.filter));
      const available = [...new Set(parsed.map((x) => x.p!.network))].sort();
      const wanted = requested === 'all' ? available : requested.map((w) => {
        const hit = available.find((a) => a === w) ?? available.find((a) => a.toLowerCase() === w.toLowerCase());
        if (hit === undefined) throw inputError(ro.spec, 'network', `'${w}' is not a network of ${mine[0].file.path}; its meta.atlases has ${available.join(', ') || 'no top-10% selections'} (or network=all)`);
        return hit;
      });
      for (const w of wanted) {
        const inNet = new Set<number>();
        for (const x of parsed) if (x.p!.network === w) x.mask.forEach((val, j) => { if (!Number.isNaN(val) && val !== 0) inNet.add(j); });
        [...inNet].sort((a, b) => a - b).forEach((j) => subjUnits.push({ subject: s, voxel: j, network: w }));
      }
      unitsNote = `network${wanted.length === 1 ? '' : 's'} ${wanted.join(', ')} (meta.atlases selections <network>[_HminusE|_FIXminusH]_from90to100prcnt)`;
      if (subjUnits.length === 0) throw inputError(mine[0].file.path, 'meta.roiMultimask', `subject '${s}' has no voxels in network ${wanted.join(', ')}; expected at least one`);
    }
    for (const u of subjUnits) {
      units.push(u);
      if (coords !== null) { anyCoords = true; coordRows.push([0, 1, 2].map((d) => coords.data[u.voxel * 3 + d])); } else coordRows.push([NaN, NaN, NaN]);
    }
  }
  const multi = new Set(units.map((u) => u.network)).size > 1;
  const ids = units.map((u) => `${multi ? `${u.network}.` : ''}${u.subject}.${u.voxel}`);

  // Rows: experiments in order, each in file (presentation) order.
  const rows: PereiraRowsInput = { source: folder, experiment: [], stimulusNum: [], stimulusId: [], passageIndex: [], category: [], text: [], textField: 'keySentences' };
  const rowStart = new Map<string, number>();
  for (const e of exps) {
    const meta = metaByExp.get(e)!;
    rowStart.set(e, rows.experiment.length);
    meta.text.forEach((t, k) => {
      rows.experiment.push(e);
      rows.stimulusNum.push(k);
      rows.stimulusId.push(`${e}sentences.${k}`);
      rows.passageIndex.push(meta.passage[k]);
      rows.category.push(meta.category[k]);
      rows.text!.push(t);
    });
  }
  const n = rows.experiment.length;
  const m = units.length;
  const y: Matrix64 = { rows: n, cols: m, data: new Float64Array(n * m).fill(NaN) };
  units.forEach((u, c) => {
    for (const l of loaded) {
      if (l.file.subject !== u.subject) continue;
      const r0 = rowStart.get(l.file.experiment)!;
      for (let k = 0; k < l.y.rows; k++) y.data[(r0 + k) * m + c] = l.y.data[k * l.y.cols + u.voxel];
    }
  });
  if (anyCoords && coordRows.some((r) => r.some((x) => Number.isNaN(x)))) {
    const j = coordRows.findIndex((r) => r.some((x) => Number.isNaN(x)));
    throw inputError(folder, 'meta.colToCoord', `subject '${units[j].subject}' has no voxel coordinates while others do; expected meta.colToCoord in every subject's files or in none`);
  }
  const coords: Matrix64 | null = anyCoords ? { rows: m, cols: 3, data: Float64Array.from(coordRows.flat()) } : null;
  return buildPereiraDataset(rows, { id: ids, subject: units.map((u) => u.subject), network: units.map((u) => u.network), coords }, y, {
    source: folder,
    stimuli: stimuliOption(ro),
    halves: ro.options.get('halves'),
    reader: `Pereira2018 MAT files (${files.length} file${files.length === 1 ? '' : 's'}, ${subjects.length} subject${subjects.length === 1 ? '' : 's'})`,
    unitsNote,
    textNote: 'keySentences of the MAT files',
    // Rows per experiment in keySentences (stimulus_num) order, as Brain-Score's assembly has them.
    assembly: { identifier: null, note: "Pereira's MATLAB release, not the Brain-Score assembly Pereira2018.language (built from Blank's re-processed responses)" },
  });
}
