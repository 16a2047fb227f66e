/**
 * Issue 11 point 12: banded ridge's number of band-weight samples has ONE default across `score`,
 * `partition` and `audit` (it was 200/200/100), and each help text states it next to the paper's 1000.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cliEntry } from '../cli-entry.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('--n-iter: the same default in score, partition and audit, shown with the paper\'s 1000', () => {
  const defaults = ['score', 'partition', 'audit'].map((cmd) => {
    const r = spawnSync(process.execPath, [...cliEntry(), cmd, '--help'], { encoding: 'utf8', cwd: root });
    assert.equal(r.status, 0, r.stderr);
    // The option's entry, with the lines commander wrapped it onto.
    const lines = r.stdout.split('\n');
    const at = lines.findIndex((l) => l.trimStart().startsWith('--n-iter'));
    assert.ok(at >= 0, `${cmd} --help has --n-iter`);
    let end = at + 1;
    while (end < lines.length && /^\s{6,}\S/.test(lines[end])) end++;
    const line = lines.slice(at, end).map((l) => l.trim()).join(' ');
    assert.match(line, /the paper: 1000/, `${cmd}: ${line}`);
    const m = /\(default: (\d+)\)/.exec(line);
    assert.ok(m, `${cmd}: ${line}`);
    return Number(m[1]);
  });
  assert.deepEqual(defaults, [100, 100, 100]);
});
