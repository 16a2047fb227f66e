/**
 * A dataset folder for tests that need a real run of a command but not its numbers (what gets
 * written, what gets printed): 48 samples in 4 blocks of 12, one to three words each, 3 units of
 * deterministic pseudo-random responses. score, partition and audit (with OASM and Brain-Score's
 * protocol) run on it in about a second each, instead of tens of seconds on sim:fedorenko.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '../src/io/npy.js';

/** Writes the folder (y.npy, samples.csv) into `dir` and returns `dir`. */
export function tinyDataset(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeNpy(join(dir, 'y.npy'), Float64Array.from({ length: 48 * 3 }, (_, k) => Math.sin(k * 12.9898) * 43758.5453 % 1), [48, 3]);
  const text = (i: number) => Array.from({ length: 1 + (i % 3) }, (_, w) => `w${i}${w}`).join(' ');
  writeFileSync(join(dir, 'samples.csv'), `block,text\n${Array.from({ length: 48 }, (_, i) => `b${Math.floor(i / 12)},${text(i)}`).join('\n')}\n`);
  return dir;
}
