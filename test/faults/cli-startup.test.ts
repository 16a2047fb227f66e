/**
 * Issue 13 point 4: start-up loads only what the command line needs. `brainmap --version` loads no
 * command module, and a command's option errors are reported before its heavy modules (datasets,
 * linear algebra, fitting, figures) load. A structural check of which modules load — no timing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SOURCE_ENTRY } from '../cli-entry.js';
import { brainmap, root, tmp } from './cli-helpers.js';

/** Runs the CLI with a module-loading hook; returns the repository-relative src/ files loaded. */
async function loadedModules(args: string[]): Promise<{ status: number | null; files: string[] }> {
  const dir = tmp('startup');
  const log = join(dir, 'loaded.txt');
  writeFileSync(log, '');
  writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  if (url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, url + '\\n');\n  return next(url, context);\n}\n`);
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
  const r = await brainmap(args, { entry: SOURCE_ENTRY, env: { NODE_OPTIONS: `--import ${pathToFileURL(join(dir, 'register.mjs')).href}` } });
  const prefix = pathToFileURL(join(root, 'src')).href + '/';
  const files = [...new Set(readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith(prefix)).map((u) => u.slice(prefix.length)))].sort();
  return { status: r.status, files };
}

test('--version loads main, its error reporting and nothing else of brainmap', async () => {
  const r = await loadedModules(['--version']);
  assert.equal(r.status, 0);
  assert.deepEqual(r.files, ['cli/errors.ts', 'cli/main.ts', 'data/errors.ts']);
});

test('option errors of score, partition, audit, inspect and report come before datasets, linear algebra and fitting load', async () => {
  const heavy = /^(linalg\/(index|native|portable)|io\/dataset|pipeline\/(score|score-spec|partition|audit|brainscore)|report\/index|regression\/ridge)\.ts$/;
  for (const args of [
    ['score', '--dataset', 'sim:fedorenko', '--features', 'sl', '--seed', '-1'],
    ['partition', '--dataset', 'sim:fedorenko', '--a', 'sl', '--b', 'sl', '--n-iter', '0'],
    ['audit', '--dataset', 'sim:fedorenko'],
    ['inspect'],
    ['report'],
  ]) {
    const r = await loadedModules(args);
    assert.equal(r.status, 2, args.join(' '));
    const loaded = r.files.filter((f) => heavy.test(f));
    assert.deepEqual(loaded, [], `${args[0]}: ${loaded.join(', ')}`);
    assert.ok(r.files.includes(`cli/${args[0]}.ts`));
  }
});
