/**
 * Results folders for the report tests: hand-written JSON/CSV in the shapes brainmap writes
 * (fast, every figure type), small real simulated runs (the demo's shape), and a folder of missing,
 * partial and broken results.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSimSpec, simulateDataset } from '../../src/data/simulate.js';
import { getBackend } from '../../src/linalg/index.js';
import { partitionCsv, partitionFeatures, partitionJson, type PartitionJson } from '../../src/pipeline/partition.js';
import { specScoreToJson, writeScore, type ScoreJson } from '../../src/pipeline/results.js';
import { scoreSpec } from '../../src/pipeline/score-spec.js';
// A small deterministic generator (so fixtures are the same on every run).
import { rng } from '../linalg/helpers.js';

const ALPHAS = Array.from({ length: 25 }, (_, k) => 2 ** (k - 5));

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

export function scoreJson(o: { dataset?: string; hash?: string; features: string; split: 'shuffled' | 'contiguous'; level: number; subjects?: string[]; grid?: ScoreJson['grid']; warnings?: string[] }): ScoreJson {
  const rand = rng(o.features.length * 31 + o.level * 1000 + (o.split === 'shuffled' ? 7 : 3));
  const subjects = (o.subjects ?? ['1', '2', '3', '4', '5']).map((subject) => {
    const r2 = Math.max(0, o.level + (rand() - 0.5) * 0.04);
    return { subject, n_units: 20, n_undefined_r: 0, r2, r: Math.sqrt(r2), experiments: { '': { r2, r: Math.sqrt(r2) } } };
  });
  const mean = subjects.reduce((s, x) => s + x.r2, 0) / subjects.length;
  return {
    dataset: { name: o.dataset ?? 'sim:pereira', source: `${o.dataset ?? 'sim:pereira'} (fixture)`, hash: o.hash ?? 'ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12', r2: mean, r: Math.sqrt(mean), r2_sem: 0.004, r_sem: 0.006 },
    features: o.features,
    settings: { split: o.split, seed: 42, estimator: 'ridge', alphas: ALPHAS, backend: 'native', bands: 1, banded_iter: null, banded_seed: null, inner_standardize: false },
    subjects,
    experiments: [{ experiment: '', n_samples: 384, n_features: 10, n_units: 100, fold_sizes: [48, 48], inner_folds: [7, 7], median_alpha: 64 }],
    n_constant_units: 0,
    n_undefined_r: 0,
    grid: o.grid ?? null,
    warnings: o.warnings ?? [],
  };
}

/** units.csv of a score, with x,y,z (a crude brain-shaped cloud) when `coords`. */
export function scoreUnitsCsv(nPerSubject: number, level: number, coords: boolean, subjects = ['1', '2', '3', '4', '5']): string {
  const rand = rng(17 + nPerSubject);
  const lines = [`experiment,unit,subject,r2,r,median_alpha${coords ? ',x,y,z' : ''}`];
  for (const s of subjects) {
    for (let k = 0; k < nPerSubject; k++) {
      const r2 = level + (rand() - 0.6) * 0.1;
      const xyz = coords ? [(rand() - 0.5) * 130, (rand() - 0.6) * 160, (rand() - 0.3) * 110] : [];
      lines.push([384, `${s}-${k}`, s, r2, Math.sign(r2) * Math.sqrt(Math.abs(r2)), 64, ...xyz].join(','));
    }
  }
  return lines.join('\n') + '\n';
}

