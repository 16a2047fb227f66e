/**
 * Simulated datasets with the real designs' structure and responses built from documented,
 * seeded components, so that a user (and the tests) know what a correct analysis must find.
 *
 * For unit u and sample i in block b at position t (0-based), with words w(i):
 *
 *   y[i,u] = ac · z_{b,u}(t)                    within-block temporal autocorrelation: an AR(1)
 *                                               process per (block, unit), coefficient ρ, unit
 *                                               variance, independent across blocks and units
 *          + len · β_u · ℓ(i)                   ℓ = word count of the sample, z-scored over the dataset
 *          + pos · γ_u · π(t)                   π = exp(−t/τ), z-scored over the dataset
 *          + content · δ_uᵀ c(i)                c = mean over w(i) of an 8-d seeded random vector per word
 *                                               (unit variance per dimension), δ_u ~ N(0, I/8)·√8/‖·‖
 *          + word · ω_uᵀ c(i)                   the same word space c with its own unit loadings
 *          + sense · σ_uᵀ s(i)                  s = mean over w(i) of an 8-d vector per (word, sense): each
 *                                               occurrence takes one of its word's 2 senses at random
 *          + synt · θ_uᵀ x(i)                   x = an 8-d vector of the sample's "syntactic template",
 *                                               one of 12 drawn at random per sample
 *          + noise · ε[i,u]                     ε ~ N(0, 1)
 *
 * with β_u, γ_u ~ 1 + 0.3·N(0, 1) (mostly positive loadings); ω_u, σ_u, θ_u unit-norm like δ_u.
 * Everything up to the content term is drawn from one MT19937 stream seeded by `seed`; the word,
 * sense and syntax spaces, their loadings and the "LLM" space come from a second stream (seed
 * XOR 0x5eed5eed), so that datasets with word = sense = synt = 0 are those of earlier versions.
 *
 * Planted spaces (Dataset.planted; each column z-scored over the dataset): len (ℓ), pos (π),
 * word (c), sense (s), synt (x) and llm: `llm` columns, a random linear map of [ℓ, π, c, s, x]
 * (26 columns) and nothing else — a "language model" whose every direction is made of the other
 * spaces, so that a correct analysis finds it adds nothing beyond them. Nothing here reads a file.
 *
 * What a correct analysis finds: OASM (which sees only block membership and order) predicts the
 * ac component with shuffled folds, where a held-out sample's neighbours are in training, and
 * nothing with contiguous folds; position/length features predict the len and pos components under
 * both split schemes; a bag-of-words content feature adds the (weak) content component.
 */
import type { Dataset } from './dataset.js';
import { InputError } from './errors.js';
import { pereiraFoldLabel, pereiraPassages } from './pereira-design.js';
import { makeSentence, makeSentenceOfLength, makeStoryWords, wordTokens } from './text.js';
import { MT19937 } from '../random/mt19937.js';
import type { Matrix64 } from '../linalg/matrix.js';

export interface SimEffects {
  /** SD of the within-block autocorrelated component. */
  ac: number;
  /** AR(1) coefficient of that component. */
  rho: number;
  /** SD of the word-count (sentence length / word rate) effect. */
  len: number;
  /** SD of the position-in-block effect. */
  pos: number;
  /** Time constant τ (in samples) of the position effect exp(−t/τ). */
  tau: number;
  /** SD of the content effect. */
  content: number;
  /** SD of the noise. */
  noise: number;
  /** SDs of the planted word, sense and syntax components (0: not in the responses). */
  word: number;
  sense: number;
  synt: number;
}

export interface SimOptions extends SimEffects {
  seed: number;
  /** Units per subject (Pereira voxels) or a multiplier of the real counts (Fedorenko, Blank: 1 = real counts). */
  units: number;
  /** Columns of the planted "LLM" space (a linear map of the other planted spaces). */
  llm: number;
}

