/**
 * Small file-system helpers shared by the readers: every failure becomes an InputError
 * "<file>: <field>: <problem>".
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import type { Hash } from 'node:crypto';
import { dirname } from 'node:path';
import { inputError, InputError } from '../data/errors.js';

/** Human wording for the common errno codes. */
export function describeFsError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'is a directory, expected a file';
    case 'ENOTDIR': return 'a parent of this path is not a directory';
    case 'ELOOP': return 'too many symbolic links';
    default: return err instanceof Error ? err.message : String(err);
  }
}

/** Reads a whole file; a missing or unreadable file is an InputError naming the path and field. */
export function readBytes(path: string, field: string): Uint8Array {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    throw inputError(path, field, describeFsError(err));
  }
  if (st.isDirectory()) throw inputError(path, field, 'is a directory, expected a file');
  try {
    const buf = readFileSync(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    throw inputError(path, field, `cannot read file (${describeFsError(err)})`);
  }
}

/** Reads a UTF-8 text file (see readBytes for errors); invalid UTF-8 is an error. */
export function readText(path: string, field: string): string {
  const bytes = readBytes(path, field);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw inputError(path, field, 'is not valid UTF-8 text');
  }
}

/** Writes bytes, creating the parent folder; failures are InputErrors naming the path. */
export function writeBytes(path: string, field: string, bytes: Uint8Array): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  } catch (err) {
    throw inputError(path, field, `cannot write file (${describeFsError(err)})`);
  }
}

/**
 * Opens a file for reading and returns its descriptor; a missing, unreadable or directory path is an
 * InputError naming the path and `field`.
 */
export function openFileForReading(path: string, field: string): number {
  try {
    if (statSync(path).isDirectory()) throw inputError(path, field, 'is a directory, expected a file');
    return openSync(path, 'r');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw inputError(path, field, describeFsError(err));
  }
}

/**
 * Streams a file's bytes into `hash` (4 MiB at a time, so files larger than memory hash fine).
 * A missing, unreadable or directory path is an InputError naming the path and `field`.
 */
export function hashFileInto(hash: Hash, path: string, field: string): void {
  const fd = openFileForReading(path, field);
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}
