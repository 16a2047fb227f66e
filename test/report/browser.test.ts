/**
 * End to end: a demo-like results folder (small real simulated runs) and a folder of partial
 * results, each reported and opened in headless Chromium (/usr/bin/chromium, installed by .ci/run;
 * this test fails, it does not skip, when it is missing). The page's own script counts the marks
 * every vega view drew and writes them into #report-status.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CHROMIUM, Chromium, FIGURE_LAYOUT_SCRIPT, type PageCheck } from '../../src/report/browser.js';
import { FIGURE_TYPES, writeReport, type ReportModel } from '../../src/report/index.js';
import { layoutProblems, type FigureLayout } from '../../src/report/overlap.js';
import { pngHeader, writeAuditResults, writePartialResults, writeSimulatedResults, writeSyntheticResults } from './helpers.js';

/** Screenshots go to the test's temp dir; set BRAINMAP_REPORT_SHOTS=<dir> to keep copies to look at. */
function saveShot(path: string, png: Buffer): void {
  writeFileSync(path, png);
  const keep = process.env.BRAINMAP_REPORT_SHOTS;
  if (keep) {
    mkdirSync(keep, { recursive: true });
    writeFileSync(join(keep, path.split(/[\\/]/).slice(-2).join('-')), png);
  }
}

function assertDrawn(check: PageCheck, model: ReportModel, metric: string): void {
  const { status, consoleErrors } = check;
  assert.deepEqual(consoleErrors, [], 'no console errors or exceptions');
  assert.deepEqual(status.errors, [], 'no page errors');
  assert.deepEqual(status.failed, [], 'no figure failed');
  assert.equal(status.metric, metric);
  assert.equal(status.figures, model.figures.length);
  assert.equal(status.rendered, model.figures.length, 'every figure drew');
  for (const f of model.figures) assert.ok((status.marks[f.id] ?? 0) > 0, `${f.id} (${f.type}) has marks: ${status.marks[f.id]}`);
}

/**
 * The figures check themselves: in every drawn figure no two SVG text boxes overlap (beyond 1 px),
 * no text is crossed by a mean or reference line or reaches outside the figure, no label is cut off
 * with '…', and every axis has a title. Also: the page shows no raw status JSON.
 */
async function assertLayout(browser: Chromium, model: ReportModel, metric: string): Promise<void> {
  const layouts = await browser.evaluate<FigureLayout[]>(FIGURE_LAYOUT_SCRIPT);
  assert.deepEqual(layouts.map((l) => l.id), model.figures.map((f) => f.id), 'every figure measured');
  for (const l of layouts) assert.ok(l.texts.length > 0 && l.svg.width > 0, `${l.id}: drawn with text`);
  const problems = layouts.flatMap((l) => layoutProblems(l));
  assert.deepEqual(problems, [], `${metric}: figure layout problems:\n${problems.join('\n')}`);
  const shown = await browser.evaluate<string>('document.body.innerText');
  assert.ok(!/"state"\s*:|"marks"\s*:|"rendered"\s*:/.test(shown), 'no raw status JSON on the page');
  assert.equal(await browser.evaluate<string>("getComputedStyle(document.getElementById('report-status')).display"), 'none');
}

test('the report of a demo-like folder draws every figure in headless Chromium, R² and r', { timeout: 240000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-report-e2e-'));
  const profile = join(dir, 'chromium-profile');
  mkdirSync(profile);
  let browser: Chromium | null = null;
  t.after(() => {
    browser?.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  const t0 = Date.now();
  await writeSimulatedResults(join(dir, 'results'));
  const { html, model } = await writeReport(join(dir, 'results'));
  const fitted = Date.now() - t0;
  const types = new Set(model.figures.map((f) => f.type));
  for (const ty of ['subject-bars', 'grid-curve', 'glass-brain', 'omega', 'significance', 'unit-scatter'] as const) assert.ok(types.has(ty), `has a ${ty} figure`);

  browser = await Chromium.launch({ userDataDir: profile });
  await browser.open(html);
  const check = await browser.waitForReport();
  assertDrawn(check, model, 'r2');
  await assertLayout(browser, model, 'r2');
  const shot = await browser.screenshot();
  const shotPath = join(dir, 'report.png');
  saveShot(shotPath, shot);
  const size = pngHeader(shot);
  assert.equal(size.width, 1400);
  assert.ok(size.height > 1500, `the whole page: ${size.height} px`);

  // the R² / r toggle redraws every figure that has an r variant
  await browser.evaluate("document.querySelector('input[name=metric][value=r]').click()");
  assertDrawn(await browser.waitForReport(), model, 'r');
  await assertLayout(browser, model, 'r');
  saveShot(join(dir, 'report-r.png'), await browser.screenshot({ maxHeight: 2000 }));

  // hover (a real mouse move over a subject dot): the tooltip shows the subject and its value
  const at = await browser.evaluate<{ x: number; y: number } | null>(`(() => {
    const dots = Array.from(document.querySelectorAll('figure[data-type="subject-bars"] .chart .mark-symbol path'));
    if (dots.length === 0) return null;
    const el = dots.reduce((a, b) => (b.getBoundingClientRect().y < a.getBoundingClientRect().y ? b : a));
    el.scrollIntoView({ block: 'center' });
    const r = el.getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
  })()`);
  assert.ok(at, 'a subject dot is drawn');
  await browser.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x: at.x, y: at.y });
  await new Promise((res) => setTimeout(res, 150));
  const tip = await browser.evaluate<string>("document.getElementById('tip').style.display + ' ' + document.getElementById('tip').textContent");
  assert.match(tip, /subject/, `tooltip: ${tip}`);
  t.diagnostic(`results ${fitted} ms, page drawn in Chromium, screenshot ${shotPath}`);
});