export const SIM_DEFAULTS: Record<'pereira' | 'fedorenko' | 'blank', SimOptions> = {
  pereira: { seed: 1, units: 60, ac: 1, rho: 0.9, len: 0.4, pos: 0.4, tau: 1.5, content: 0.2, noise: 1, word: 0, sense: 0, synt: 0, llm: 64 },
  // Fedorenko samples are single words (word count 1): no length effect.
  fedorenko: { seed: 1, units: 1, ac: 0.6, rho: 0.8, len: 0, pos: 0.5, tau: 2, content: 0.2, noise: 1, word: 0, sense: 0, synt: 0, llm: 64 },
  blank: { seed: 1, units: 1, ac: 0.6, rho: 0.8, len: 0.4, pos: 0.4, tau: 3, content: 0.2, noise: 1, word: 0, sense: 0, synt: 0, llm: 64 },
};

/**
 * Share of the response variance each component has on average (for tests and the README).
 * Assumes each component is standardised over the dataset (true unless it is constant, e.g. the
 * word count of single-word samples, whose share is then 0 whatever `len` says).
 */
export function componentShares(e: SimEffects): Record<'ac' | 'len' | 'pos' | 'content' | 'word' | 'sense' | 'synt' | 'noise', number> {
  const loadingVar = 1 + 0.09; // E[β²] for β ~ 1 + 0.3 N(0,1)
  const v = { ac: e.ac ** 2, len: e.len ** 2 * loadingVar, pos: e.pos ** 2 * loadingVar, content: e.content ** 2, word: (e.word ?? 0) ** 2, sense: (e.sense ?? 0) ** 2, synt: (e.synt ?? 0) ** 2, noise: e.noise ** 2 };
  const total = Object.values(v).reduce((a, x) => a + x, 0);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x / total])) as Record<keyof typeof v, number>;
}

interface Design {
  name: string;
  text: string[];
  block: string[];
  position: Int32Array;
  experiment: string[];
  fold: string[] | null;
  stimulusId: string[];
  /** Subject of each unit, and the experiments each subject did. */
  unitSubject: string[];
  unitNetwork: string[];
  subjectExperiments: Map<string, Set<string>> | null;
  designKind: Dataset['design'];
  shuffleOrder: string[];
}

const PEREIRA_SUBJECTS_243 = ['018', '215', '288', '289', '296', '426'];
const PEREIRA_SUBJECTS = ['018', '199', '215', '288', '289', '296', '343', '366', '407', '426'];

function pereiraDesign(rng: MT19937, unitsPerSubject: number): Design {
  const passages = pereiraPassages();
  const d: Design = {
    name: 'sim:pereira', text: [], block: [], position: new Int32Array(627), experiment: [], fold: [], stimulusId: [],
    unitSubject: [], unitNetwork: [], subjectExperiments: new Map(), designKind: { kind: 'labels' }, shuffleOrder: ['384', '243'],
  };
  let row = 0;
  for (const p of passages) {
    for (let s = 0; s < p.nSentences; s++) {
      d.text.push(makeSentence(rng));
      d.block.push(`${p.experiment}-${p.category}-${p.passageNumber}`);
      d.position[row++] = s;
      d.experiment.push(p.experiment);
      d.fold!.push(pereiraFoldLabel(p));
      d.stimulusId.push(`${p.experiment}-${p.category}-${p.passageNumber}-${s}`);
    }
  }
  for (const s of PEREIRA_SUBJECTS) {
    const exps = new Set<string>();
    if (s !== '215') exps.add('384');
    if (PEREIRA_SUBJECTS_243.includes(s)) exps.add('243');
    d.subjectExperiments!.set(s, exps);
    for (let k = 0; k < unitsPerSubject; k++) { d.unitSubject.push(s); d.unitNetwork.push('language'); }
  }
  return d;
}

