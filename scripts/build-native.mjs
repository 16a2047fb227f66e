#!/usr/bin/env node
/**
 * Builds the optional native BLAS/LAPACK addon (build/Release/brainmap_native.node) with node-gyp.
 * Run by npm's `install` lifecycle. It never fails the installation: when the addon cannot be
 * built or loaded, brainmap falls back to its portable TypeScript backend, and this script prints
 * a single warning line saying so and how to fix it. The full build log goes to
 * brainmap-native-build.log in the package root.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'build', 'Release', 'brainmap_native.node');
const logFile = join(root, 'brainmap-native-build.log');
const log = [];

/** node-gyp command lines to try, best first: [command, args]. */
function candidates() {
  const out = [];
  const seen = new Set();
  const addScript = (script) => {
    if (script && existsSync(script) && !seen.has(script)) {
      seen.add(script);
      out.push([process.execPath, [script]]);
    }
  };
  // 1. the devDependency (or a node-gyp resolvable from here)
  try {
    addScript(createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    /* not installed */
  }
  // 2. the node-gyp bundled with the npm running this lifecycle script
  const npmGyp = process.env.npm_config_node_gyp;
  if (npmGyp) {
    if (npmGyp.endsWith('.js')) addScript(npmGyp);
    else if (existsSync(npmGyp)) out.push([npmGyp, []]);
  }
  // 3. the node-gyp bundled with the npm that ships beside this node binary
  const prefix = resolve(dirname(process.execPath), '..');
  for (const base of [join(prefix, 'lib', 'node_modules'), join(prefix, 'share', 'nodejs'), join(dirname(process.execPath), 'node_modules')]) {
    addScript(join(base, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
    addScript(join(base, 'node-gyp', 'bin', 'node-gyp.js'));
  }
  // 4. npx as a last resort, only when no node-gyp was found above (it may download one)
  if (out.length === 0) out.push([process.platform === 'win32' ? 'npx.cmd' : 'npx', ['--yes', 'node-gyp']]);
  return out;
}

/** Use the headers installed beside this node binary (distro / tarball installs) so no download is needed. */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = resolve(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h')) && existsSync(join(prefix, 'include', 'node', 'common.gypi'))) {
    return [`--nodedir=${prefix}`];
  }
  return [];
}

function run(cmd, args) {
  log.push(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: process.env, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60 * 1000 });
  if (r.stdout) log.push(r.stdout);
  if (r.stderr) log.push(r.stderr);
  if (r.error) log.push(String(r.error));
  return r.status === 0;
}

function loads() {
  // Load in a child process so a broken library (e.g. missing libopenblas.so at run time) cannot hurt this one.
  return run(process.execPath, ['-e', `const a = require(${JSON.stringify(addon)}); if (typeof a.gemm !== 'function') process.exit(1);`]);
}

function main() {
  let built = false;
  for (const [cmd, pre] of candidates()) {
    if (run(cmd, [...pre, 'rebuild', ...nodedirArgs()])) {
      built = true;
      break;
    }
  }
  const ok = built && existsSync(addon) && loads();
  try {
    writeFileSync(logFile, log.join('\n'));
  } catch {
    /* read-only install location: the log is a convenience */
  }
  if (ok) {
    console.log(`brainmap: built the native BLAS backend (${addon})`);
  } else {
    console.warn(
      `brainmap: WARNING: could not build the native OpenBLAS backend, so brainmap will use the slower portable TypeScript backend; ` +
        `to fix it run \`apt-get install libopenblas-dev liblapacke-dev\` (plus a C compiler, make and python3), then \`npm rebuild brainmap\` or \`npm ci\` (build log: ${logFile})`,
    );
  }
}

try {
  main();
} catch (err) {
  console.warn(
    `brainmap: WARNING: could not build the native OpenBLAS backend (${err instanceof Error ? err.message : String(err)}), so brainmap will use the slower portable TypeScript backend; ` +
      'to fix it run `apt-get install libopenblas-dev liblapacke-dev`, then `npm rebuild brainmap` or `npm ci`',
  );
}
process.exit(0);