export function partitionFixture(nUnits: number, subjects = ['1', '2', '3', '4', '5']): { json: PartitionJson; csv: string } {
  const rand = rng(nUnits);
  const a = scoreJson({ dataset: 'sim:fedorenko', features: 'wp:sigma=4.7', split: 'contiguous', level: 0.14, subjects });
  const b = scoreJson({ dataset: 'sim:fedorenko', features: 'bow', split: 'contiguous', level: 0.03, subjects });
  const joint = scoreJson({ dataset: 'sim:fedorenko', features: 'wp:sigma=4.7 | bow', split: 'contiguous', level: 0.15, subjects });
  const json: PartitionJson = {
    dataset: 'sim:fedorenko', split: 'contiguous', a, b, joint,
    subjects: subjects.map((subject, k) => ({ subject, r2_a: 0.14, r2_b: 0.03, r2_joint: 0.15, omega: 70 + 5 * k })),
    omega_mean: 80,
    significance: { alpha: 0.05, blocking: 'block', block_chunk: null, chunking: null, mean_percent_significant: 4, subjects: subjects.map((subject, k) => ({ subject, n_units: Math.round(nUnits / subjects.length), percent_significant: 2 * k, percent_b_beats_chance: 10 })) },
    warnings: [],
  };
  const lines = ['experiment,unit,subject,r2_a,r2_b,r2_joint,unique_a,unique_b,shared,p_b_beyond_a,p_b_beyond_a_bh'];
  for (let u = 0; u < nUnits; u++) {
    const ra = Math.max(0, 0.14 + (rand() - 0.5) * 0.2);
    const rb = Math.max(0, 0.4 * ra + (rand() - 0.5) * 0.05);
    lines.push(['', `u${u}`, subjects[u % subjects.length], ra, rb, Math.max(ra, rb), 0.1, 0.01, 0.02, rand(), Math.min(1, rand() * 3)].join(','));
  }
  return { json, csv: lines.join('\n') + '\n' };
}

export function auditJson(partitions: { id: string; a: string; b: string }[]): Record<string, unknown> {
  const subjects = ['1', '2', '3'].map((subject, k) => ({ subject, r2: 0.1 + 0.01 * k, r: 0.3 + 0.01 * k }));
  return {
    kind: 'audit', dataset: 'sim:blank', source: 'sim:blank (fixture)', dataset_hash: 'ffee0011ffee0011ffee0011ffee0011ffee0011ffee0011ffee0011ffee0011', features: 'oasm:sigma=1.8',
    settings: { seed: 42, estimator: 'ridge' },
    rows: [
      { id: 'features-shuffled', label: 'features, shuffled', features: 'oasm:sigma=1.8', split: 'shuffled', banded: false, r2: 0.11, r2_sem: 0.01, r: 0.31, subjects, verdict: 'high with shuffled folds' },
      { id: 'features-contiguous', label: 'features, contiguous', features: 'oasm:sigma=1.8', split: 'contiguous', banded: false, r2: 0.001, r2_sem: 0.001, r: 0.02, subjects: subjects.map((s) => ({ ...s, r2: 0.001, r: 0.02 })), verdict: 'about zero with contiguous folds' },
    ],
    leak: { shuffled_r2: 0.11, contiguous_r2: 0.001, difference: 0.109, sem: 0.01, p: 0.0004, flagged: true, verdict: 'the shuffled score is leakage' },
    partitions: partitions.map((p, k) => ({ id: p.id, split: 'contiguous', a: p.a, b: p.b, omega_mean: 87.5 - k, subjects: ['1', '2', '3'].map((subject) => ({ subject, r2_a: 0.1, r2_b: 0.05, r2_joint: 0.11, omega: 90 - k })), percent_significant: 3.2, verdict: 'A explains most of B' })),
    verdicts: [{ line: 'Leak', verdict: 'shuffled folds leak: do not report the shuffled score' }, { line: 'Position and length', verdict: 'explain most of the score' }],
  };
}

