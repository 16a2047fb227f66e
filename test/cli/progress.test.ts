/**
 * Issue 16.1: progress. The ETA comes from an exponentially weighted rate (ewmaRate), tested as a
 * pure function on synthetic sequences; off a terminal, progress is one log line per stage and one
 * at the end (a fake stream, no timing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DelayedProgress, etaSeconds, ewmaRate, formatDuration, type RateState } from '../../src/cli/progress.js';

test('a constant rate gives the exact ETA whatever the update times', () => {
  let s: RateState | null = null;
  for (const t of [0, 0.2, 1, 1.1, 5, 9.5, 10]) s = ewmaRate(s, t, 2 * t);
  assert.ok(Math.abs(etaSeconds(s, 100)! - (100 - 20) / 2) < 1e-9);
  assert.equal(etaSeconds(ewmaRate(null, 0, 0), 10), null, 'unknown before any progress');
});

test('uneven progress (work arriving in lumps) does not make the ETA jump; a change of speed moves it gradually and monotonically', () => {
  // 1 s updates; work arrives as 0, 4, 0, 4, … (2 per second on average). The naive ETA from the
  // last interval alternates between infinity and half the truth.
  let s: RateState | null = null;
  const etas: number[] = [];
  for (let t = 0; t <= 600; t++) {
    s = ewmaRate(s, t, 4 * Math.floor(t / 2));
    if (t >= 120) etas.push(etaSeconds(s, 2000)! + t);
  }
  // Predicted finish time stays within 5 % of the true one (1000 s) once the estimate has settled.
  for (const f of etas) assert.ok(Math.abs(f - 1000) < 50, `finish ${f}`);
  // Speed drops from 10/s to 1/s at t = 100: the rate falls monotonically, never below the new speed.
  let r: RateState | null = null;
  let prev = Infinity;
  for (let t = 0; t <= 400; t++) {
    r = ewmaRate(r, t, t <= 100 ? 10 * t : 1000 + (t - 100));
    if (t > 100) {
      assert.ok(r.rate! <= prev + 1e-12 && r.rate! >= 1 - 1e-12, `t ${t}: rate ${r.rate}`);
      // Each 1-s step moves the rate by the fraction 1 − e^(−1/30) of its distance to the new speed.
      if (prev !== Infinity) assert.ok(Math.abs((prev - r.rate!) - (1 - Math.exp(-1 / 30)) * (prev - 1)) < 1e-9);
      prev = r.rate!;
    }
  }
});

test('off a terminal: one line per stage with the elapsed time, and a last line', () => {
  const lines: string[] = [];
  const p = new DelayedProgress('audit', 0, { isTTY: false, write: (s: string) => lines.push(s) });
  p.update(0, 8, '1/8: features shuffled');
  p.update(0.5, 8, '1/8: features shuffled');
  p.update(1, 8, '2/8: features contiguous');
  p.stop();
  assert.equal(lines.length, 3, lines.join(''));
  assert.match(lines[0], /^audit 1\/8: features shuffled: 0 %, elapsed \d+s\n$/);
  assert.match(lines[1], /^audit 2\/8: features contiguous: 12 %, elapsed \d+s(, about .+ left)?\n$/);
  assert.match(lines[2], /^audit finished, elapsed \d+s\n$/);
  assert.equal(formatDuration(75), '1m15s');
  assert.equal(formatDuration(3700), '1h01m');
});
