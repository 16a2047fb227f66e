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
import { CHROMIUM, Chromium, type PageCheck } from '../../src/report/browser.js';
import { writeReport, type ReportModel } from '../../src/report/index.js';
import { pngHeader, writePartialResults, writeSimulatedResults } from './helpers.js';

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
  const shot = await browser.screenshot();
  const shotPath = join(dir, 'report.png');
  saveShot(shotPath, shot);
  const size = pngHeader(shot);
  assert.equal(size.width, 1400);
  assert.ok(size.height > 1500, `the whole page: ${size.height} px`);

  // the R² / r toggle redraws every figure that has an r variant
  await browser.evaluate("document.querySelector('input[name=metric][value=r]').click()");
  assertDrawn(await browser.waitForReport(), model, 'r');
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
  const listed = await browser.evaluate<string[]>("Array.from(document.querySelectorAll('#missing li')).map((li) => li.textContent)");
  assert.equal(listed.length, model.notes.length);
  assert.ok(listed.some((l) => /broken\/score\.json: unreadable JSON/.test(l)), listed.join('\n'));
  assert.ok(listed.some((l) => /lonely\/score\.json: no contiguous counterpart/.test(l)));
  assert.ok(listed.some((l) => /partition-no-units\/partition\.json: no units\.csv/.test(l)));
  saveShot(join(dir, 'report.png'), await browser.screenshot({ maxHeight: 3000 }));
});