/** Every figure type from hand-written results (no fitting): bars, curve, glass brain, Ω, significance, scatter, 2-D histogram, audit. */
export function writeSyntheticResults(dir: string): void {
  const grid = (split: string): ScoreJson['grid'] => ({ term: 'oasm:sigma=0.5,1,2,4', param: 'sigma', select: 'validation', curve: [0.5, 1, 2, 4].map((value) => ({ value, r2: split === 'shuffled' ? 0.05 * value : -0.002, r: split === 'shuffled' ? 0.1 * value : 0.01, r2_clipped: split === 'shuffled' ? 0.05 * value : 0, r_clipped: split === 'shuffled' ? 0.1 * value : 0.01 })), curve_clipped: false, chosen: [] });
  for (const split of ['shuffled', 'contiguous'] as const) {
    write(join(dir, `oasm-${split}`, 'score.json'), JSON.stringify(scoreJson({ features: 'oasm:sigma=0.5,1,2,4', split, level: split === 'shuffled' ? 0.15 : 0, grid: grid(split) }), null, 2));
    write(join(dir, `oasm-${split}`, 'units.csv'), scoreUnitsCsv(40, split === 'shuffled' ? 0.15 : 0, true));
    write(join(dir, `bow-${split}`, 'score.json'), JSON.stringify(scoreJson({ features: 'bow', split, level: 0.03 }), null, 2));
    write(join(dir, `bow-${split}`, 'units.csv'), scoreUnitsCsv(40, 0.03, true));
  }
  const small = partitionFixture(100);
  write(join(dir, 'partition', 'partition.json'), JSON.stringify(small.json, null, 2));
  write(join(dir, 'partition', 'units.csv'), small.csv);
  const big = partitionFixture(2500);
  write(join(dir, 'partition-big', 'partition.json'), JSON.stringify(big.json, null, 2));
  write(join(dir, 'partition-big', 'units.csv'), big.csv);
  write(join(dir, 'audit', 'audit.json'), JSON.stringify(auditJson([{ id: 'simple', a: 'wp:sigma=4.7', b: 'bow' }]), null, 2));
  write(join(dir, 'audit', 'partition-simple', 'partition.json'), JSON.stringify(small.json, null, 2));
  write(join(dir, 'audit', 'partition-simple', 'units.csv'), small.csv);
  write(join(dir, 'deconstruct', 'deconstruct.json'), JSON.stringify(deconstructFixture(), null, 2));
}

/** A deconstruct.json of three spaces (7 sub-models) in the form `brainmap deconstruct` writes it. */
export function deconstructFixture(): Record<string, unknown> {
  const subjects = ['1', '2', '3'];
  const names = [['wp'], ['glove'], ['llm'], ['wp', 'glove'], ['wp', 'llm'], ['glove', 'llm'], ['wp', 'glove', 'llm']];
  const r2 = [0.02, 0.01, 0.025, 0.028, 0.03, 0.027, 0.031];
  const models = names.map((sp, k) => ({ model: sp.join('+'), spaces: sp, features: sp.join(' | '), n_spaces: sp.length, has_llm: sp.includes('llm'), r2: r2[k], r2_sem: 0.002, subjects: subjects.map((s, j) => ({ subject: s, r2: r2[k] + 0.001 * (j - 1) })) }));
  const level = (n: number) => {
    const at = models.filter((m) => m.n_spaces === n).sort((a, b) => b.r2 - a.r2);
    const w = at.find((m) => !m.has_llm);
    return { n_spaces: n, model: at[0].model, r2: at[0].r2, r2_sem: at[0].r2_sem, without_llm: w ? { model: w.model, r2: w.r2, r2_sem: w.r2_sem } : null };
  };
  return {
    dataset: { name: 'fedorenko2016', source: 'synthetic fixture' }, split: 'contiguous', settings: { split: 'contiguous', banded_iter: 5 },
    spaces: [{ name: 'wp', spec: 'wp:sigma=4.7', columns: 9 }, { name: 'glove', spec: 'file:glove.txt', columns: 50 }, { name: 'llm', spec: 'lm:gpt2-untrained:layer=4:pool=last', columns: 768 }],
    llm: 'llm', models, levels: [1, 2, 3].map(level), unit_max: { r2: 0.036, r2_sem: 0.003, subjects: subjects.map((s) => ({ subject: s, r2: 0.036 })) },
    unique: [{ space: 'wp', full: 'wp+glove+llm', without: 'glove+llm', r2_full: 0.031, r2_without: 0.027, unique: 0.004, subjects: [] }, { space: 'glove', full: 'wp+glove+llm', without: 'wp+llm', r2_full: 0.031, r2_without: 0.03, unique: 0.001, subjects: [] }, { space: 'llm', full: 'wp+glove+llm', without: 'wp+glove', r2_full: 0.031, r2_without: 0.028, unique: 0.003, subjects: [] }],
    llm_beyond: { simple: 'wp+glove', llm_alone: 'llm', joint: 'wp+glove+llm', alpha: 0.05, blocking: 'block', block_chunk: null, chunking: null, mean_percent_significant: 12.5, subjects: subjects.map((s) => ({ subject: s, n_units: 10, percent_significant: 12.5, percent_llm_beats_chance: 40 })) },
    omega: { mean: 72.3, subjects: subjects.map((s) => ({ subject: s, r2_simple: 0.028, r2_llm: 0.025, r2_joint: 0.031, omega: 72.3 })) },
    warnings: [],
  };
}

