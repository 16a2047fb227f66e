/**
 * How numbers read wherever results are shown (terminal tables, report figures and tables), so
 * that the same value never prints differently in two places (Ω 100 % in one, 99.7 % in the other).
 */

/** A score (R², r) with `digits` decimals; '–' for missing or NaN. */
export function formatScore(v: number | null | undefined, digits = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}

/** A score ± its SEM: `0.123 ± 0.004`. */
export function formatScoreSem(v: number | null | undefined, sem: number | null | undefined, digits = 3): string {
  return `${formatScore(v, digits)} ± ${formatScore(sem, digits)}`;
}

/** A percentage (Ω, % of units significant) with one decimal: `99.7 %`; '–' for missing or NaN. */
export function formatPercent(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${v.toFixed(1)} %`;
}