function fedorenkoDesign(rng: MT19937, scale: number): Design {
  const d: Design = {
    name: 'sim:fedorenko', text: [], block: [], position: new Int32Array(416), experiment: [], fold: null, stimulusId: [],
    unitSubject: [], unitNetwork: [], subjectExperiments: null, designKind: { kind: 'blocks', outerSize: 32, innerSize: 48 }, shuffleOrder: [],
  };
  for (let s = 0; s < 52; s++) {
    const words = makeSentenceOfLength(rng, 8).split(' ');
    words.forEach((w, k) => {
      const row = s * 8 + k;
      d.text.push(w);
      d.block.push(`s${s}`);
      d.position[row] = k;
      d.experiment.push('');
      d.stimulusId.push(String(row));
    });
  }
  [47, 8, 9, 15, 18].forEach((count, i) => {
    for (let k = 0; k < Math.max(1, Math.round(count * scale)); k++) { d.unitSubject.push(String(i + 1)); d.unitNetwork.push('language'); }
  });
  return d;
}

const BLANK_STORIES: ReadonlyArray<readonly [string, number]> = [
  ['Aqua', 143], ['Boar', 153], ['Elvis', 135], ['HighSchool', 157], ['KingOfBirds', 181], ['MatchstickSeller', 181], ['MrSticky', 189], ['Tulips', 178],
];
const BLANK_FROIS = ['LH_PostTemp', 'LH_AntTemp', 'LH_IFG', 'LH_IFGorb', 'LH_MFG', 'LH_AngG', 'RH_PostTemp', 'RH_AntTemp', 'RH_IFG', 'RH_IFGorb', 'RH_MFG', 'RH_AngG'];

function blankDesign(rng: MT19937, scale: number): Design {
  const n = BLANK_STORIES.reduce((a, [, l]) => a + l, 0);
  const d: Design = {
    name: 'sim:blank', text: [], block: [], position: new Int32Array(n), experiment: [], fold: [], stimulusId: [],
    unitSubject: [], unitNetwork: [], subjectExperiments: null, designKind: { kind: 'labels' }, shuffleOrder: [],
  };
  let row = 0;
  for (const [story, len] of BLANK_STORIES) {
    // Words per 2-s TR: 1–7, a slowly varying speech rate.
    const counts = Array.from({ length: len }, () => 1 + rng.randomInterval(6));
    const words = makeStoryWords(rng, counts.reduce((a, b) => a + b, 0));
    let w = 0;
    for (let t = 0; t < len; t++) {
      d.text.push(`${words.slice(w, w + counts[t]).join(' ')} `);
      w += counts[t];
      d.block.push(story);
      d.position[row++] = t;
      d.experiment.push('');
      d.fold!.push(story);
      d.stimulusId.push(`${story}-${t}`);
    }
  }
  for (let s = 0; s < 5; s++) {
    for (let rep = 0; rep < Math.max(1, Math.round(scale)); rep++) {
      for (const f of BLANK_FROIS) { d.unitSubject.push(String(s)); d.unitNetwork.push(rep === 0 ? f : `${f}_${rep}`); }
    }
  }
  return d;
}

function zscore(v: Float64Array): Float64Array {
  let m = 0;
  for (const x of v) m += x;
  m /= v.length;
  let s = 0;
  for (const x of v) s += (x - m) ** 2;
  s = Math.sqrt(s / v.length) || 1;
  return v.map((x) => (x - m) / s);
}

