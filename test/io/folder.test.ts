import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDatasetFolder } from '../../src/io/folder.js';
import { writeNpy } from '../../src/io/npy.js';
import { InputError } from '../../src/data/errors.js';
import { tempDir } from './helpers.js';

interface FolderSpec {
  y?: { data: Float64Array | Float32Array; shape: number[] };
  samples?: string;
  units?: string;
}

const Y23 = { data: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), shape: [4, 3] };
const SAMPLES = 'block,text\na,w0\na,w1\nb,w2\nb,w3\n';

function makeFolder(spec: FolderSpec): string {
  const dir = join(tempDir(), 'ds');
  mkdirSync(dir);
  const y = spec.y ?? Y23;
  writeNpy(join(dir, 'y.npy'), y.data, y.shape);
  writeFileSync(join(dir, 'samples.csv'), spec.samples ?? SAMPLES);
  if (spec.units !== undefined) writeFileSync(join(dir, 'units.csv'), spec.units);
  return dir;
}

function failsWith(spec: FolderSpec, message: (dir: string) => string): void {
  const dir = makeFolder(spec);
  assert.throws(() => readDatasetFolder(dir), (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    assert.equal(e.message, message(dir));
    return true;
  });
}

test('folder: minimal folder gets the documented defaults', () => {
  const dir = makeFolder({});
  const d = readDatasetFolder(dir);
  assert.equal(d.name, 'ds');
  assert.equal(d.source, dir);
  assert.deepEqual(d.y, { rows: 4, cols: 3, data: Y23.data });
  assert.deepEqual(d.samples, {
    stimulusId: ['0', '1', '2', '3'],
    text: ['w0', 'w1', 'w2', 'w3'],
    block: ['a', 'a', 'b', 'b'],
    position: Int32Array.from([0, 1, 0, 1]),
    experiment: ['', '', '', ''],
    fold: ['a', 'a', 'b', 'b'],
  });
  assert.deepEqual(d.units, { id: ['0', '1', '2'], subject: ['all', 'all', 'all'], network: ['', '', ''], coords: null });
  assert.deepEqual(d.design, { kind: 'labels' });
  assert.deepEqual(d.shuffleOrder, []);
});

