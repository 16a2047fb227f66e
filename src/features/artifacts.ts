/**
 * Files a feature wants a reader to see next to the results (e.g. SYNT's variants,
 * `synt-variants-seed<S>-k<K>.tsv`): builders record them here; the commands that write an output
 * folder (`score --out`) take them and write them there. Recording the same name again replaces it.
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
