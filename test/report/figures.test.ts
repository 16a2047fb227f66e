import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIGURE_SIZES, FIGURE_TYPES, PNG_SCALE, scanResults, writeReport } from '../../src/report/index.js';
import { textWidth } from '../../src/report/fonts.js';
import { pngHeader, writeSyntheticResults } from './helpers.js';

test('every figure type is written as SVG and as a PNG of its declared size', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-report-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeSyntheticResults(join(dir, 'results'));
  const { model, figures, html } = await writeReport(join(dir, 'results'), { figuresDir: join(dir, 'figures') });
  assert.equal(html, join(dir, 'results', 'report.html'));

  const types = new Set(model.figures.map((f) => f.type));
  assert.deepEqual([...types].sort(), [...FIGURE_TYPES].sort(), 'the fixture produces every figure type');
  assert.ok(figures.length >= model.figures.length);
  for (const f of figures) {
    const fig = model.figures.find((x) => x.id === f.figure)!;
    const size = FIGURE_SIZES[fig.type];
    const png = pngHeader(readFileSync(f.png));
    assert.deepEqual([png.width, png.height], [size.width * PNG_SCALE, size.height * PNG_SCALE], `${f.png}: declared size`);
    assert.equal(png.bitDepth, 8);
    const svg = readFileSync(f.svg, 'utf8');
    const m = /^<svg[^>]*\swidth="(\d+)"\s+height="(\d+)"/.exec(svg);
    assert.ok(m, `${f.svg}: an <svg> with width and height`);
    assert.deepEqual([+m[1], +m[2]], [size.width, size.height], `${f.svg}: declared size`);
    assert.ok(readFileSync(f.png).length > 8000, `${f.png}: has content`);
  }
  // the metric toggle: figures of scores have an r variant, partitions only R²
  const bars = model.figures.find((f) => f.type === 'subject-bars')!;
  assert.deepEqual(Object.keys(bars.specs).sort(), ['r', 'r2']);
  assert.deepEqual(Object.keys(model.figures.find((f) => f.type === 'omega')!.specs), ['r2']);
  // 2-D histogram only above SCATTER_MAX_UNITS units
  assert.equal(model.figures.filter((f) => f.type === 'unit-hist2d').length, 1);
});

test('a results folder is read into typed analyses with their manifest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-report-'));
  try {
    writeSyntheticResults(dir);
    const folder = scanResults(dir);
    assert.equal(folder.scores.length, 4);
    assert.equal(folder.partitions.length, 3);
    assert.equal(folder.audits.length, 1);
    assert.deepEqual(folder.notes, [], 'a complete folder has nothing missing');
    const s = folder.scores.find((x) => x.file === 'oasm-shuffled/score.json')!;
    assert.equal(s.split, 'shuffled');
    assert.equal(s.grid?.curve.length, 4);
    assert.equal(s.units?.length, 200);
    assert.ok(s.units?.every((u) => u.x !== null && u.z !== null));
    // the audit's partition is the one in partition-simple/, not a copy
    const a = folder.audits[0];
    assert.equal(a.partitions[0].analysisId, folder.partitions.find((p) => p.file === 'audit/partition-simple/partition.json')!.id);
    assert.equal(a.leak?.flagged, true);
    assert.equal(a.verdicts.length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('text is measured with the font resvg draws with', () => {
  const w = textWidth('Brain scores per feature set', 14, true);
  assert.ok(w !== null, 'DejaVu Sans is installed (Debian fonts-dejavu-core)');
  assert.ok(w > 150 && w < 260, `width ${w}`);
  assert.ok(textWidth('iiii', 12)! < textWidth('MMMM', 12)!);
});
