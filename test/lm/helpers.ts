/** Shared helpers for the lm tests: the gpt2-tiny-random fixture and tolerance checks. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset } from '../../src/data/dataset.js';

export const FIXTURE = fileURLToPath(new URL('../../../shared/fixtures/gpt2-tiny-random/', import.meta.url));

export interface FixtureExpected {
  seed: number;
  n_layer: number;
  n_embd: number;
  n_head: number;
  group_sizes: number[];
  samples: Array<{ sample: number; text: string; n_context_tokens: number; n_current_tokens: number }>;
}

export function fixtureExpected(): FixtureExpected {
  return JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as FixtureExpected;
}

/** Block labels from group sizes: group g → 'g<g>'. */
export function groupBlocks(sizes: readonly number[]): string[] {
  return sizes.flatMap((n, g) => Array.from({ length: n }, () => `g${g}`));
}

/** A minimal dataset (one unit of zeros) around texts and blocks. */
export function textDataset(texts: string[], blocks: string[], name = 'fixture'): Dataset {
  const n = texts.length;
  const position = new Int32Array(n);
  for (let i = 1; i < n; i++) position[i] = blocks[i] === blocks[i - 1] ? position[i - 1] + 1 : 0;
  return {
    name,
    source: name,
    y: { rows: n, cols: 1, data: new Float64Array(n) },
    samples: { stimulusId: texts.map((_, i) => String(i)), text: texts, block: blocks, position, experiment: texts.map(() => ''), fold: null },
    units: { id: ['u0'], subject: ['s'], network: [''], coords: null },
    design: { kind: 'labels' },
    shuffleOrder: [],
  };
}

export function tempDir(prefix = 'brainmap-lm-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Strict closeness of `actual` to `expected`: every element |a − b| ≤ tol·max(1, |b|), and the
 * whole array ‖a − b‖ ≤ tol·‖b‖ (both with tol = 1e-4 by default).
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-4): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const b = expected[i];
    const diff = Math.abs(a - b);
    if (!(diff <= tol * Math.max(1, Math.abs(b)))) assert.fail(`${what}: element ${i}: ${a} vs expected ${b} (|Δ| = ${diff})`);
    num += diff * diff;
    den += b * b;
  }
  assert.ok(Math.sqrt(num) <= tol * Math.sqrt(den), `${what}: ‖Δ‖/‖b‖ = ${Math.sqrt(num / den)} > ${tol}`);
}

/** The tiny seeded zoo models in Hugging Face layout (scripts/make-lm-zoo-fixtures.py). */
export const ZOO = fileURLToPath(new URL('../fixtures/lm/zoo/', import.meta.url));

/** A float32 array from the base64 of its little-endian bytes (how the fixture scripts store states). */
export function f32(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** Largest absolute difference relative to the largest magnitude of the reference `b`. */
export function relErr(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}
