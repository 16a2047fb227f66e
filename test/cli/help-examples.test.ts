/**
 * Issue 16 point 3: every command's --help ends with runnable examples, and commands that take
 * features list every registered feature term (the table is generated from the registry).
 * Each example is parsed by the real command definitions (with the actions replaced by a no-op):
 * unknown options, bad choices, missing required options or arguments fail the test; the feature
 * specs in it must parse and name registered features.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadFeatureTerms } from '../../src/cli/help.js';
import { featureDefinitions, getFeature } from '../../src/features/registry.js';
import { parseFeatureSpec } from '../../src/features/spec.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const FEATURE_OPTIONS = ['--features', '--a', '--b', '--simple', '--oasm'];

async function program(): Promise<Command> {
  const p = new Command().name('brainmap');
  const dir = join(root, 'src/cli');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'main.ts').sort()) {
    if (!/export (async )?function register\w+Command/.test(readFileSync(join(dir, file), 'utf8'))) continue;
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) if (/^register\w+Command$/.test(name) && typeof value === 'function') (value as (c: Command) => void)(p);
  }
  return p;
}

/** Leaf commands with their paths (`score`, `features lm`). */
function leaves(cmd: Command, path: string[] = []): Array<{ path: string; cmd: Command }> {
  if (cmd.commands.length === 0) return [{ path: path.join(' '), cmd }];
  return cmd.commands.flatMap((sub) => leaves(sub, [...path, sub.name()]));
}

function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => { text += s; }, writeErr: (s) => { text += s; } });
  cmd.outputHelp();
  return text;
}

/** Shell words of an example line: quotes removed, a trailing `# comment` and `> file` dropped. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur: string | null = null;
  let quote: string | null = null;
  for (const ch of line) {
    if (quote) { if (ch === quote) quote = null; else cur += ch; continue; }
    if (ch === "'" || ch === '"') { quote = ch; cur ??= ''; continue; }
    if (/\s/.test(ch)) { if (cur !== null) words.push(cur); cur = null; continue; }
    if ((ch === '#' || ch === '>') && cur === null) break;
    cur = (cur ?? '') + ch;
  }
  if (cur !== null) words.push(cur);
  return words;
}

/** The example command lines of a help text: the `brainmap …` lines after "Examples:". */
function examples(help: string): string[] {
  const at = help.indexOf('\nExamples:\n');
  if (at < 0) return [];
  return help.slice(at).split('\n').map((l) => l.trim()).filter((l) => l.startsWith('brainmap '));
}

test('every command shows two or more examples that its own option parser accepts', async () => {
  await loadFeatureTerms();
  const p = await program();
  const all = leaves(p);
  assert.ok(all.length >= 12, `found ${all.length} commands`);
  const ran: string[] = [];
  for (const { cmd } of all) cmd.action(() => { ran.push(cmd.name()); });
  const silence = (c: Command) => { c.exitOverride(); c.configureOutput({ writeOut: () => {}, writeErr: () => {} }); c.commands.forEach(silence); };
  for (const { path, cmd } of all) {
    const ex = examples(helpOf(cmd));
    assert.ok(ex.length >= 2 || (path === 'collect' && ex.length >= 2), `${path}: ${ex.length} examples`);
    for (const line of ex) {
      const words = shellWords(line).slice(1);
      assert.equal(words.slice(0, path.split(' ').length).join(' '), path, `${path}: example of another command: ${line}`);
      silence(p);
      ran.length = 0;
      await p.parseAsync(words, { from: 'user' }).catch((err: Error) => assert.fail(`${path}: "${line}": ${err.message}`));
      assert.deepEqual(ran, [cmd.name()], line);
      for (let i = 0; i < words.length - 1; i++) {
        if (!FEATURE_OPTIONS.includes(words[i])) continue;
        for (const band of parseFeatureSpec(words[i + 1]).bands) for (const t of band.terms) assert.doesNotThrow(() => getFeature(t.name), line);
      }
    }
  }
});

test('the feature table of score, audit, partition and run lists every registered feature term', async () => {
  await loadFeatureTerms();
  const p = await program();
  const names = featureDefinitions().map((d) => d.name);
  assert.ok(names.length >= 12 && names.includes('oasm') && names.includes('lm'), names.join(', '));
  for (const { path, cmd } of leaves(p).filter((l) => ['score', 'audit', 'partition', 'run'].includes(l.path))) {
    const help = helpOf(cmd);
    const at = help.indexOf('\nFeature terms');
    assert.ok(at >= 0, `${path}: no feature table`);
    const listed = help.slice(at).split('\n').map((l) => /^ {2}([a-z][\w-]*) {2,}/.exec(l)?.[1]).filter((x): x is string => x !== undefined && x !== 'term');
    assert.deepEqual([...listed].sort(), [...names].sort(), path);
  }
});

test('shellWords: quotes, comments and redirections', () => {
  assert.deepEqual(shellWords(`brainmap score --features 'sp:sigma=3.4+sl|bow' --x "a b"  # note`), ['brainmap', 'score', '--features', 'sp:sigma=3.4+sl|bow', '--x', 'a b']);
  assert.deepEqual(shellWords('brainmap collect audit/ > audit.csv'), ['brainmap', 'collect', 'audit/']);
});
