/**
 * The figure self-checks (src/report/overlap.ts) on hand-made boxes: they must catch what they are
 * for (two labels on top of each other, a label on a line, a label cut off, an untitled axis) and
 * pass what is fine (labels side by side, touching within the 1 px tolerance, a line beside a label).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crowdedAxisLabels, intersection, layoutProblems, overlaps, textOverlaps, textsOnRules, textsOutside, truncatedTexts, untitledAxes, type FigureLayout, type TextBox } from '../../src/report/overlap.js';

const text = (t: string, x: number, y: number, width: number, height = 12, role = 'mark'): TextBox => ({ text: t, role, x, y, width, height });

test('intersection of two boxes: width and height of the common part, 0 when apart', () => {
  assert.deepEqual(intersection({ x: 0, y: 0, width: 10, height: 10 }, { x: 6, y: 7, width: 10, height: 10 }), { width: 4, height: 3 });
  assert.deepEqual(intersection({ x: 0, y: 0, width: 10, height: 10 }, { x: 10, y: 0, width: 5, height: 5 }), { width: 0, height: 0 });
  assert.deepEqual(intersection({ x: 0, y: 0, width: 10, height: 10 }, { x: 20, y: 20, width: 5, height: 5 }), { width: 0, height: 0 });
});

test('overlapping text boxes are caught; side by side or within 1 px are not', () => {
  // Ω value label "98.5" drawn over its neighbour "100.0"
  const a = text('100.0', 100, 50, 30);
  const b = text('98.5', 120, 55, 25);
  assert.ok(overlaps(a, b));
  assert.deepEqual(textOverlaps([a, b]), [[a, b]]);
  // side by side with a gap, and touching edges
  assert.deepEqual(textOverlaps([text('1', 0, 0, 10), text('2', 12, 0, 10), text('3', 22, 0, 10)]), []);
  // 0.8 px of overlap is inside the tolerance, 1.5 px is not
  assert.deepEqual(textOverlaps([text('a', 0, 0, 10), text('b', 9.2, 0, 10)]), []);
  assert.equal(textOverlaps([text('a', 0, 0, 10), text('b', 8.5, 0, 10)]).length, 1);
  // one box inside another (a subtitle drawn over a title)
  assert.equal(textOverlaps([text('title', 0, 0, 200, 16), text('sub', 20, 4, 50, 10)]).length, 1);
  // three labels in a pile: every pair once
  assert.equal(textOverlaps([text('x', 0, 0, 10), text('y', 2, 0, 10), text('z', 4, 0, 10)]).length, 3);
});

test('a dashed mean line through a value label is caught; one above or below it is not', () => {
  const label = text('98.5', 100, 40, 24, 12);
  const through = { x: 50, y: 46, width: 400, height: 1 };
  // the line's stroke (1.5 px) along the bottom of the label: it touches the digits
  const along = { x: 50, y: 51.3, width: 400, height: 1.5 };
  const above = { x: 50, y: 38, width: 400, height: 1.5 };
  const below = { x: 50, y: 52.2, width: 400, height: 1.5 };
  assert.equal(textsOnRules([label], [through]).length, 1);
  assert.equal(textsOnRules([label], [along]).length, 1);
  assert.deepEqual(textsOnRules([label], [above, below]), []);
  // a vertical error bar through a label, and one beside it
  assert.equal(textsOnRules([label], [{ x: 110, y: 0, width: 1.5, height: 100 }]).length, 1);
  assert.deepEqual(textsOnRules([label], [{ x: 125, y: 0, width: 1.5, height: 100 }]), []);
  // a horizontal line that ends before the label starts
  assert.deepEqual(textsOnRules([label], [{ x: 0, y: 46, width: 99, height: 1 }]), []);
});

test('axis labels packed edge to edge are caught; spaced ones and stacked ones are not', () => {
  const row = (xs: number[]) => xs.map((x, k) => text(`0.0${k}`, x, 300, 26, 13, 'axis-label'));
  // "0.000.020.04": 1.5 px between labels (no overlap, but unreadable)
  assert.equal(crowdedAxisLabels(row([100, 127.5, 155])).length, 2);
  assert.deepEqual(crowdedAxisLabels(row([100, 140, 180])), []);
  // y-axis labels stacked 20 px apart, and a mark label next to an axis label, are not axis rows
  assert.deepEqual(crowdedAxisLabels([text('0.1', 50, 100, 20, 13, 'axis-label'), text('0.2', 50, 80, 20, 13, 'axis-label')]), []);
  assert.deepEqual(crowdedAxisLabels([text('1', 50, 100, 10, 13, 'axis-label'), text('x', 61, 100, 10, 13, 'mark')]), []);
});

test('text outside the figure, truncated text and untitled axes are caught', () => {
  const frame = { x: 0, y: 0, width: 300, height: 200 };
  assert.deepEqual(textsOutside([text('in', 10, 10, 50), text('edge', 250, 188.5, 50.5)], frame), []);
  const out = text('lm:gpt2-untrained:layer=4', 280, 180, 80);
  assert.deepEqual(textsOutside([out], frame), [out]);
  const cut = text('lm:gpt2-untrained:lay…', 0, 0, 100, 12, 'axis-label');
  assert.deepEqual(truncatedTexts([cut, text('bow', 0, 20, 20)]), [cut]);
  const layout: FigureLayout = { id: 'f', svg: frame, texts: [], rules: [], axes: [{ orient: 'bottom', title: 'subject' }, { orient: 'left', title: ' ' }] };
  assert.deepEqual(untitledAxes(layout), ['left']);
});

test('layoutProblems lists every problem of a figure, and nothing for a clean one', () => {
  const clean: FigureLayout = {
    id: 'clean', svg: { x: 0, y: 0, width: 560, height: 340 },
    texts: [text('Ω per subject', 10, 10, 120, 16, 'title-text'), text('1', 100, 300, 8, 12, 'axis-label'), text('2', 200, 300, 8, 12, 'axis-label'), text('subject', 130, 320, 40, 14, 'axis-title')],
    rules: [{ x: 60, y: 120, width: 480, height: 1.5 }],
    axes: [{ orient: 'bottom', title: 'subject' }],
  };
  assert.deepEqual(layoutProblems(clean), []);
  const messy: FigureLayout = { ...clean, id: 'messy', texts: [...clean.texts, text('100.0', 95, 115, 30, 12)], axes: [...clean.axes, { orient: 'left', title: '' }] };
  const problems = layoutProblems(messy);
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.match(problems[0], /messy: text "100\.0" .* crossed by a line/);
  assert.match(problems[1], /left axis has no title/);
});