/**
 * A demo-like folder from small real runs (a few seconds): `<kind>/<analysis>/{score.json,units.csv}`
 * for sim:fedorenko (units=0.2) and sim:pereira (3 units per subject, with coordinates and a σ grid),
 * a summary.json as the demo writes it, and a partition.
 */
export async function writeSimulatedResults(dir: string): Promise<void> {
  const backend = getBackend('auto');
  const rows: Record<string, unknown>[] = [];
  const copies: Record<string, Record<string, ScoreJson>> = {};
  const runs = [
    { spec: 'sim:fedorenko:units=0.2', id: 'oasm-shuffled', features: 'oasm:sigma=1.8', split: 'shuffled' as const, meaning: 'block membership and order only' },
    { spec: 'sim:fedorenko:units=0.2', id: 'oasm-contiguous', features: 'oasm:sigma=1.8', split: 'contiguous' as const, meaning: 'the same feature with whole blocks held out' },
    { spec: 'sim:fedorenko:units=0.2', id: 'position-length', features: 'wp:sigma=4.7', split: 'contiguous' as const, meaning: 'position + length only' },
    { spec: 'sim:pereira:units=3', id: 'sp-shuffled', features: 'sp:sigma=0.5,2+sl', split: 'shuffled' as const, meaning: 'position (σ grid) + length, shuffled' },
    { spec: 'sim:pereira:units=3', id: 'sp-contiguous', features: 'sp:sigma=0.5,2+sl', split: 'contiguous' as const, meaning: 'position (σ grid) + length, contiguous' },
  ];
  const datasets = new Map<string, ReturnType<typeof simulateDataset>>();
  for (const r of runs) {
    const { kind, options } = parseSimSpec(r.spec);
    if (!datasets.has(r.spec)) datasets.set(r.spec, simulateDataset(kind, options));
    const scored = await scoreSpec(datasets.get(r.spec)!, r.features, { split: r.split, backend });
    writeScore(join(dir, kind, r.id), scored);
    const json = specScoreToJson(scored);
    (copies[r.spec] ??= {})[r.id] = json;
    rows.push({ dataset: r.spec, analysis: r.id, features: r.features, split: r.split, r2: json.dataset.r2, r2_sem: json.dataset.r2_sem, r: json.dataset.r, meaning: r.meaning });
  }
  write(join(dir, 'summary.json'), JSON.stringify({ rows, datasets: copies }, null, 2));
  const p = await partitionFeatures(datasets.get('sim:fedorenko:units=0.2')!, 'wp:sigma=4.7', 'bow', { split: 'contiguous', backend, bandedIter: 5 });
  write(join(dir, 'partition', 'partition.json'), JSON.stringify(partitionJson(p, 'contiguous'), null, 2));
  write(join(dir, 'partition', 'units.csv'), partitionCsv(p));
}

