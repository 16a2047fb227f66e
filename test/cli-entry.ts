/**
 * How tests start the brainmap CLI in a child process: the built `dist/cli/main.js` (what users
 * run, ~0.2 s CPU to start) when it is at least as new as every source file, otherwise the
 * TypeScript sources through tsx (~0.8 s CPU: the whole suite spawns the CLI hundreds of times).
 * `npm ci` builds dist (the `prepare` script) and `npm test` runs `tsc -p tsconfig.json` first,
 * so CI always tests the build; a developer editing src/ gets the sources until the next build.
 * BRAINMAP_TEST_CLI=src forces the sources.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const built = join(root, 'dist', 'cli', 'main.js');
const sources = join(root, 'src', 'cli', 'main.ts');

function newestSourceMtimeMs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSourceMtimeMs(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

let cached: readonly string[] | undefined;

/** Node arguments that run the CLI: spawn `process.execPath` with `[...cliEntry(), ...args]`. */
export function cliEntry(): readonly string[] {
  if (cached) return cached;
  const useBuild = process.env.BRAINMAP_TEST_CLI !== 'src' && existsSync(built) && statSync(built).mtimeMs >= newestSourceMtimeMs(join(root, 'src'));
  cached = useBuild ? [built] : SOURCE_ENTRY;
  return cached;
}

/** The TypeScript sources through tsx, for tests about the sources themselves (which modules load). */
export const SOURCE_ENTRY: readonly string[] = ['--import', 'tsx', sources];