/** Builds a simulated dataset: `kind` is pereira, fedorenko or blank; options override SIM_DEFAULTS. */
export function simulateDataset(kind: 'pereira' | 'fedorenko' | 'blank', overrides: Partial<SimOptions> = {}): Dataset {
  const o: SimOptions = { ...SIM_DEFAULTS[kind], ...overrides };
  const rng = new MT19937(o.seed);
  const d = kind === 'pereira' ? pereiraDesign(rng, Math.max(1, Math.round(o.units))) : kind === 'fedorenko' ? fedorenkoDesign(rng, o.units) : blankDesign(rng, o.units);
  const n = d.text.length;
  const u = d.unitSubject.length;

  const len = zscore(Float64Array.from(d.text, (t) => wordTokens(t).length));
  const pos = zscore(Float64Array.from(d.position, (t) => Math.exp(-t / o.tau)));
  const dim = 8;
  const vocab = new Map<string, Float64Array>();
  const content = new Float64Array(n * dim);
  d.text.forEach((t, i) => {
    const toks = wordTokens(t);
    for (const w of toks) {
      let v = vocab.get(w);
      if (!v) { v = Float64Array.from({ length: dim }, () => rng.standardNormal()); vocab.set(w, v); }
      for (let k = 0; k < dim; k++) content[i * dim + k] += v[k] / toks.length;
    }
  });
  // Normalise the content projection to unit variance per dimension over the dataset.
  for (let k = 0; k < dim; k++) {
    const col = zscore(Float64Array.from({ length: n }, (_, i) => content[i * dim + k]));
    for (let i = 0; i < n; i++) content[i * dim + k] = col[i];
  }

  const planted = plantedSpaces(o, d.text, len, pos, content, dim, vocab);
  const y = new Float64Array(n * u);
  const blockStart = new Int32Array(n);
  for (let i = 1; i < n; i++) blockStart[i] = d.block[i] === d.block[i - 1] ? blockStart[i - 1] : i;
  const innov = Math.sqrt(1 - o.rho * o.rho);
  for (let j = 0; j < u; j++) {
    const beta = 1 + 0.3 * rng.standardNormal();
    const gamma = 1 + 0.3 * rng.standardNormal();
    const delta = Float64Array.from({ length: dim }, () => rng.standardNormal());
    const norm = Math.sqrt(delta.reduce((a, v) => a + v * v, 0)) || 1;
    for (let k = 0; k < dim; k++) delta[k] /= norm;
    let z = 0;
    for (let i = 0; i < n; i++) {
      z = blockStart[i] === i ? rng.standardNormal() : o.rho * z + innov * rng.standardNormal();
      let c = 0;
      for (let k = 0; k < dim; k++) c += delta[k] * content[i * dim + k];
      y[i * u + j] = o.ac * z + o.len * beta * len[i] + o.pos * gamma * pos[i] + o.content * c + o.noise * rng.standardNormal();
    }
  }
  addPlantedComponents(y, n, u, o, planted);
  // Units of subjects who did not do an experiment have no recording there (NaN), as in Pereira2018.
  if (d.subjectExperiments) {
    for (let j = 0; j < u; j++) {
      const did = d.subjectExperiments.get(d.unitSubject[j])!;
      for (let i = 0; i < n; i++) if (!did.has(d.experiment[i])) y[i * u + j] = NaN;
    }
  }
  // Pereira-like voxels get coordinates (MNI-like mm) around left-hemisphere language regions, so
  // that unit maps can be drawn; the other designs have none (ECoG electrodes, fROIs).
  let coords: Dataset['units']['coords'] = null;
  if (kind === 'pereira') {
    const centres = [[-50, -40, 5], [-52, 10, 15], [-45, 25, -5], [-55, -10, -15], [-40, -60, 25]];
    const c = new Float64Array(u * 3);
    for (let j = 0; j < u; j++) {
      const centre = centres[j % centres.length];
      for (let k = 0; k < 3; k++) c[j * 3 + k] = centre[k] + 8 * rng.standardNormal();
    }
    coords = { rows: u, cols: 3, data: c };
  }
  const perSubject = new Map<string, number>();
  const ids = d.unitSubject.map((s) => { const k = perSubject.get(s) ?? 0; perSubject.set(s, k + 1); return `${s}-${k}`; });
  const planting = (['word', 'sense', 'synt'] as const).filter((k) => o[k] !== 0).map((k) => `, ${k}=${o[k]}`).join('');
  const effects = `ac=${o.ac}, rho=${o.rho}, len=${o.len}, pos=${o.pos}, tau=${o.tau}, content=${o.content}, noise=${o.noise}${planting}${o.llm !== SIM_DEFAULTS[kind].llm ? `, llm=${o.llm}` : ''}`;
  return {
    name: d.name,
    source: `${d.name} (seed ${o.seed}, ${effects})`,
    y: { rows: n, cols: u, data: y },
    samples: { stimulusId: d.stimulusId, text: d.text, block: d.block, position: d.position, experiment: d.experiment, fold: d.fold },
    units: { id: ids, subject: d.unitSubject, network: d.unitNetwork, coords },
    design: d.designKind,
    shuffleOrder: d.shuffleOrder,
    planted,
  };
}

