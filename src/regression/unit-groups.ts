/**
 * Units grouped by a per-unit choice — banded ridge's refits, where the units that chose the same
 * band-weight sample share its factorisation (kernel, low-rank and primal paths alike).
 */

/**
 * key → the units u in [u0, u1) with keys[u] = key, as offsets u − u0, keys in order of first
 * appearance; units for which `skip(u)` holds are left out.
 */
export function groupUnitsBy(keys: ArrayLike<number>, u0 = 0, u1 = keys.length, skip?: (u: number) => boolean): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (let u = u0; u < u1; u++) {
    if (skip?.(u)) continue;
    const list = groups.get(keys[u]);
    if (list) list.push(u - u0);
    else groups.set(keys[u], [u - u0]);
  }
  return groups;
}
