import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvColumn, parseCsv, readCsv } from '../../src/io/csv.js';
import { InputError } from '../../src/data/errors.js';
import { tempDir } from './helpers.js';

const fails = (text: string, message: string) =>
  assert.throws(() => parseCsv(text, 'f.csv'), (e: unknown) => e instanceof InputError && e.message === message);

test('csv: quotes, embedded commas, newlines and doubled quotes; CRLF; BOM', () => {
  const text = '\uFEFFblock,text,n\r\na,"Hello, world",1\r\na,"two\r\nlines",2\r\nb,"say ""hi""",3\r\nb,,4';
  const t = parseCsv(text, 'f.csv');
  assert.deepEqual(t.header, ['block', 'text', 'n']);
  assert.deepEqual(t.rows, [
    ['a', 'Hello, world', '1'],
    ['a', 'two\r\nlines', '2'],
    ['b', 'say "hi"', '3'],
    ['b', '', '4'],
  ]);
  assert.deepEqual(t.lines, [2, 3, 5, 6]);
  assert.deepEqual(csvColumn(t, 'n'), ['1', '2', '3', '4']);
  assert.equal(csvColumn(t, 'missing'), null);
});

test('csv: LF endings, trailing newline optional, trailing blank lines ignored, spaces kept', () => {
  assert.deepEqual(parseCsv('x,y\n1, 2\n', 'f.csv').rows, [['1', ' 2']]);
  assert.deepEqual(parseCsv('x,y\n1,2', 'f.csv').rows, [['1', '2']]);
  assert.deepEqual(parseCsv('x,y\n1,2\n\n\n', 'f.csv').rows, [['1', '2']]);
  assert.deepEqual(parseCsv('x\n""\n', 'f.csv').rows, [['']]);
  assert.deepEqual(parseCsv('x,y\n', 'f.csv').rows, []);
  assert.deepEqual(parseCsv('x,y\n1,\n', 'f.csv').rows, [['1', '']]);
});

test('csv: errors name file, line and problem', () => {
  fails('a,b\n1,2\n3\n', 'f.csv: line 3: has 1 field, expected 2 (as in the header)');
  fails('a,b\n1,2,3\n', 'f.csv: line 2: has 3 fields, expected 2 (as in the header)');
  fails('a,b\n"x\ny",2\n4\n', 'f.csv: line 4: has 1 field, expected 2 (as in the header)');
  fails('a,,c\n', 'f.csv: header: column 2 has an empty name');
  fails('block,text,block\n', "f.csv: header: duplicate column name 'block' (columns 1 and 3)");
  fails('', 'f.csv: header: file is empty, expected a header line with column names');
  fails('a,b\n"open,2\n', 'f.csv: line 2: quoted field is not closed before the end of the file');
  fails('a,b\n"x"y,2\n', "f.csv: line 2: unexpected character 'y' after a closing quote; expected ',' or the end of the line");
  fails('a,b\nx"y,2\n', 'f.csv: line 2: a \'"\' inside an unquoted field; quote the whole field and double the quote ("")');
});

test('csv: readCsv reads a file; a missing file names the path', () => {
  const dir = tempDir();
  const p = join(dir, 's.csv');
  writeFileSync(p, 'a\n1\n');
  assert.deepEqual(readCsv(p).rows, [['1']]);
  const q = join(dir, 'none.csv');
  assert.throws(() => readCsv(q), { message: `${q}: file: no such file or directory` });
});
