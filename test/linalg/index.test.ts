import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getBackend, setBlasThreads } from '../../src/linalg/index.js';

const indexUrl = new URL('../../src/linalg/index.ts', import.meta.url).href;
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs a snippet (with `L` = the linalg module) in a fresh node process. */
function child(code: string, env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const script = `import(${JSON.stringify(indexUrl)}).then(async (L) => { ${code} }).catch((e) => { console.log('ERR ' + e.message); });`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, BRAINMAP_BACKEND: '', BRAINMAP_NATIVE_ADDON: '', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('getBackend: explicit kinds are singletons; BRAINMAP_BACKEND overrides auto', () => {
  const saved = process.env.BRAINMAP_BACKEND;
  try {
    assert.equal(getBackend('portable'), getBackend('portable'));
    process.env.BRAINMAP_BACKEND = 'portable';
    assert.equal(getBackend().name, 'portable');
    assert.equal(getBackend('native').name, 'native', 'an explicit preference wins over the environment');
    process.env.BRAINMAP_BACKEND = 'native';
    assert.equal(getBackend().name, 'native');
    process.env.BRAINMAP_BACKEND = 'blas';
    assert.throws(() => getBackend(), /BRAINMAP_BACKEND/);
    delete process.env.BRAINMAP_BACKEND;
    assert.equal(getBackend().name, 'native', 'auto picks native when the addon loads');
  } finally {
    if (saved === undefined) delete process.env.BRAINMAP_BACKEND;
    else process.env.BRAINMAP_BACKEND = saved;
  }
});

test('setBlasThreads applies to the native backend', () => {
  const be = getBackend('native');
  const before = be.getThreads();
  setBlasThreads(1);
  assert.equal(be.getThreads(), 1);
  setBlasThreads(before);
  assert.equal(be.getThreads(), before);
  assert.throws(() => setBlasThreads(0), RangeError);
});

test('without the addon: auto falls back to portable with one warning line; native throws the reason', () => {
  const r = child(
    `const a = L.getBackend(); const b = L.getBackend('auto');
     console.log('kind ' + a.name + ' ' + (a === b));
     try { L.getBackend('native'); } catch (e) { console.log('native-error ' + e.message); }
     const c = await a.gemm(L.fromRows([[1, 2]]), L.fromRows([[3], [4]]));
     console.log('gemm ' + c.data[0]);`,
    { BRAINMAP_NATIVE_ADDON: '/nonexistent/brainmap_native.node' },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^kind portable true$/m);
  assert.match(r.stdout, /^native-error brainmap: the native BLAS backend was requested but is not available: addon not built: \/nonexistent\/brainmap_native\.node is missing$/m);
  assert.match(r.stdout, /^gemm 11$/m);
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('brainmap:'));
  assert.deepEqual(warnings, [
    'brainmap: native BLAS backend not available (addon not built: /nonexistent/brainmap_native.node is missing); using the portable TypeScript backend (slower). Install libopenblas-dev liblapacke-dev and run npm ci.',
  ]);
});

test('with the addon: auto is native and silent', () => {
  const r = child(`console.log('kind ' + L.getBackend().name + ' threads ' + L.getBackend().getThreads());`, {});
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^kind native threads \d+$/m);
  assert.equal(r.stderr.trim(), '');
});
