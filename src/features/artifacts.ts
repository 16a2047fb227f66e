import { join } from 'node:path';
import { writeFileAtomic } from '../pipeline/results.js';

/**
 * Files a feature wants a reader to see next to the results (e.g. SYNT's variants,
 * `synt-variants-seed<S>-k<K>.tsv`): builders record them here; the commands that write an output
 * folder (`score`, `partition`, `audit`, `deconstruct` with `--out`) take them and write them there
 * ({@link writeFeatureArtifacts}). Recording the same name again replaces it.
 */
const pending = new Map<string, string>();

/** Records a text file `name` (a plain file name, no folders) to be written with the results. */
export function recordFeatureArtifact(name: string, content: string): void {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new RangeError(`recordFeatureArtifact: "${name}" is not a plain file name`);
  pending.set(name, content);
}

/** The recorded files (name and content, in recording order), forgetting them. */
export function takeFeatureArtifacts(): Array<{ name: string; content: string }> {
  const out = [...pending].map(([name, content]) => ({ name, content }));
  pending.clear();
  return out;
}

/**
 * Writes the recorded files into the existing folder `dir` (each atomically) and forgets them; the
 * one way every command with an output folder writes them. Returns the names written.
 */
export function writeFeatureArtifacts(dir: string): string[] {
  const files = takeFeatureArtifacts();
  for (const a of files) writeFileAtomic(join(dir, a.name), a.content);
  return files.map((a) => a.name);
}