/** Missing, partial and broken results, each for a different reason. */
export function writePartialResults(dir: string): void {
  // a shuffled score without its contiguous counterpart, and without units.csv
  write(join(dir, 'lonely', 'score.json'), JSON.stringify(scoreJson({ features: 'oasm:sigma=1.8', split: 'shuffled', level: 0.12 }), null, 2));
  // a complete pair, so some figures are drawn
  for (const split of ['shuffled', 'contiguous'] as const) {
    write(join(dir, `bow-${split}`, 'score.json'), JSON.stringify(scoreJson({ features: 'bow', split, level: 0.03 }), null, 2));
    write(join(dir, `bow-${split}`, 'units.csv'), scoreUnitsCsv(10, 0.03, true));
  }
  // unreadable JSON
  write(join(dir, 'broken', 'score.json'), '{ "dataset": { "name": "sim:pereira", ');
  // a score with fields missing
  const partial = JSON.parse(JSON.stringify(scoreJson({ features: 'sl', split: 'contiguous', level: 0.05 }))) as { dataset: Record<string, unknown>; subjects?: unknown };
  delete partial.dataset.hash;
  delete partial.subjects;
  write(join(dir, 'partial', 'score.json'), JSON.stringify(partial, null, 2));
  // a partition without units.csv and without significance
  const p = partitionFixture(20).json as Partial<PartitionJson>;
  delete p.significance;
  write(join(dir, 'partition-no-units', 'partition.json'), JSON.stringify(p, null, 2));
  // units.csv with nothing beside it, and one with a bad header
  write(join(dir, 'orphan', 'units.csv'), scoreUnitsCsv(3, 0.1, false));
  write(join(dir, 'bad-units', 'score.json'), JSON.stringify(scoreJson({ features: 'wn', split: 'contiguous', level: 0.02 }), null, 2));
  write(join(dir, 'bad-units', 'units.csv'), 'experiment,unit,subject,score\n,1,1,0.1\n');
  // an audit with most fields missing and a partition whose folder is absent
  const audit = auditJson([{ id: 'gone', a: 'wp', b: 'bow' }]);
  delete audit.leak;
  delete audit.verdicts;
  delete audit.dataset_hash;
  (audit.rows as Record<string, unknown>[])[0].r2 = undefined;
  write(join(dir, 'audit', 'audit.json'), JSON.stringify(audit, null, 2));
  // a demo summary whose second row's score.json is gone (its copy is in summary.json)
  const s1 = scoreJson({ dataset: 'sim:blank', features: 'oasm:sigma=1.8', split: 'shuffled', level: 0.13 });
  const s2 = scoreJson({ dataset: 'sim:blank', features: 'oasm:sigma=1.8', split: 'contiguous', level: 0 });
  write(join(dir, 'demo', 'blank', 'oasm-shuffled', 'score.json'), JSON.stringify(s1, null, 2));
  write(join(dir, 'demo', 'summary.json'), JSON.stringify({
    rows: [
      { dataset: 'sim:blank', analysis: 'oasm-shuffled', features: 'oasm:sigma=1.8', split: 'shuffled', r2: s1.dataset.r2, r2_sem: 0.004, r: s1.dataset.r, meaning: 'leaks' },
      { dataset: 'sim:blank', analysis: 'oasm-contiguous', features: 'oasm:sigma=1.8', split: 'contiguous', r2: 0, r2_sem: 0, r: 0, meaning: 'honest' },
    ],
    datasets: { 'sim:blank': { 'oasm-shuffled': s1, 'oasm-contiguous': s2 } },
  }, null, 2));
}

