/**
 * Issue 16 point 11: the glass brain draws the MNI152 outline under MNI-like coordinates (not under
 * others), orientation letters on every panel, sagittal and coronal panels on one z range, and
 * every map of a dataset on one colour scale (a null map stays pale next to a real 0.25 map).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReportModel, glassBrainRows, scanResults } from '../../src/report/index.js';
import { BRAIN_OUTLINE } from '../../src/report/brain-outline.js';
import type { ScoreUnit } from '../../src/report/types.js';
import { scoreJson, scoreUnitsCsv } from './helpers.js';

function units(coords: (k: number) => [number, number, number]): ScoreUnit[] {
  return Array.from({ length: 30 }, (_, k) => {
    const [x, y, z] = coords(k);
    return { experiment: '', unit: `u${k}`, subject: '1', r2: 0.01 * k, r: 0.1, x, y, z } as unknown as ScoreUnit;
  });
}

test('MNI152 outline: three closed projections within the known extent of the MNI brain (mm)', () => {
  // The ICBM 2009a brain spans about x ±72, y −106…+72, z −72…+82 mm (cerebellum to vertex).
  const want = { sagittal: ['y', 'z'], coronal: ['x', 'z'], axial: ['x', 'y'] } as const;
  for (const [name, [h, v]] of Object.entries(want)) {
    const p = BRAIN_OUTLINE.projections[name as keyof typeof want];
    assert.equal(p.h, h);
    assert.equal(p.v, v);
    assert.ok(p.points.length >= 20, name);
    assert.deepEqual(p.points[0], p.points[p.points.length - 1], `${name} is closed`);
    const ext = (k: 0 | 1) => [Math.min(...p.points.map((q) => q[k])), Math.max(...p.points.map((q) => q[k]))];
    const bounds = { x: [-75, 75], y: [-110, 76], z: [-76, 86] };
    for (const [k, axis] of [[0, h], [1, v]] as const) {
      const [lo, hi] = ext(k);
      assert.ok(lo >= bounds[axis][0] && lo <= bounds[axis][0] + 12 && hi <= bounds[axis][1] && hi >= bounds[axis][1] - 12, `${name} ${axis}: ${lo}…${hi}`);
    }
  }
  assert.match(BRAIN_OUTLINE.licence, /McConnell Brain Imaging Centre/);
});

test('glass brain rows: outline and L/R, A/P, S/I letters for MNI coordinates; aligned sagittal and coronal panels', () => {
  const gb = glassBrainRows(units((k) => [-50 + k, -40 + k, 5 + (k % 7)]))!;
  assert.ok(gb.outline);
  const outline = gb.rows.filter((r) => r.kind === 'outline');
  assert.deepEqual([...new Set(outline.map((r) => r.panel))], ['sagittal', 'coronal', 'axial']);
  const letters = gb.rows.filter((r) => r.kind === 'orient').map((r) => r.label);
  assert.deepEqual(letters, ['P', 'A', 'I', 'S', 'L', 'R', 'I', 'S', 'L', 'R', 'P', 'A']);
  const panels = gb.rows.filter((r) => r.kind === 'panel');
  assert.equal(panels[0].py2, panels[1].py2, 'sagittal and coronal share the z range');
  // Left (x < 0) is drawn left of right in the coronal panel: the unit at x = −50 left of the one at x = −21.
  const coronal = gb.rows.filter((r) => r.kind === 'unit').slice(30, 60);
  assert.ok((coronal[0].px as number) < (coronal[29].px as number));
  // Coordinates that are not MNI mm (e.g. electrode positions in µm) get no outline.
  const far = glassBrainRows(units((k) => [1000 + k, 2000, 3000]))!;
  assert.equal(far.outline, false);
  assert.equal(far.rows.filter((r) => r.kind === 'outline').length, 0);
  assert.equal(far.rows.filter((r) => r.kind === 'orient').length, 12);
});

test('maps of one dataset share one colour scale: a null map is not as saturated as a 0.25 map', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-glass-'));
  try {
    for (const [name, split, level] of [['oasm-shuffled', 'shuffled', 0.25], ['oasm-contiguous', 'contiguous', 0]] as const) {
      mkdirSync(join(dir, name), { recursive: true });
      writeFileSync(join(dir, name, 'score.json'), JSON.stringify(scoreJson({ features: 'oasm:sigma=1', split, level })));
      writeFileSync(join(dir, name, 'units.csv'), scoreUnitsCsv(40, level, true));
    }
    const model = buildReportModel(scanResults(dir));
    const brains = model.figures.filter((f) => f.type === 'glass-brain');
    assert.equal(brains.length, 2);
    const domain = (f: (typeof brains)[number]) => JSON.stringify(f.specs.r2).match(/"domain":\[(-?[\d.e-]+),(-?[\d.e-]+)\],"domainMid"|"domainMid":0,"clamp":true,"domain":\[(-?[\d.e-]+),(-?[\d.e-]+)\]/);
    const d0 = domain(brains[0]);
    const d1 = domain(brains[1]);
    assert.ok(d0 && d1, 'colour domains found');
    assert.deepEqual(d0.slice(1), d1.slice(1), 'same colour domain');
    const hi = Number(d0[2] ?? d0[4]);
    assert.ok(hi >= 0.2, `the shared scale reaches the real map's values (${hi})`);
    assert.match(brains[0].caption, /One colour scale for all 2 maps/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
