/**
 * Issue 15 acceptance (simulated): sim:pereira with planted word, sense and syntax components and an
 * "LLM" space that is a linear map of the planted spaces and nothing else. The truth is planted:
 * len, pos, word and sense enter the responses, synt does not, and the LLM carries nothing the
 * other spaces do not. deconstruct must find unique variance in exactly the spaces that carry it,
 * none in synt or the LLM, no units where the LLM adds significant variance beyond the best model
 * without it (up to BH's false discoveries), and Ω near 100 %.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateDataset } from '../../src/data/simulate.js';
import { getBackend } from '../../src/linalg/index.js';
import { allSubsets, deconstructFeatures, deconstructJson, deconstructUnitsCsv, parseModelsArg, parseSpaceArg } from '../../src/pipeline/deconstruct.js';
import { SNAKE_KEY } from '../../src/pipeline/json-keys.js';

const backend = getBackend('auto');
const SPACES = ['len', 'pos', 'word', 'sense', 'synt', 'llm'];

function keysOf(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => keysOf(x, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { out.push(k); keysOf(x, out); }
  return out;
}

test('sim:pereira with planted spaces: deconstruct finds unique variance where it was planted and nothing the LLM adds', { timeout: 600_000 }, async () => {
  // No autocorrelation and no bag-of-words content: every non-noise component is a planted space.
  const dataset = simulateDataset('pereira', { units: 2, ac: 0, content: 0, len: 0.5, pos: 0.5, word: 0.7, sense: 0.7, synt: 0, noise: 1, llm: 48 });
  const spaces = SPACES.map((s) => parseSpaceArg(`${s}=planted:${s}`));
  // The full model and every model without one space; the same within the spaces without the LLM
  // (unique variance both ways) — the LLM alone is added by deconstruct.
  const rest = SPACES.filter((s) => s !== 'llm');
  const models = [SPACES, ...SPACES.map((s) => SPACES.filter((x) => x !== s)), ...rest.map((s) => rest.filter((x) => x !== s))];
  const d = await deconstructFeatures(dataset, spaces, { split: 'contiguous', backend, experiments: ['384'], alphas: [0.1, 1, 10, 100, 1000, 1e4], bandedIter: 4, models });
  assert.equal(d.models.length, 13, d.models.map((m) => m.name).join(', '));
  assert.ok(['len+pos+word+sense+synt', 'len+pos+word+sense'].includes(d.llmBeyond.simple), `the best model without the LLM has every planted space: ${d.llmBeyond.simple}`);
  // Among the spaces without the LLM: unique variance exactly where it was planted.
  const unique = new Map(d.uniqueWithoutLlm.map((u) => [u.space, u.unique!]));
  assert.deepEqual([...unique.keys()], rest);
  for (const s of ['len', 'pos', 'word', 'sense']) assert.ok(unique.get(s)! > 0.05, `${s} carries unique variance: ${unique.get(s)}`);
  // None in synt: adding it gains nothing (with few γ samples its band costs a little: ≤ 0).
  assert.ok(unique.get('synt')! < 0.01, `synt carries none: ${unique.get('synt')}`);
  // Planted shares: word and sense 0.49/total each, len and pos 0.25·1.09/total — word > len.
  assert.ok(unique.get('word')! > unique.get('len')!, 'word (larger planted share) above len');
  // In the full model the LLM (made of the planted spaces) adds nothing, and since it spans them no
  // other space adds anything beyond it either.
  for (const u of d.unique) assert.ok(Math.abs(u.unique!) < 0.02, `${u.space} in the full model: ${u.unique}`);
  assert.ok(d.llmBeyond.significance.meanPercentSignificant <= 10, `the LLM adds significantly in ${d.llmBeyond.significance.meanPercentSignificant} % of units`);
  assert.ok(d.omega.mean > 80, `Ω ${d.omega.mean}`);
  // The LLM alone explains most of what the planted spaces do (it is made of them).
  const llmAlone = d.models.find((m) => m.name === 'llm')!;
  assert.ok(llmAlone.r2 > 0.5 * d.models.find((m) => m.name === SPACES.join('+'))!.r2, `LLM alone ${llmAlone.r2}`);
  // Output forms: snake_case JSON, one units.csv row per unit with every model's column.
  const json = deconstructJson(d, 'contiguous');
  for (const k of keysOf(json)) assert.match(k, SNAKE_KEY);
  const csv = deconstructUnitsCsv(d).trim().split('\n');
  assert.equal(csv.length, 1 + 18, '9 subjects × 2 units in experiment 384');
  assert.equal(csv[0].split(',').length, 4 + 13 + 4);
});

test('all sub-models: 2^N − 1, by size then in order; --models and --space parse', () => {
  assert.equal(allSubsets(6).length, 63);
  assert.deepEqual(allSubsets(3), [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]);
  assert.deepEqual(parseModelsArg('a+b, c', ['a', 'b', 'c']), [['a', 'b'], ['c']]);
  assert.throws(() => parseModelsArg('a+d', ['a', 'b']), /no space named "d"/);
  assert.deepEqual(parseSpaceArg('sp=sp:sigma=3.4+sl'), { name: 'sp', spec: 'sp:sigma=3.4+sl' });
  assert.throws(() => parseSpaceArg('=sl'), /expected name=features/);
});

test('planted spaces: the LLM is exactly a linear map of the other planted spaces', () => {
  const d = simulateDataset('pereira', { units: 1 });
  const p = d.planted!;
  assert.deepEqual(Object.keys(p), ['len', 'pos', 'word', 'sense', 'synt', 'llm']);
  assert.deepEqual(['len', 'pos', 'word', 'sense', 'synt', 'llm'].map((k) => p[k].cols), [1, 1, 8, 8, 8, 64]);
  // Least squares of every LLM column on [1, len, pos, word, sense, synt]: residual 0 (independent closed form, normal equations).
  const n = d.y.rows;
  const parts = ['len', 'pos', 'word', 'sense', 'synt'].map((k) => p[k]);
  const q = 1 + parts.reduce((a, m) => a + m.cols, 0);
  const z = new Float64Array(n * q);
  for (let i = 0; i < n; i++) { z[i * q] = 1; let off = 1; for (const m of parts) { for (let k = 0; k < m.cols; k++) z[i * q + off + k] = m.data[i * m.cols + k]; off += m.cols; } }
  const ztz = new Float64Array(q * q);
  for (let i = 0; i < n; i++) for (let a = 0; a < q; a++) for (let b = 0; b < q; b++) ztz[a * q + b] += z[i * q + a] * z[i * q + b];
  const llm = p.llm;
  let worst = 0;
  for (const c of [0, 17, 63]) {
    const rhs = new Float64Array(q);
    for (let i = 0; i < n; i++) for (let a = 0; a < q; a++) rhs[a] += z[i * q + a] * llm.data[i * llm.cols + c];
    const coef = solve(Float64Array.from(ztz), rhs, q);
    let rss = 0;
    for (let i = 0; i < n; i++) { let s = 0; for (let a = 0; a < q; a++) s += z[i * q + a] * coef[a]; rss += (llm.data[i * llm.cols + c] - s) ** 2; }
    worst = Math.max(worst, rss / n);
  }
  assert.ok(worst < 1e-12, `LLM columns off the planted spaces' span: mean squared residual ${worst}`);
});

/** Gaussian elimination with partial pivoting (q × q). */
function solve(m: Float64Array, b: Float64Array, q: number): Float64Array {
  for (let c = 0; c < q; c++) {
    let p = c;
    for (let r = c + 1; r < q; r++) if (Math.abs(m[r * q + c]) > Math.abs(m[p * q + c])) p = r;
    for (let k = 0; k < q; k++) [m[c * q + k], m[p * q + k]] = [m[p * q + k], m[c * q + k]];
    [b[c], b[p]] = [b[p], b[c]];
    for (let r = c + 1; r < q; r++) {
      const f = m[r * q + c] / m[c * q + c];
      for (let k = c; k < q; k++) m[r * q + k] -= f * m[c * q + k];
      b[r] -= f * b[c];
    }
  }
  const x = new Float64Array(q);
  for (let r = q - 1; r >= 0; r--) { let s = b[r]; for (let k = r + 1; k < q; k++) s -= m[r * q + k] * x[k]; x[r] = s / m[r * q + r]; }
  return x;
}
