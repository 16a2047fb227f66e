/**
 * The demo's headline comparison (the paper's first finding): OASM — no language at all — and a
 * language model, each under shuffled and contiguous folds. Shared by the terminal summary of
 * `brainmap demo` and its report, so both show the same rows, in the same order, with the same
 * numbers (formatted by report/numbers.ts).
 */

/** One headline row: a feature set's analyses under the two split schemes. */
export interface HeadlinePair {
  label: string;
  shuffled: string;
  contiguous: string;
}

/** Analysis ids of the headline pairs, in display order (a pair is shown where both were run). */
export const HEADLINE_PAIRS: readonly HeadlinePair[] = [
  { label: 'OASM (no language)', shuffled: 'oasm-shuffled', contiguous: 'oasm-contiguous' },
  { label: 'untrained GPT-2, layer 4', shuffled: 'lm-shuffled', contiguous: 'untrained-lm' },
];

/** A demo row as both the summary file and the report read it. */
export interface HeadlineSource {
  dataset: string;
  analysis: string;
  features: string;
  r2: number | null;
  r2Sem: number | null;
}

export interface HeadlineRow {
  dataset: string;
  label: string;
  features: string;
  shuffled: { r2: number | null; r2Sem: number | null };
  contiguous: { r2: number | null; r2Sem: number | null };
}

/** The headline rows of a demo, datasets in the order of their first row, pairs in HEADLINE_PAIRS order. */
export function headlineRows(rows: readonly HeadlineSource[]): HeadlineRow[] {
  const datasets = [...new Set(rows.map((r) => r.dataset))];
  const out: HeadlineRow[] = [];
  for (const ds of datasets) {
    for (const p of HEADLINE_PAIRS) {
      const s = rows.find((r) => r.dataset === ds && r.analysis === p.shuffled);
      const c = rows.find((r) => r.dataset === ds && r.analysis === p.contiguous);
      if (!s || !c) continue;
      out.push({ dataset: ds, label: p.label, features: c.features, shuffled: { r2: s.r2, r2Sem: s.r2Sem }, contiguous: { r2: c.r2, r2Sem: c.r2Sem } });
    }
  }
  return out;
}
