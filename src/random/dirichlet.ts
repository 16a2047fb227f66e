import type { MT19937 } from './mt19937.js';

/**
 * Gamma(shape, 1) variate: Marsaglia & Tsang (2000) for shape ≥ 1; for shape < 1 the boost
 * G(a) = G(a + 1)·U^(1/a). Draws from `rng` (normals and uniforms of the MT19937 stream).
 */
export function gammaVariate(rng: MT19937, shape: number): number {
  if (!(shape > 0)) throw new RangeError(`gammaVariate: shape must be > 0 (got ${shape})`);
  if (shape < 1) {
    const u = rng.randomDouble();
    return gammaVariate(rng, shape + 1) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.standardNormal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.randomDouble();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** One Dirichlet(α, …, α) sample of dimension k (normalised gamma variates). */
export function dirichletSample(rng: MT19937, k: number, concentration: number): Float64Array {
  const g = new Float64Array(k);
  let sum = 0;
  for (let i = 0; i < k; i++) { g[i] = gammaVariate(rng, concentration); sum += g[i]; }
  if (!(sum > 0)) { g.fill(1 / k); return g; } // all variates underflowed (tiny concentration): fall back to uniform
  for (let i = 0; i < k; i++) g[i] /= sum;
  return g;
}

/**
 * Band-weight candidates for the banded-ridge random search (METHODS §4.2): sample i is drawn with
 * concentration `concentrations[i % len]` (himalaya alternates 0.1 and 1.0), and the first sample
 * is the uniform weighting 1/k. Deterministic given the generator's seed.
 */
export function bandWeightSamples(rng: MT19937, n: number, k: number, concentrations: readonly number[] = [0.1, 1]): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i < n; i++) out.push(i === 0 ? new Float64Array(k).fill(1 / k) : dirichletSample(rng, k, concentrations[i % concentrations.length]));
  return out;
}
