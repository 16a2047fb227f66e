/**
 * The perplexity of every causal lm: model in a feature spec on the dataset's own text, as stored
 * with its features (src/features/lm/perplexity.ts, cache manifest): what score.json's
 * `perplexity` lists, so that "neural predictivity vs perplexity" is one command away.
 */
import type { Dataset } from '../data/dataset.js';
import { lmStoredManifest } from '../features/lm/cache.js';
import { parseFeatureSpec } from '../features/spec.js';

/** One model's perplexity (per scored token, docs/method.md "Perplexity"). */
export interface LmPerplexityJson {
  /** The model spec (folder, `<folder>:untrained` or untrained name). */
  model: string;
  /** `context=` of the lm term (block or none). */
  context: string;
  /** Initialisation seed (untrained models), else null. */
  seed: number | null;
  /** exp(mean NLL per scored token); null when no token was scored. */
  perplexity: number | null;
  /** Tokens scored. */
  tokens: number;
}

/**
 * Perplexities of the spec's lm terms whose features are stored (after the spec was scored: in
 * the memo or the disk cache); models without an LM head (bidirectional, or base folders) and
 * `seeds=a-b` terms are left out. Distinct (model, context, seed) once each.
 */
export function specPerplexities(specText: string, dataset: Pick<Dataset, 'name' | 'source' | 'samples'>): LmPerplexityJson[] {
  const out: LmPerplexityJson[] = [];
  const seen = new Set<string>();
  for (const band of parseFeatureSpec(specText).bands) {
    for (const term of band.terms) {
      if (term.name !== 'lm' || term.params.seeds !== undefined) continue;
      const model = term.positional.length === 2 && term.positional[1] === 'untrained' ? `${term.positional[0]}:untrained` : term.positional[0];
      if (model === undefined) continue;
      const context = term.params.context ?? 'block';
      const seed = term.params.seed === undefined ? null : Number(term.params.seed);
      const id = JSON.stringify([model, context, seed]);
      if (seen.has(id)) continue;
      seen.add(id);
      if (context !== 'block' && context !== 'none') continue;
      const m = lmStoredManifest(model, dataset, { seed: seed ?? undefined, rules: { context, window: 512 } });
      if (m?.perplexity) out.push({ model, context, seed, perplexity: m.perplexity.value, tokens: m.perplexity.tokens });
    }
  }
  return out;
}
