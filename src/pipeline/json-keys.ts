/**
 * One naming convention for every JSON file brainmap writes: object keys in snake_case
 * (issue 16.5). The TypeScript objects behind them keep camelCase; the writers convert.
 */

/** `bandedIter` → `banded_iter`, `mtimeMs` → `mtime_ms`, `r2_sem` unchanged. */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** Whether a key follows the convention: lower-case words of letters and digits joined by single underscores. */
export const SNAKE_KEY = /^[a-z0-9]+(_[a-z0-9]+)*$/;

/**
 * A deep copy of `value` with every object key in snake_case. The keys of an object held under a
 * key named in `dataMaps` are data (file paths, experiment or subject names) and are copied as they
 * are; their values are converted.
 */
export function snakeKeys<T = unknown>(value: unknown, dataMaps: ReadonlySet<string> = new Set()): T {
  return convert(value, dataMaps, false) as T;
}

function convert(v: unknown, dataMaps: ReadonlySet<string>, keysAreData: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => convert(x, dataMaps, false));
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    out[keysAreData ? k : snakeCase(k)] = convert(x, dataMaps, !keysAreData && dataMaps.has(k));
  }
  return out;
}

/**
 * The snake_case form of a settings object read from a result file: files written before issue
 * 16.5 have camelCase settings (`bandedIter`, `innerStandardize`); readers accept both.
 */
export function snakeSettings(settings: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (!settings) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(settings)) out[snakeCase(k)] = v;
  return out;
}
