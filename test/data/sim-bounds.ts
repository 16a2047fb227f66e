/**
 * What a correct analysis must find on the simulated datasets with their default effects (margins
 * from the generative model, componentShares, not from earlier runs). Used by the simulation test
 * (test/data/simulate.test.ts) and by the demo test (test/cli/cli.test.ts), whose demo runs the
 * same default fits (OASM σ = 1.8 and the position + length features of each design, default
 * seeds): checking them on the demo's output spares a second Blank-sized fit (1317 TRs × 1317 OASM
 * columns, about a CPU-minute).
 *
 *  - OASM can at best predict the autocorrelated component z_t from the other samples of its block:
 *    for AR(1) with coefficient ρ that is 2ρ²/(1+ρ²) of its variance (interior sample, both
 *    neighbours known); we require at least a quarter of that with shuffled folds, at most all of
 *    it, and ≈ 0 with contiguous folds (no neighbour is in training).
 *  - Position + length features can explain the len and pos components fully; we require ≥ 60 %
 *    of their share with contiguous folds and no more than share + 0.03, and more than OASM's
 *    contiguous score by half the share (the feature that generated the signal beats one that did not).
 */
import assert from 'node:assert/strict';
import { componentShares, SIM_DEFAULTS } from '../../src/data/simulate.js';

export type SimKind = 'pereira' | 'fedorenko' | 'blank';

/** The best R² OASM can reach on a default simulated dataset (share of the autocorrelated component it can predict). */
export function oasmCeiling(kind: SimKind): number {
  const e = SIM_DEFAULTS[kind];
  const shares = componentShares(e);
  if (kind === 'fedorenko') shares.ac /= 1 - shares.len; // single words: the len component is constant (share 0)
  return shares.ac * (2 * e.rho ** 2) / (1 + e.rho ** 2);
}

/** Share of the response variance planted as length + position on a default simulated dataset. */
export function plantedPositionShare(kind: SimKind): number {
  const shares = componentShares(SIM_DEFAULTS[kind]);
  return shares.len + shares.pos;
}

/** OASM (σ = 1.8) scores with shuffled folds, within the ceiling, and ≈ 0 with contiguous folds. */
export function assertOasmBounds(kind: SimKind, shuffled: number, contiguous: number): void {
  const ceiling = oasmCeiling(kind);
  assert.ok(shuffled > 0.25 * ceiling && shuffled < ceiling + 0.02, `sim:${kind}: shuffled OASM R² ${shuffled} vs ceiling ${ceiling}`);
  assert.ok(contiguous < 0.005, `sim:${kind}: contiguous OASM R² ${contiguous}`);
}

/** Position + length features (contiguous folds) recover the planted share and beat OASM (contiguous). */
export function assertPositionBounds(kind: SimKind, got: number, oasmContiguous: number): void {
  const planted = plantedPositionShare(kind);
  assert.ok(got > 0.6 * planted && got < planted + 0.03, `sim:${kind}: position+length R² ${got} vs planted share ${planted}`);
  assert.ok(got > oasmContiguous + 0.5 * planted, `sim:${kind}: position+length R² ${got} vs OASM contiguous ${oasmContiguous}`);
}
