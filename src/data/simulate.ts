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
 *          + noise · ε[i,u]                     ε ~ N(0, 1)
 *
 * with β_u, γ_u ~ 1 + 0.3·N(0, 1) (mostly positive loadings). Everything is drawn from one
 * MT19937 stream seeded by `seed`. Nothing here reads a file.
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
}

export interface SimOptions extends SimEffects {
  seed: number;
  /** Units per subject (Pereira voxels) or a multiplier of the real counts (Fedorenko, Blank: 1 = real counts). */
  units: number;
}

export const SIM_DEFAULTS: Record<'pereira' | 'fedorenko' | 'blank', SimOptions> = {
  pereira: { seed: 1, units: 60, ac: 1, rho: 0.9, len: 0.4, pos: 0.4, tau: 1.5, content: 0.2, noise: 1 },
  // Fedorenko samples are single words (word count 1): no length effect.
  fedorenko: { seed: 1, units: 1, ac: 0.6, rho: 0.8, len: 0, pos: 0.5, tau: 2, content: 0.2, noise: 1 },
  blank: { seed: 1, units: 1, ac: 0.6, rho: 0.8, len: 0.4, pos: 0.4, tau: 3, content: 0.2, noise: 1 },
};

/**
 * Share of the response variance each component has on average (for tests and the README).
 * Assumes each component is standardised over the dataset (true unless it is constant, e.g. the
 * word count of single-word samples, whose share is then 0 whatever `len` says).
 */
export function componentShares(e: SimEffects): Record<'ac' | 'len' | 'pos' | 'content' | 'noise', number> {
  const loadingVar = 1 + 0.09; // E[β²] for β ~ 1 + 0.3 N(0,1)
  const v = { ac: e.ac ** 2, len: e.len ** 2 * loadingVar, pos: e.pos ** 2 * loadingVar, content: e.content ** 2, noise: e.noise ** 2 };
  const total = v.ac + v.len + v.pos + v.content + v.noise;
  return { ac: v.ac / total, len: v.len / total, pos: v.pos / total, content: v.content / total, noise: v.noise / total };
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
  const effects = `ac=${o.ac}, rho=${o.rho}, len=${o.len}, pos=${o.pos}, tau=${o.tau}, content=${o.content}, noise=${o.noise}`;
  return {
    name: d.name,
    source: `${d.name} (seed ${o.seed}, ${effects})`,
    y: { rows: n, cols: u, data: y },
    samples: { stimulusId: d.stimulusId, text: d.text, block: d.block, position: d.position, experiment: d.experiment, fold: d.fold },
    units: { id: ids, subject: d.unitSubject, network: d.unitNetwork, coords },
    design: d.designKind,
    shuffleOrder: d.shuffleOrder,
  };
}

/** Parses `sim:<kind>[:key=value…]` (keys: seed, units, ac, rho, len, pos, tau, content, noise). */
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
  if (options.units !== undefined && !(options.units > 0)) throw new InputError(`${spec}: dataset: units=${options.units} must be > 0`);
  return { kind, options };
}