test('the report of a folder with missing and partial results renders and lists what is missing', { timeout: 120000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-report-e2e-missing-'));
  const profile = join(dir, 'chromium-profile');
  mkdirSync(profile);
  let browser: Chromium | null = null;
  t.after(() => {
    browser?.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  writePartialResults(join(dir, 'results'));
  const { html, model } = await writeReport(join(dir, 'results'));
  browser = await Chromium.launch({ userDataDir: profile });
  await browser.open(html);
  assertDrawn(await browser.waitForReport(), model, 'r2');
  await assertLayout(browser, model, 'r2');
  const listed = await browser.evaluate<string[]>("Array.from(document.querySelectorAll('#missing li')).map((li) => li.textContent)");
  assert.equal(listed.length, model.notes.length);
  assert.ok(listed.some((l) => /broken\/score\.json: unreadable JSON/.test(l)), listed.join('\n'));
  assert.ok(listed.some((l) => /lonely\/score\.json: no contiguous counterpart/.test(l)));
  assert.ok(listed.some((l) => /partition-no-units\/partition\.json: no units\.csv/.test(l)));
  saveShot(join(dir, 'report.png'), await browser.screenshot({ maxHeight: 3000 }));
});

test('every figure type, an audit of a layer grid and long feature specs: figures pass their self-checks, R² and r', { timeout: 180000 }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-report-e2e-layout-'));
  const profile = join(dir, 'chromium-profile');
  mkdirSync(profile);
  let browser: Chromium | null = null;
  t.after(() => {
    browser?.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  writeSyntheticResults(join(dir, 'results'));
  writeAuditResults(join(dir, 'results', 'lm-audit'));
  const { html, model } = await writeReport(join(dir, 'results'));
  const types = new Set(model.figures.map((f) => f.type));
  assert.equal(types.size, FIGURE_TYPES.length, `every figure type: ${[...types].join(', ')}`);
  assert.ok(model.figures.some((f) => f.type === 'grid-curve' && f.rows.some((r) => r.kind === 'ref')), 'a layer curve with reference lines');
  browser = await Chromium.launch({ userDataDir: profile });
  await browser.open(html);
  assertDrawn(await browser.waitForReport(), model, 'r2');
  await assertLayout(browser, model, 'r2');
  saveShot(join(dir, 'report.png'), await browser.screenshot({ maxHeight: 6000 }));
  await browser.evaluate("document.querySelector('input[name=metric][value=r]').click()");
  assertDrawn(await browser.waitForReport(), model, 'r');
  await assertLayout(browser, model, 'r');
  // the manifest: hashes shortened to 12 hex digits, the whole hash on hover, paths inside their column
  const cells = await browser.evaluate<{ shown: string; title: string; height: number; fontSize: number }[]>(`Array.from(document.querySelectorAll('table.manifest code.hash')).map((c) => ({ shown: c.textContent, title: c.title, height: c.getBoundingClientRect().height, fontSize: parseFloat(getComputedStyle(c).fontSize) }))`);
  assert.ok(cells.length > 0);
  for (const c of cells) {
    assert.match(c.title, /^[0-9a-f]{64}$/);
    assert.equal(c.shown, c.title.slice(0, 12));
    assert.ok(c.height < 1.8 * c.fontSize, `a hash on one line: ${JSON.stringify(c)}`);
  }
  const spill = await browser.evaluate<string[]>(`Array.from(document.querySelectorAll('table.manifest td')).filter((td) => td.scrollWidth > td.clientWidth + 1 || Array.from(td.children).some((c) => c.getBoundingClientRect().right > td.getBoundingClientRect().right + 1)).map((td) => td.textContent)`);
  assert.deepEqual(spill, [], 'no manifest cell spills into the next column');
});
