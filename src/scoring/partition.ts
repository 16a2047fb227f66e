/**
 * Variance partitioning (METHODS §5.7): Ω, the percentage of a feature set's explained variance
 * that a simpler feature set also explains, per subject; and the unit-wise unique/shared table.
 */

/**
 * Ω from subject-level R² values of the simple model, the model ("LLM") and their joint (banded)
 * fit: banded is first raised to at least the model's value (a joint fit cannot truly explain less
 * than one of its parts); Ω = 100 when the model explains nothing, else
 * 100·(1 − clip((banded − simple)/model, 0, 1)). "Nothing" includes rounding noise: an
 * intercept-only fit's subject R² can come out as ~1e-16 instead of 0, and a ratio over it means
 * nothing, so a model R² below `NOTHING_R2` counts as 0.
 */
/** Subject R² below this is rounding noise of a fit that explains nothing (float64 sums of ~1e2 terms). */
export const NOTHING_R2 = 1e-12;

export function omega(r2Simple: number, r2Model: number, r2Joint: number): number {
  const joint = Math.max(r2Joint, r2Model);
  if (r2Model < NOTHING_R2) return 100;
  const added = (joint - r2Simple) / r2Model;
  return 100 * (1 - Math.min(1, Math.max(0, added)));
}

export interface UnitPartition {
  /**
   * R² of A, B and the joint (banded) fit, each clipped at 0 (NaN → 0) — the unit values whose
   * subject means enter Ω (§5.5/§5.7: the trained figures clip units first). The joint value is the
   * banded fit's own, not raised to max(A, B): Ω raises the subject-level joint to B's instead.
   */
  a: number;
  b: number;
  joint: number;
  /** joint − b: what only A explains (negative when the joint fit does worse than B alone). */
  uniqueA: number;
  /** joint − a: what only B explains (negative when the joint fit does worse than A alone). */
  uniqueB: number;
  /** a + b − joint: what both explain (can be negative when fits are noisy). */
  shared: number;
}

/** Unit-wise partition of explained variance between A and B (R² clipped at 0, NaN → 0). */
export function partitionUnit(r2A: number, r2B: number, r2Joint: number): UnitPartition {
  const c = (v: number) => (Number.isNaN(v) ? 0 : Math.max(0, v));
  const a = c(r2A);
  const b = c(r2B);
  const joint = c(r2Joint);
  return { a, b, joint, uniqueA: joint - b, uniqueB: joint - a, shared: a + b - joint };
}
