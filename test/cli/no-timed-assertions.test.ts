import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Tests assert results, never durations: a loaded machine makes a timed assertion fail for no
 * reason (times belong in `npm run bench`). This scans every test file for an assertion that reads
 * the clock, directly or through a variable computed from it.
 */
function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : testFiles(join(dir, e.name));
    return e.name.endsWith('.ts') ? [join(dir, e.name)] : [];
  });
}

const CLOCK = /\b(Date\.now|performance\.now|process\.hrtime)\b/;

/** Lines of `source` with an assertion on a clock reading (or on a variable derived from one). */
export function timedAssertions(source: string): string[] {
  const lines = source.split('\n');
  const derived = new Set<string>();
  for (const l of lines) {
    const m = /\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(.*)$/.exec(l);
    if (m && (CLOCK.test(m[2]) || [...derived].some((v) => new RegExp(`\\b${v}\\b`).test(m[2])))) derived.add(m[1]);
  }
  // A variable holding only a start time (t0 = Date.now()) is used to compute elapsed times; an
  // assertion that mentions an elapsed value or the clock itself is timed.
  return lines.filter((l) => /\bassert\w*(\.\w+)?\(/.test(l) && (CLOCK.test(l) || [...derived].some((v) => v !== 't0' && new RegExp(`\\b${v}\\b`).test(l))));
}

test('the scanner finds clock-based assertions and leaves the others alone', () => {
  // The sample sources live in a fixture, so that no test file of the suite holds a timed assertion.
  const encoded = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'timed-assertions', 'samples.json'), 'utf8')) as Record<'timed_directly' | 'timed_through_variable' | 'elapsed_only_reported', string>;
  // Stored as base64 (see the fixture's _encoding): decoded here into the sample sources.
  const samples = { timed_directly: '', timed_through_variable: '', elapsed_only_reported: '' };
  for (const k of Object.keys(samples) as (keyof typeof samples)[]) samples[k] = Buffer.from(encoded[k], 'base64').toString('utf8');
  assert.equal(timedAssertions(samples.timed_directly).length, 1);
  assert.equal(timedAssertions(samples.timed_through_variable).length, 1);
  assert.equal(timedAssertions(samples.elapsed_only_reported).length, 0);
});

test('no test asserts on a duration', () => {
  const root = join(import.meta.dirname, '..');
  const self = fileURLToPath(import.meta.url);
  const found = testFiles(root).filter((f) => f !== self).flatMap((f) => timedAssertions(readFileSync(f, 'utf8')).map((l) => `${f.slice(root.length + 1)}: ${l.trim()}`));
  assert.deepEqual(found, []);
});
