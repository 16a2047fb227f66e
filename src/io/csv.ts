/**
 * RFC 4180 CSV reading: comma-separated fields, fields optionally enclosed in double quotes
 * (which may then contain commas, line breaks and doubled quotes `""`), records ended by CRLF or
 * LF, a UTF-8 byte-order mark ignored, the first record is the header. Values are kept exactly as
 * written (no trimming, no type guessing). A final line break is optional.
 */
import { inputError } from '../data/errors.js';
import { readText } from './fsutil.js';

export interface CsvTable {
  /** Column names, in file order. */
  header: string[];
  /** Data records (each has header.length fields). */
  rows: string[][];
  /** 1-based physical line on which each data record starts (for error messages). */
  lines: number[];
}

/**
 * Parses CSV text. `source` names the file in errors: ragged records, empty or duplicate column
 * names, quote misuse, and an empty file.
 */
export function parseCsv(text: string, source: string): CsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records: string[][] = [];
  const starts: number[] = [];
  const blank: boolean[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const recLine = line;
    const recStart = i;
    const rec: string[] = [];
    // one record
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        const openLine = line;
        i++;
        for (;;) {
          if (i >= n) throw inputError(source, `line ${openLine}`, 'quoted field is not closed before the end of the file');
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
            i++;
            break;
          }
          if (c === '\n') line++;
          else if (c === '\r' && text[i + 1] !== '\n') line++;
          field += c;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          throw inputError(source, `line ${line}`, `unexpected character '${text[i]}' after a closing quote; expected ',' or the end of the line`);
        }
      } else {
        const start = i;
        while (i < n) {
          const c = text[i];
          if (c === ',' || c === '\n' || c === '\r') break;
          if (c === '"') throw inputError(source, `line ${line}`, 'a \'"\' inside an unquoted field; quote the whole field and double the quote ("")');
          i++;
        }
        field = text.slice(start, i);
      }
      rec.push(field);
      if (i >= n) break;
      const c = text[i];
      if (c === ',') { i++; continue; }
      // end of record
      if (c === '\r' && text[i + 1] === '\n') i += 2;
      else i++;
      line++;
      break;
    }
    records.push(rec);
    starts.push(recLine);
    blank.push(rec.length === 1 && text[recStart] !== '"' && rec[0] === '');
  }
  // Blank lines at the very end of the file are not records.
  while (records.length > 1 && blank[blank.length - 1]) {
    records.pop();
    starts.pop();
    blank.pop();
  }
  if (records.length === 0) throw inputError(source, 'header', 'file is empty, expected a header line with column names');
  const header = records[0];
  const seen = new Map<string, number>();
  header.forEach((name, k) => {
    if (name === '') throw inputError(source, 'header', `column ${k + 1} has an empty name`);
    const prev = seen.get(name);
    if (prev !== undefined) throw inputError(source, 'header', `duplicate column name '${name}' (columns ${prev + 1} and ${k + 1})`);
    seen.set(name, k);
  });
  const rows = records.slice(1);
  const lines = starts.slice(1);
  rows.forEach((r, k) => {
    if (r.length !== header.length) {
      throw inputError(source, `line ${lines[k]}`, `has ${r.length} field${r.length === 1 ? '' : 's'}, expected ${header.length} (as in the header)`);
    }
  });
  return { header, rows, lines };
}

/** Reads and parses a CSV file (UTF-8). */
export function readCsv(path: string): CsvTable {
  return parseCsv(readText(path, 'file'), path);
}

/** The values of column `name`, or null when the table has no such column. */
export function csvColumn(t: CsvTable, name: string): string[] | null {
  const k = t.header.indexOf(name);
  return k < 0 ? null : t.rows.map((r) => r[k]);
}
