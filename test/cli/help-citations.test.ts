import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { Command } from 'commander';

/**
 * Users have docs/method.md, not the developers' reconstruction of the authors' code (METHODS.md):
 * no text a user sees — any command's --help, the README, the method document — may cite
 * "METHODS §x" or the spec's "[BUG]" tags.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const FORBIDDEN = [/METHODS\s*(\.md\s*)?§/, /\[BUG\]/];

function offending(text: string): string[] {
  return text.split('\n').filter((line) => FORBIDDEN.some((re) => re.test(line)));
}

/** Every command module's register function (src/cli/<name>.ts exporting register…Command). */
async function registerFunctions(): Promise<Array<(program: Command) => void>> {
  const dir = join(root, 'src/cli');
  const out: Array<(program: Command) => void> = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'main.ts').sort()) {
    if (!/export (async )?function register\w+Command/.test(readFileSync(join(dir, file), 'utf8'))) continue;
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) if (/^register\w+Command$/.test(name) && typeof value === 'function') out.push(value as (program: Command) => void);
  }
  return out;
}

/** The full --help output (including addHelpText sections) of a command and of each subcommand. */
function allHelp(cmd: Command, path: string): Array<{ path: string; text: string }> {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => { text += s; }, writeErr: (s) => { text += s; } });
  cmd.outputHelp();
  return [{ path, text }, ...cmd.commands.flatMap((sub) => allHelp(sub, `${path} ${sub.name()}`))];
}

test('no --help text cites METHODS § or [BUG] (users have docs/method.md)', async () => {
  const program = new Command().name('brainmap');
  const registers = await registerFunctions();
  assert.ok(registers.length >= 10, `found only ${registers.length} command modules`);
  for (const register of registers) register(program);
  const helps = allHelp(program, 'brainmap');
  assert.ok(helps.length > registers.length, 'every command printed its help');
  for (const { path, text } of helps) {
    assert.ok(text.length > 0, `${path} --help printed nothing`);
    assert.deepEqual(offending(text), [], `${path} --help`);
  }
});

test('README and docs/method.md cite docs/method.md, not METHODS § or [BUG]', () => {
  for (const file of ['README.md', 'docs/method.md']) assert.deepEqual(offending(readFileSync(join(root, file), 'utf8')), [], file);
});

test('the check itself: it catches the old citations', () => {
  assert.equal(offending('definition (METHODS §3)').length, 1);
  assert.equal(offending('([BUG], see there)').length, 1);
  assert.equal(offending('definition (docs/method.md §3)').length, 0);
});