test('folder: all optional columns, float32 y, quoted CSV text, units with coordinates', () => {
  const dir = makeFolder({
    y: { data: Float32Array.from([0.5, -1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), shape: [4, 3] },
    samples: 'extra,stimulus_id,block,position,fold,experiment,text\r\n' +
      'x,s1,p1,3,f1,e1,"Hello, world."\r\nx,s2,p1,4,f1,e1,"He said ""hi""."\r\n' +
      'x,s1,p2,0,f2,e2,"two\nlines"\r\nx,s2,p2,1,f2,e2,\r\n',
    units: 'subject,id,network,x,y,z,comment\n018,v1,language,1.5,-2,3e1,\n018,v2,MD,0,0,0,\n,v3,,-1,-.5,2.,ok\n',
  });
  const d = readDatasetFolder(dir);
  assert.deepEqual(Array.from(d.y.data), [0.5, -1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.ok(d.y.data instanceof Float64Array);
  assert.deepEqual(d.samples, {
    stimulusId: ['s1', 's2', 's1', 's2'],
    text: ['Hello, world.', 'He said "hi".', 'two\nlines', ''],
    block: ['p1', 'p1', 'p2', 'p2'],
    position: Int32Array.from([3, 4, 0, 1]),
    experiment: ['e1', 'e1', 'e2', 'e2'],
    fold: ['f1', 'f1', 'f2', 'f2'],
  });
  assert.deepEqual(d.units.id, ['v1', 'v2', 'v3']);
  assert.deepEqual(d.units.subject, ['018', '018', '']);
  assert.deepEqual(d.units.network, ['language', 'MD', '']);
  assert.deepEqual(d.units.coords, { rows: 3, cols: 3, data: Float64Array.from([1.5, -2, 30, 0, 0, 0, -1, -0.5, 2]) });
});

test('folder: y must be 2-D', () => {
  failsWith({ y: { data: Float64Array.from([1, 2, 3, 4]), shape: [4] } },
    (d) => `${d}/y.npy: y: expected a 2-D array, found a 1-D array of shape (4,)`);
});

test('folder: NaN in y names row and column', () => {
  const data = Y23.data.slice();
  data[2 * 3 + 1] = NaN;
  failsWith({ y: { data, shape: [4, 3] } },
    (d) => `${d}/y.npy: y: row 2, column 1 is NaN; expected finite values (rows and columns count from 0)`);
});

test('folder: samples.csv without a block column', () => {
  failsWith({ samples: 'text,fold\nw0,a\nw1,a\nw2,b\nw3,b\n' },
    (d) => `${d}/samples.csv: block: required column is missing (columns found: text, fold)`);
});

test('folder: samples.csv with the wrong number of rows', () => {
  failsWith({ samples: 'block\na\na\nb\n' },
    (d) => `${d}/samples.csv: rows: has 3 data rows, expected 4 (one per row of y.npy)`);
});

test('folder: units.csv with the wrong number of rows', () => {
  failsWith({ units: 'subject\n1\n2\n3\n4\n' },
    (d) => `${d}/units.csv: rows: has 4 data rows, expected 3 (one per column of y.npy)`);
});

test('folder: a block that is not contiguous', () => {
  failsWith({ samples: 'block\na\nb\na\nb\n' },
    (d) => `${d}/samples.csv: block: block 'a' (first seen on line 2) reappears on line 4 after block 'b'; the rows of a block must be contiguous`);
});

test('folder: a position that is not a non-negative integer', () => {
  failsWith({ samples: 'block,position\na,0\na,1.5\nb,0\nb,1\n' },
    (d) => `${d}/samples.csv: position: line 3 has '1.5', expected an integer ≥ 0`);
  failsWith({ samples: 'block,position\na,0\na,1\nb,-1\nb,1\n' },
    (d) => `${d}/samples.csv: position: line 4 has '-1', expected an integer ≥ 0`);
});

test('folder: other validation failures', () => {
  failsWith({ samples: 'block\na\na\n\nb\n' }, (d) => `${d}/samples.csv: block: line 4 has an empty block label`);
  failsWith({ samples: 'block,fold\na,f\na,\nb,g\nb,g\n' }, (d) => `${d}/samples.csv: fold: line 3 has an empty fold label`);
  failsWith({ samples: 'block\na\na\na\na\n' },
    (d) => `${d}/samples.csv: block: has 1 distinct block ('a'), expected at least 2 (without a fold column each block is one outer fold)`);
  failsWith({ samples: 'block,fold\na,f\na,f\nb,f\nb,f\n' },
    (d) => `${d}/samples.csv: fold: has 1 distinct label ('f'), expected at least 2 (one outer fold per label)`);
  failsWith({ samples: 'block,stimulus_id,experiment\na,s1,e\na,s2,e\nb,s1,e\nb,s3,e\n' },
    (d) => `${d}/samples.csv: stimulus_id: 's1' appears on lines 2 and 4 of experiment 'e'; expected unique stimulus ids within an experiment`);
  failsWith({ units: 'id\nu\nv\nu\n' },
    (d) => `${d}/units.csv: id: 'u' appears on lines 2 and 4; expected unique unit ids`);
  failsWith({ units: 'x,y\n1,2\n1,2\n1,2\n' },
    (d) => `${d}/units.csv: z: coordinate columns x, y, z come together; found x, y but not z`);
  failsWith({ units: 'x,y,z\n1,2,3\n1,nan,3\n1,2,3\n' },
    (d) => `${d}/units.csv: y: line 3 has 'nan', expected a finite number`);
  failsWith({ samples: 'block,text\na,"x\n' },
    (d) => `${d}/samples.csv: line 2: quoted field is not closed before the end of the file`);
});

test('folder: missing files', () => {
  const dir = join(tempDir(), 'empty');
  mkdirSync(dir);
  assert.throws(() => readDatasetFolder(dir), { message: `${dir}/y.npy: y: no such file or directory` });
  writeNpy(join(dir, 'y.npy'), Y23.data, Y23.shape);
  assert.throws(() => readDatasetFolder(dir), { message: `${dir}/samples.csv: file: no such file or directory` });
});
