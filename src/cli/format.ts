/** Plain-text tables for the terminal. */
export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>, align?: ReadonlyArray<'l' | 'r'>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => ((align?.[i] ?? 'l') === 'r' ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

/** Fixed-precision number, '—' for null/NaN. */
export function num(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits);
}

/** How a warning reads on the terminal (the same text is in the JSON `warnings` arrays). */
export function warningLine(warning: string): string {
  return `warning: ${warning}`;
}