/** Dimensions of the planted sense and syntax spaces, and the number of syntactic templates. */
const SENSE_DIM = 8;
const SYNT_DIM = 8;
const TEMPLATES = 12;

/** Columns of an n × d row-major matrix z-scored in place (population SD; a constant column stays 0). */
function zscoreColumns(m: Float64Array, n: number, d: number): Float64Array {
  for (let k = 0; k < d; k++) {
    const col = zscore(Float64Array.from({ length: n }, (_, i) => m[i * d + k]));
    for (let i = 0; i < n; i++) m[i * d + k] = col[i];
  }
  return m;
}

/** The second stream (word/sense/syntax spaces, their loadings, the LLM map); see the header. */
const plantRng = (seed: number) => new MT19937((seed ^ 0x5eed5eed) >>> 0);

/**
 * The planted spaces (header): len, pos, word (the content space), sense, synt and llm, each
 * samples × dims in dataset row order, columns z-scored.
 */
function plantedSpaces(o: SimOptions, text: readonly string[], len: Float64Array, pos: Float64Array, content: Float64Array, dim: number, vocab: ReadonlyMap<string, Float64Array>): Record<string, Matrix64> {
  const rng = plantRng(o.seed);
  const n = text.length;
  // Sense vectors per (word, sense), in order of first appearance of the word (vocab's order).
  const senses = new Map<string, Float64Array[]>();
  for (const w of vocab.keys()) senses.set(w, [0, 1].map(() => Float64Array.from({ length: SENSE_DIM }, () => rng.standardNormal())));
  const sense = new Float64Array(n * SENSE_DIM);
  text.forEach((t, i) => {
    const toks = wordTokens(t);
    for (const w of toks) {
      const v = senses.get(w)![rng.randomDouble() < 0.5 ? 0 : 1];
      for (let k = 0; k < SENSE_DIM; k++) sense[i * SENSE_DIM + k] += v[k] / toks.length;
    }
  });
  const templates = Array.from({ length: TEMPLATES }, () => Float64Array.from({ length: SYNT_DIM }, () => rng.standardNormal()));
  const synt = new Float64Array(n * SYNT_DIM);
  for (let i = 0; i < n; i++) synt.set(templates[Math.floor(rng.randomDouble() * TEMPLATES)], i * SYNT_DIM);
  zscoreColumns(sense, n, SENSE_DIM);
  zscoreColumns(synt, n, SYNT_DIM);
  // LLM = [ℓ, π, c, s, x] M, M ~ N(0, 1/26): every direction of it is made of the other spaces.
  const parts: [Float64Array, number][] = [[len, 1], [pos, 1], [content, dim], [sense, SENSE_DIM], [synt, SYNT_DIM]];
  const q = parts.reduce((a, [, d]) => a + d, 0);
  const cols = Math.max(1, Math.round(o.llm));
  const map = Float64Array.from({ length: q * cols }, () => rng.standardNormal() / Math.sqrt(q));
  const llm = new Float64Array(n * cols);
  const row = new Float64Array(q);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (const [m, d] of parts) { for (let k = 0; k < d; k++) row[off + k] = m[i * d + k]; off += d; }
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let k = 0; k < q; k++) s += row[k] * map[k * cols + c];
      llm[i * cols + c] = s;
    }
  }
  zscoreColumns(llm, n, cols);
  const mat = (data: Float64Array, d: number): Matrix64 => ({ rows: n, cols: d, data });
  return { len: mat(Float64Array.from(len), 1), pos: mat(Float64Array.from(pos), 1), word: mat(Float64Array.from(content), dim), sense: mat(sense, SENSE_DIM), synt: mat(synt, SYNT_DIM), llm: mat(llm, cols) };
}

