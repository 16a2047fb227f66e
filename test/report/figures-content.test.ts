/**
 * What the figures and the page say (no browser): an audit's scores drawn once, with short bar
 * labels; layer curves with a SEM band, the chosen layers and OASM / simple-feature reference lines;
 * Ω values not on the bars (where the mean line runs); captions that do not repeat the figure's own
 * subtitle; no label cut off in the SVG/PNG files; the manifest's short hashes; no raw status JSON.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeReport } from '../../src/report/index.js';
import { wrapLabel } from '../../src/report/specs.js';
import { textWidth } from '../../src/report/fonts.js';
import { writeAuditResults, writeSyntheticResults } from './helpers.js';

test('an audit of a layer grid: one bar figure with short labels, a layer curve with band, chosen layers and references', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-report-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeAuditResults(join(dir, 'results'));
  const { model, html, figures } = await writeReport(join(dir, 'results'), { figuresDir: join(dir, 'figures') });

  // The five score.json files the audit wrote are its rows: not drawn a second time.
  const bars = model.figures.filter((f) => f.type === 'subject-bars');
  assert.equal(bars.length, 1, `bar figures: ${bars.map((f) => f.id).join(', ')}`);
  assert.equal(model.sections.filter((s) => s.title.startsWith('Scores')).length, 0, 'no separate Scores section');
  const cats = [...new Set(bars[0].rows.filter((r) => r.kind === 'mean').map((r) => String(r.features)))];
  assert.deepEqual(cats, ['features', 'OASM', 'simple', 'simple | features (banded)', 'OASM | features (banded)']);
  const sub = JSON.stringify(bars[0].specs.r2);
  assert.match(sub, /features = lm:gpt2-untrained:layer=0,2,4,6,8,10,12:pool=last/, 'the subtitle names what each label stands for');
  assert.match(sub, /OASM = oasm:sigma=2/);
  assert.match(sub, /simple = wp:sigma=4\.7/);

  // The layer curve: both splits, SEM per layer, the chosen layers counted over folds, references.
  const curves = model.figures.filter((f) => f.type === 'grid-curve');
  assert.equal(curves.length, 1);
  const rows = curves[0].rows;
  const curve = rows.filter((r) => r.kind === 'curve');
  assert.equal(curve.length, 14);
  for (const r of curve) {
    assert.ok(Math.abs((r.r2_hi as number) - (r.r2 as number) - 0.006) < 1e-12 && Math.abs((r.r2 as number) - (r.r2_lo as number) - 0.006) < 1e-12, 'band = mean ± SEM from the file');
  }
  const chosen = rows.filter((r) => r.kind === 'chosen' && r.split === 'shuffled');
  // R²: layers 6, 6, 8, 6, 4 chosen in the five folds; r: 6, 8, 8, 6, 6.
  const count = (m: 'r2' | 'r') => Object.fromEntries(chosen.filter((r) => r[m] !== null).map((r) => [r.value, r.folds]));
  assert.deepEqual(count('r2'), { 4: 1, 6: 3, 8: 1 });
  assert.deepEqual(count('r'), { 6: 3, 8: 2 });
  assert.ok(chosen.every((r) => r.of === 5));
  const refs = rows.filter((r) => r.kind === 'ref').map((r) => `${r.ref} ${r.split}`).sort();
  assert.deepEqual(refs, ['OASM (oasm:sigma=2) contiguous', 'OASM (oasm:sigma=2) shuffled', 'simple (wp:sigma=4.7) contiguous']);
  const oasmShuffled = JSON.parse(readFileSync(join(dir, 'results', 'oasm-shuffled', 'score.json'), 'utf8')) as { dataset: { r2: number } };
  assert.equal(rows.find((r) => r.kind === 'ref' && r.split === 'shuffled')!.r2, oasmShuffled.dataset.r2, 'a reference line is the reference score as written');
  const spec = JSON.stringify(curves[0].specs.r2);
  assert.match(spec, /"mark":\{"type":"area"/, 'a band');
  assert.match(spec, /"shape":"diamond"/, 'a marker at the chosen layers');
  assert.match(spec, /"strokeDash":\{"field":"ref"/, 'reference lines, named in a legend');

  // Ω per subject: the values are printed under the subject labels, not on the bars.
  const omega = model.figures.find((f) => f.type === 'omega')!;
  const os = JSON.stringify(omega.specs.r2);
  assert.ok(!/"mark":\{"type":"text"/.test(os), 'no value labels on the bars');
  assert.match(os, /98\.5 %/);

  // Captions do not repeat what the figure itself says (its subtitle).
  for (const f of model.figures) {
    assert.ok(!/^A = /.test(f.caption), `${f.id}: the caption does not repeat A and B: ${f.caption}`);
    assert.ok(!/Dashed line/.test(f.caption), `${f.id}: the subtitle already says what the dashed line is`);
  }

  // The page: no raw status JSON shown, manifest hashes shortened with the whole hash as title.
  const page = readFileSync(html, 'utf8');
  assert.ok(!page.includes('<pre id="report-status">'), 'no visible status line');
  assert.match(page, /<script type="application\/json" id="report-status"><\/script>/);
  const hash = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
  assert.ok(page.includes(`<code class="hash" title="${hash}" data-hash="${hash}">${hash.slice(0, 12)}</code>`));
  assert.ok(!page.includes(`<code>${hash}</code>`), 'the whole hash is not written out in a cell');
  assert.match(page, /table\.manifest\{table-layout:fixed/);

  // No label cut off with an ellipsis in any figure file.
  for (const f of figures) {
    const svg = readFileSync(f.svg, 'utf8');
    const cut = [...svg.matchAll(/<text[^>]*>([^<]*…[^<]*)<\/text>/g)].map((m) => m[1]);
    assert.deepEqual(cut, [], `${f.svg}: truncated text`);
  }
});

test('every figure file of a folder with every figure type has no truncated label', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-report-labels-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeSyntheticResults(join(dir, 'results'));
  const { figures } = await writeReport(join(dir, 'results'), { figuresDir: join(dir, 'figures') });
  for (const f of figures) {
    const svg = readFileSync(f.svg, 'utf8');
    assert.ok(!/<text[^>]*>[^<]*…/.test(svg), `${f.svg}: truncated text`);
  }
});

test('wrapLabel breaks a long feature spec into lines that fit, keeping every character', () => {
  const spec = 'lm:gpt2-untrained:layer=4:pool=last';
  const lines = wrapLabel(spec, 110, 11);
  assert.ok(lines.length >= 2, lines.join(' / '));
  assert.equal(lines.join(''), spec);
  for (const l of lines) assert.ok(textWidth(l, 11)! <= 110, `"${l}" fits`);
  // a part wider than a line by itself is broken inside
  const long = wrapLabel('file:/very/long/path/to/features_without_breaks.npy', 60, 11);
  assert.equal(long.join(''), 'file:/very/long/path/to/features_without_breaks.npy');
  for (const l of long) assert.ok(textWidth(l, 11)! <= 60, `"${l}" fits`);
  assert.deepEqual(wrapLabel('bow', 100, 11), ['bow']);
});
