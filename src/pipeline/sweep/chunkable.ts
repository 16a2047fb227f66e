/**
 * Which feature specs queue workers can fit in unit chunks (chunks.ts): one band (single ridge or
 * OLS, whose fold decompositions do not depend on y) and no `seeds=` (each seed is its own fit).
 * Other specs run as one job whatever `unit_chunk` says.
 */
import { registerBuiltinFeatures } from '../../features/builtin.js';
import { parseFeatureSpec } from '../../features/spec.js';

export function chunkable(specText: string): boolean {
  registerBuiltinFeatures();
  const spec = parseFeatureSpec(specText);
  return spec.bands.length === 1 && spec.bands.every((b) => b.terms.every((t) => t.params.seeds === undefined));
}