/** y += word·ω_uᵀ c + sense·σ_uᵀ s + synt·θ_uᵀ x, loadings unit-norm per unit (second stream, after the spaces). */
function addPlantedComponents(y: Float64Array, n: number, u: number, o: SimOptions, planted: Record<string, Matrix64>): void {
  const rng = plantRng(o.seed ^ 0x1);
  for (const key of ['word', 'sense', 'synt'] as const) {
    const effect = o[key];
    if (effect === 0) continue;
    const x = planted[key];
    const d = x.cols;
    for (let j = 0; j < u; j++) {
      const w = Float64Array.from({ length: d }, () => rng.standardNormal());
      const norm = Math.sqrt(w.reduce((a, v) => a + v * v, 0)) || 1;
      for (let i = 0; i < n; i++) {
        let c = 0;
        for (let k = 0; k < d; k++) c += w[k] * x.data[i * d + k];
        y[i * u + j] += (effect * c) / norm;
      }
    }
  }
}

/** Parses `sim:<kind>[:key=value…]` (keys: seed, units, ac, rho, len, pos, tau, content, noise, word, sense, synt, llm). */
export function parseSimSpec(spec: string): { kind: 'pereira' | 'fedorenko' | 'blank'; options: Partial<SimOptions> } {
  const parts = spec.split(':');
  const kind = parts[1];
  if (kind !== 'pereira' && kind !== 'fedorenko' && kind !== 'blank') {
    throw new InputError(`${spec}: dataset: unknown simulated dataset "${kind ?? ''}"; expected sim:pereira, sim:fedorenko or sim:blank`);
  }
  const options: Partial<SimOptions> = {};
  const keys = Object.keys(SIM_DEFAULTS[kind]) as (keyof SimOptions)[];
  for (const arg of parts.slice(2)) {
    const [k, v] = arg.split('=');
    const value = v !== undefined && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(v) ? Number(v) : NaN;
    if (!keys.includes(k as keyof SimOptions) || !Number.isFinite(value)) {
      throw new InputError(`${spec}: dataset: "${arg}" is not key=number with key one of ${keys.join(', ')}`);
    }
    options[k as keyof SimOptions] = value;
  }
  if (options.seed !== undefined && !(Number.isInteger(options.seed) && options.seed >= 0 && options.seed <= 0xffffffff)) {
    throw new InputError(`${spec}: dataset: seed=${options.seed} must be an integer in 0…4294967295`);
  }
  // Bounded so that y stays within memory (Pereira: voxels per subject; Fedorenko, Blank: a multiplier of the real counts).
  const maxUnits = kind === 'pereira' ? 20000 : 1000;
  if (options.units !== undefined && options.units > maxUnits) throw new InputError(`${spec}: dataset: units=${options.units} must be at most ${maxUnits}`);
  if (options.rho !== undefined && !(options.rho >= 0 && options.rho < 1)) throw new InputError(`${spec}: dataset: rho=${options.rho} must be in [0, 1)`);
  if (options.llm !== undefined && !(Number.isInteger(options.llm) && options.llm >= 1 && options.llm <= 4096)) throw new InputError(`${spec}: dataset: llm=${options.llm} must be an integer in 1…4096 (columns of the planted LLM space)`);
  if (options.units !== undefined && !(options.units > 0)) throw new InputError(`${spec}: dataset: units=${options.units} must be > 0`);
  return { kind, options };
}