/** Width, height, bit depth and colour type from a PNG's IHDR, after checking signature, chunk and CRC. */
export function pngHeader(bytes: Uint8Array): { width: number; height: number; bitDepth: number; colorType: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  sig.forEach((b, i) => { if (bytes[i] !== b) throw new Error('not a PNG: bad signature'); });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(8) !== 13) throw new Error('IHDR length is not 13');
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (type !== 'IHDR') throw new Error(`first chunk is ${type}, not IHDR`);
  if (crc32(bytes.subarray(12, 29)) !== dv.getUint32(29)) throw new Error('IHDR CRC mismatch');
  const tail = String.fromCharCode(...bytes.subarray(bytes.length - 8, bytes.length - 4));
  if (tail !== 'IEND') throw new Error('PNG does not end with IEND');
  return { width: dv.getUint32(16), height: dv.getUint32(20), bitDepth: bytes[24], colorType: bytes[25] };
}

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * An audit of a language-model layer grid as `brainmap audit --out` writes it: audit.json with all
 * seven rows (two banded) and both partitions, the five scores beside it (`<row id>/score.json`, the
 * features' with a layer curve, its SEM per layer and the layers chosen per fold) and the partition
 * folders. Long feature specs, as real ones are.
 */
export function writeAuditResults(dir: string): void {
  const features = 'lm:gpt2-untrained:layer=0,2,4,6,8,10,12:pool=last';
  const layers = [0, 2, 4, 6, 8, 10, 12];
  const subjects = ['1', '2', '3', '4', '5'];
  const hash = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
  const grid = (split: 'shuffled' | 'contiguous'): ScoreJson['grid'] => ({
    term: features, param: 'layer', select: 'validation',
    curve: layers.map((value) => {
      const r2 = (split === 'shuffled' ? 0.06 : 0.02) + 0.004 * value - 0.0003 * value * value;
      return { value, r2, r: Math.sqrt(Math.max(r2, 0)) + 0.01, r2_sem: 0.006, r_sem: 0.015, r2_clipped: Math.max(r2, 0), r_clipped: Math.sqrt(Math.max(r2, 0)) + 0.01 };
    }),
    curve_clipped: false,
    chosen: [{ experiment: '', values: [6, 6, 8, 6, 4], values_r: [6, 8, 8, 6, 6] }],
  });
  const rows: Record<string, unknown>[] = [];
  const score = (id: string, f: string, split: 'shuffled' | 'contiguous', level: number, g: ScoreJson['grid'] = null) => {
    const json = scoreJson({ dataset: 'sim:fedorenko', hash, features: f, split, level, subjects, grid: g });
    write(join(dir, id, 'score.json'), JSON.stringify(json, null, 2));
    write(join(dir, id, 'units.csv'), scoreUnitsCsv(20, level, false, subjects));
    return json;
  };
  const simple = 'wp:sigma=4.7';
  const oasm = 'oasm:sigma=2';
  for (const [id, f, split, level, g, banded] of [
    ['features-shuffled', features, 'shuffled', 0.07, grid('shuffled'), false],
    ['features-contiguous', features, 'contiguous', 0.03, grid('contiguous'), false],
    ['oasm-shuffled', oasm, 'shuffled', 0.11, null, false],
    ['oasm-contiguous', oasm, 'contiguous', 0, null, false],
    ['simple-contiguous', simple, 'contiguous', 0.14, null, false],
    ['simple+features-contiguous', `${simple} | ${features}`, 'contiguous', 0.145, null, true],
    ['oasm+features-shuffled', `${oasm} | ${features}`, 'shuffled', 0.12, null, true],
  ] as const) {
    const json = banded ? scoreJson({ dataset: 'sim:fedorenko', hash, features: f, split, level, subjects }) : score(id, f, split, level, g);
    rows.push({
      id, label: id.replace(/-/g, ', '), features: f, split, banded, r2: json.dataset.r2, r2_sem: json.dataset.r2_sem, r: json.dataset.r,
      subjects: json.subjects.map((s) => ({ subject: s.subject, r2: s.r2, r: s.r })), verdict: 'fixture', warnings: [],
    });
  }
  const parts = [{ id: 'simple', a: simple, split: 'contiguous' as const }, { id: 'oasm', a: oasm, split: 'shuffled' as const }];
  for (const p of parts) {
    const fx = partitionFixture(100, subjects);
    // Ω per subject close to its mean (the mean line runs across every bar top).
    fx.json.subjects = subjects.map((subject, k) => ({ subject, r2_a: 0.14, r2_b: 0.03, r2_joint: 0.145, omega: k === 2 ? 98.5 : 100 }));
    fx.json.omega_mean = 99.7;
    fx.json.split = p.split;
    write(join(dir, `partition-${p.id}`, 'partition.json'), JSON.stringify(fx.json, null, 2));
    write(join(dir, `partition-${p.id}`, 'units.csv'), fx.csv);
  }
  write(join(dir, 'audit.json'), JSON.stringify({
    kind: 'audit', dataset: 'sim:fedorenko', source: 'sim:fedorenko (fixture)', dataset_hash: hash, features,
    settings: { seed: 42, select: 'validation', banded_iter: 100, banded_seed: 0, simple, oasm, backend: 'native', compat: null, inner_zscore: true },
    rows,
    leak: { shuffled_r2: 0.07, contiguous_r2: 0.03, difference: 0.04, sem: 0.01, p: 0.004, flagged: true, verdict: 'leak' },
    partitions: parts.map((p) => ({ id: p.id, split: p.split, a: p.a, b: features, omega_mean: 99.7, subjects: subjects.map((subject) => ({ subject, r2_a: 0.14, r2_b: 0.03, r2_joint: 0.145, omega: 99.7 })), percent_significant: 1.2, verdict: 'A explains B' })),
    brainscore: null,
    verdicts: [{ line: 'Leak', verdict: 'shuffled folds leak' }],
    warnings: [],
  }, null, 2));
}
