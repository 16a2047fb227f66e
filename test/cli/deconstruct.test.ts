/**
 * Issue 15 acceptance (real data): `brainmap deconstruct` on the Fedorenko2016 ECoG file with word
 * position (wp), static word vectors (glove: a small vectors file made here from the stimuli's own
 * words, seeded) and an untrained GPT-2 layer runs end to end, writes deconstruct.json (snake_case
 * keys), models.csv and units.csv, and `brainmap report` draws its section with the two figures at
 * their declared sizes. The numbers are checked against what they must be by construction: 7
 * sub-models; per level the best model is the maximum of that level in models.csv; unique variance
 * = full − without; the unit-wise maximum is at least every model's score.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../../src/io/dataset.js';
import { embeddingTokens } from '../../src/features/embeddings.js';
import { MT19937 } from '../../src/random/mt19937.js';
import { SNAKE_KEY } from '../../src/pipeline/json-keys.js';
import { FIGURE_SIZES } from '../../src/report/specs.js';
import { cliEntry } from '../cli-entry.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ncPath = `${root}../shared/data/fedorenko2016/fedorenko2016.nc`;

function keysOf(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => keysOf(x, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { out.push(k); keysOf(x, out); }
  return out;
}

test('deconstruct on Fedorenko2016 with wp, glove and an untrained GPT-2 layer: files, numbers by construction, report section', { timeout: 900_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'brainmap-deconstruct-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dataset = await loadDataset(ncPath);
  const vocab = [...new Set(dataset.samples.text.flatMap((s) => embeddingTokens(s)))];
  const rng = new MT19937(5);
  writeFileSync(join(dir, 'vectors.txt'), vocab.map((w) => `${w} ${Array.from({ length: 16 }, () => rng.standardNormal().toFixed(5)).join(' ')}`).join('\n') + '\n');
  const out = join(dir, 'out');
  const r = spawnSync(process.execPath, [...cliEntry(), 'deconstruct', '--dataset', ncPath,
    '--space', 'wp=wp:sigma=4.7', '--space', `glove=glove:path=${join(dir, 'vectors.txt')}`, '--space', 'llm=lm:gpt2-untrained:layer=2:pool=last',
    '--n-iter', '3', '--alphas', '1,100,10000,1000000', '--out', out], { encoding: 'utf8', cwd: root });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /llm beyond the best model without it/);
  assert.deepEqual(readdirSync(out).sort(), ['deconstruct.json', 'models.csv', 'units.csv']);
  const json = JSON.parse(readFileSync(join(out, 'deconstruct.json'), 'utf8'));
  for (const k of keysOf(json)) assert.match(k, SNAKE_KEY);
  const models = json.models as { model: string; n_spaces: number; r2: number }[];
  assert.deepEqual(models.map((m) => m.model), ['wp', 'glove', 'llm', 'wp+glove', 'wp+llm', 'glove+llm', 'wp+glove+llm']);
  for (const l of json.levels as { n_spaces: number; model: string; r2: number }[]) {
    const at = models.filter((m) => m.n_spaces === l.n_spaces);
    assert.equal(l.r2, Math.max(...at.map((m) => m.r2)), `level ${l.n_spaces}`);
  }
  const r2 = new Map(models.map((m) => [m.model, m.r2]));
  const without = { wp: 'glove+llm', glove: 'wp+llm', llm: 'wp+glove' } as Record<string, string>;
  for (const u of json.unique as { space: string; unique: number }[]) assert.ok(Math.abs(u.unique - (r2.get('wp+glove+llm')! - r2.get(without[u.space])!)) < 1e-12, u.space);
  for (const m of models) assert.ok(json.unit_max.r2 >= m.r2 - 1e-12, `unit max ≥ ${m.model}`);
  assert.equal(json.llm_beyond.subjects.length, 5);
  const units = readFileSync(join(out, 'units.csv'), 'utf8').trim().split('\n');
  assert.equal(units.length, 1 + 97);

  const rep = spawnSync(process.execPath, [...cliEntry(), 'report', out, '--figures', join(dir, 'figures')], { encoding: 'utf8', cwd: root });
  assert.equal(rep.status, 0, rep.stderr);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /Deconstruct — fedorenko2016/);
  const svgs = readdirSync(join(dir, 'figures')).filter((f) => f.endsWith('.svg'));
  for (const [suffix, type] of [['-levels', 'complexity-bars'], ['-unique', 'unique-bars']] as const) {
    const f = svgs.find((x) => x.includes(suffix));
    assert.ok(f, `${type} figure in ${svgs.join(', ')}`);
    const m = /^<svg[^>]*\swidth="(\d+)"\s+height="(\d+)"/.exec(readFileSync(join(dir, 'figures', f), 'utf8'));
    assert.deepEqual([+m![1], +m![2]], [FIGURE_SIZES[type].width, FIGURE_SIZES[type].height]);
  }
});
