import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeReport } from '../../src/report/index.js';
import { writePartialResults } from './helpers.js';
import { cliEntry } from '../cli-entry.js';

test('a folder of missing, partial and broken results still gives a report that says what is missing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-report-missing-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writePartialResults(dir);
  const { model, html } = await writeReport(dir, { figuresDir: join(dir, 'figures') });
  const problem = (file: string) => model.notes.filter((n) => n.file === file).map((n) => n.problem).join(' | ');
  assert.match(problem('broken/score.json'), /unreadable JSON/);
  assert.match(problem('lonely/score.json'), /no contiguous counterpart for oasm:sigma=1\.8/);
  assert.match(problem('lonely/score.json'), /no units\.csv/);
  assert.match(problem('partial/score.json'), /dataset\.hash missing; subjects missing/);
  assert.match(problem('partition-no-units/partition.json'), /no units\.csv beside it/);
  assert.match(problem('partition-no-units/partition.json'), /significance missing/);
  assert.match(problem('orphan/units.csv'), /no score\.json or partition\.json beside it/);
  assert.match(problem('bad-units/units.csv'), /missing columns r2, r/);
  assert.match(problem('audit/audit.json'), /dataset_hash missing/);
  assert.match(problem('audit/audit.json'), /rows\[0\]\.r2 missing/);
  assert.match(problem('audit/audit.json'), /leak missing/);
  assert.match(problem('audit/partition-gone/partition.json'), /missing: audit partition "gone" shown from audit\/audit\.json only/);
  assert.match(problem('demo/blank/oasm-contiguous/score.json'), /shown from the copy in demo\/summary\.json/);

  // what could be read is still drawn: the bow pair, the lonely score (as a bar with "not run" beside it), Ω of the audit partition
  const types = model.figures.map((f) => f.type);
  for (const t of ['subject-bars', 'glass-brain', 'omega'] as const) assert.ok(types.includes(t), `${t} not in ${types.join(',')}`);
  // The lonely score's bar figure marks its missing contiguous counterpart (an audit's own score
  // figure, which may also draw oasm:sigma=1.8, leaves out splits the audit never runs).
  const bars = model.figures.filter((f) => f.type === 'subject-bars' && f.rows.some((r) => r.features === 'oasm:sigma=1.8'));
  assert.ok(bars.some((b) => b.rows.some((r) => r.kind === 'missing' && r.features === 'oasm:sigma=1.8' && r.split === 'contiguous')), `${bars.length} bar figures with oasm:sigma=1.8, none marks its contiguous split as not run`);

  const page = readFileSync(html, 'utf8');
  assert.match(page, /What is missing \(\d+\)/);
  for (const n of model.notes) assert.ok(page.includes(n.file), `the page names ${n.file}`);
});

test('brainmap report: the CLI writes the report, lists what is missing, and refuses a missing folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-report-cli-'));
  try {
    writePartialResults(join(dir, 'results'));
    const cli = (args: string[]) => spawnSync(process.execPath, [...cliEntry(), ...args], { encoding: 'utf8' });
    const ok = cli(['report', join(dir, 'results'), '--out', join(dir, 'out', 'r.html')]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /wrote .*r\.html \(\d+ figures from \d+ result files/);
    assert.match(ok.stdout, /broken\/score\.json: unreadable JSON/);
    assert.ok(readFileSync(join(dir, 'out', 'r.html'), 'utf8').startsWith('<!doctype html>'));
    const bad = cli(['report', join(dir, 'nope')]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^error: .*nope: results-dir: no such file or directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
