/**
 * Output locations, checked before anything is computed: a result must never be lost to an
 * `--out` that turns out, an hour later, to be a file, under a file, or not writable.
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { inputError, InputError } from '../data/errors.js';
import { describeFsError } from '../io/fsutil.js';
import { ResultWriteError } from '../pipeline/results.js';

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

function writableProblem(dir: string): string | null {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return null;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return code === 'EROFS' ? 'read-only file system' : describeFsError(err);
  }
}

/**
 * The nearest existing ancestor of a path that does not exist yet must be a writable folder (the
 * missing folders are created there).
 */
function checkCreatable(path: string, option: string, what: string): void {
  let parent = dirname(path);
  for (;;) {
    const st = statOrNull(parent);
    if (st !== null) {
      if (!st.isDirectory()) throw inputError(path, option, `cannot create the ${what}: ${parent} is a file, not a folder`);
      const problem = writableProblem(parent);
      if (problem !== null) throw inputError(path, option, `cannot create the ${what} in ${parent} (${problem})`);
      return;
    }
    const up = dirname(parent);
    if (up === parent) throw inputError(path, option, `cannot create the ${what}: no existing parent folder`);
    parent = up;
  }
}

function guard(path: string, option: string, check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw inputError(path, option, describeFsError(err));
  }
}

/**
 * Checks that results can be written into folder `path` (given as `option`, e.g. '--out'): it is
 * a writable folder, or does not exist yet and can be created (its nearest existing ancestor is a
 * writable folder). Nothing is created. Throws an InputError naming the path and the option.
 */
export function checkOutputDir(path: string, option: string): void {
  const abs = resolve(path);
  guard(abs, option, () => {
    const st = statOrNull(abs);
    if (st === null) return checkCreatable(abs, option, 'folder');
    if (!st.isDirectory()) throw inputError(abs, option, 'exists and is a file; expected a folder for the results (or a path that does not exist yet)');
    const problem = writableProblem(abs);
    if (problem !== null) throw inputError(abs, option, `the folder is not writable (${problem})`);
  });
}

/**
 * Checks that file `path` (given as `option`) can be written: not a folder; if it exists, its
 * folder is writable (it is replaced atomically); otherwise it can be created.
 */
export function checkOutputFile(path: string, option: string): void {
  const abs = resolve(path);
  guard(abs, option, () => {
    const st = statOrNull(abs);
    if (st === null) return checkCreatable(abs, option, 'file');
    if (st.isDirectory()) throw inputError(abs, option, 'is a folder; expected a file path');
    const problem = writableProblem(dirname(abs));
    if (problem !== null) throw inputError(abs, option, `its folder is not writable (${problem})`);
  });
}

/**
 * The error for results that were computed (and printed) but could not be written: one line
 * naming the path and the option, exit status 2.
 */
export function writeFailure(path: string, option: string, err: unknown): InputError {
  const cause = err instanceof ResultWriteError ? err.cause : err;
  if (cause instanceof InputError) return new InputError(`${cause.message} (the results are printed above)`);
  // A failed rename names the temporary file as `path` and the target as `dest`.
  const at = (cause as { dest?: unknown } | null)?.dest ?? (cause as { path?: unknown } | null)?.path;
  return inputError(typeof at === 'string' ? at : resolve(path), option, `cannot write the results (${describeFsError(cause)}); they are printed above instead`);
}
