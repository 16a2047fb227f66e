/**
 * Streams a text file line by line (16 MiB reads), for vector files larger than a JS string
 * (GloVe 840B, LMMS-SP: several GB). Lines are split on '\n' with a trailing '\r' removed; every
 * failure is an InputError "<file>: <field>: <problem>".
 */
import { closeSync, readSync } from 'node:fs';
import { inputError } from '../data/errors.js';
import { describeFsError, openFileForReading } from './fsutil.js';

const CHUNK = 16 << 20;

/**
 * Calls `onLine(line, lineNumber)` (1-based) for every line of the file, in order; returning
 * false stops early.
 */
export function forEachLine(path: string, field: string, onLine: (line: string, lineNo: number) => boolean | void): void {
  const fd = openFileForReading(path, field);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const buf = Buffer.allocUnsafe(CHUNK);
  let rest = '';
  let lineNo = 0;
  let pos = 0;
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, CHUNK, pos);
      } catch (err) {
        throw inputError(path, field, `cannot read file (${describeFsError(err)})`);
      }
      pos += n;
      let text: string;
      try {
        text = decoder.decode(buf.subarray(0, n), { stream: n > 0 });
      } catch {
        throw inputError(path, field, 'is not valid UTF-8 text');
      }
      const chunk = rest + text;
      const parts = chunk === '' ? [] : chunk.split('\n');
      // Until the end of the file, the piece after the last '\n' may continue in the next read.
      rest = n > 0 ? parts.pop() ?? '' : '';
      for (const p of parts) {
        lineNo++;
        if (onLine(p.endsWith('\r') ? p.slice(0, -1) : p, lineNo) === false) return;
      }
      if (n === 0) return;
    }
  } finally {
    closeSync(fd);
  }
}
