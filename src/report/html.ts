/**
 * The self-contained HTML report: one file that opens offline. vega and vega-lite are inlined from
 * node_modules, every figure's rows and Vega-Lite specs are embedded as JSON, and a small page
 * script draws each figure with a vega View (SVG renderer), shows hover tooltips, switches R² / r,
 * and writes what it drew into `#report-status` (a JSON script element, never shown: figures drawn, marks per figure, errors) so that a
 * headless browser can check the page.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Figure, ReportModel, ReportSection, ReportTable } from './figures.js';
import { METRIC_LABEL } from './types.js';

const require = createRequire(import.meta.url);

let libCache: { vega: string; vegaLite: string } | null = null;

/** The browser builds of vega and vega-lite shipped in their npm packages (UMD, minified). */
export function browserLibraries(): { vega: string; vegaLite: string } {
  if (!libCache) {
    const vega = readFileSync(join(dirname(require.resolve('vega')), 'vega.min.js'), 'utf8');
    const vegaLite = readFileSync(join(dirname(require.resolve('vega-lite')), 'vega-lite.min.js'), 'utf8');
    libCache = { vega, vegaLite };
  }
  return libCache;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that is safe inside <script>: no `</script>`, no `<!--`, no line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Inline JS source safe inside <script>. */
function scriptSource(js: string): string {
  return js.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');
}

function tableHtml(t: ReportTable, cls = 'data'): string {
  const head = `<tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = t.rows.map((r, k) => `<tr${t.rowIds ? ` id="${escapeHtml(t.rowIds[k])}"` : ''}>${r.map((v) => `<td>${escapeHtml(v === null ? '–' : String(v))}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${cls}"><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function figureHtml(f: Figure, model: ReportModel): string {
  const sources = f.sources.map((id) => {
    const m = model.manifest.find((e) => e.id === id);
    return m ? `<a href="#m-${escapeHtml(id)}">${escapeHtml(m.file)}</a>` : escapeHtml(id);
  });
  const metrics = Object.keys(f.specs);
  const only = metrics.length === 1 ? ` <span class="only">(${escapeHtml(METRIC_LABEL[metrics[0] as 'r2'])} only)</span>` : '';
  return `<figure class="fig" id="fig-${escapeHtml(f.id)}" data-type="${f.type}">
<div class="chart" data-fig="${escapeHtml(f.id)}" style="width:${f.width}px;height:${f.height}px"></div>
<figcaption>${escapeHtml(f.caption)}${only}<br><span class="src">Numbers from ${sources.join(', ')} · figure ${escapeHtml(f.id)} (${f.type}, ${f.width}×${f.height})</span>
${f.table ? `<details><summary>numbers</summary>${tableHtml(f.table, 'data small')}</details>` : ''}</figcaption>
</figure>`;
}

function sectionHtml(s: ReportSection, model: ReportModel): string {
  const blocks = s.blocks.map((b) => {
    if (b.kind === 'figure') return figureHtml(b.figure, model);
    if (b.kind === 'table') return `<h3>${escapeHtml(b.title)}</h3>${tableHtml(b.table)}`;
    return `<ul class="missing">${b.notes.map((n) => `<li><code>${escapeHtml(n.file)}</code>: ${escapeHtml(n.problem)}</li>`).join('')}</ul>`;
  });
  return `<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>${s.intro ? `<p class="intro">${escapeHtml(s.intro)}</p>` : ''}\n${blocks.join('\n')}</section>`;
}

/** Hex digits of a dataset hash shown in the manifest (the whole hash is the cell's title, shown on hover). */
export const HASH_SHOWN = 12;

/** A dataset hash as a manifest cell: the first HASH_SHOWN hex digits, the full hash in `title`. */
export function hashHtml(hash: string | null): string {
  if (!hash) return '<code>missing</code>';
  const e = escapeHtml(hash);
  return `<code class="hash" title="${e}" data-hash="${e}">${escapeHtml(hash.slice(0, HASH_SHOWN))}</code>`;
}

/** Fixed manifest column widths (a fixed table layout), so that long paths wrap inside their own column. */
const MANIFEST_COLUMNS = '<colgroup><col style="width:11%"><col style="width:15%"><col style="width:6%"><col style="width:13%"><col style="width:9.5em"><col style="width:16%"><col style="width:24%"><col style="width:12%"></colgroup>';

const CSS = `
body{font-family:'DejaVu Sans','Liberation Sans',Arial,Helvetica,sans-serif;margin:0;color:#222;background:#fafafa;font-size:14px;line-height:1.45}
header{background:#1f2d3d;color:#fff;padding:14px 28px;position:sticky;top:0;z-index:5;display:flex;gap:24px;align-items:center;flex-wrap:wrap}
header h1{font-size:19px;margin:0;font-weight:600}
header .where{font-size:12px;color:#c8d3df}
header .toggle{margin-left:auto;font-size:13px}
header .toggle label{margin-left:10px;cursor:pointer}
main{padding:8px 28px 40px;max-width:1500px}
nav ul{columns:2;font-size:13px}
h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:36px;font-size:18px}
h3{font-size:15px;margin:18px 0 6px}
.intro{color:#555}
figure.fig{display:inline-block;vertical-align:top;margin:10px 18px 18px 0;background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:8px}
figure.fig figcaption{max-width:var(--w,720px);font-size:12.5px;color:#444;margin-top:6px}
figure.fig .src{color:#777;font-size:11.5px}
figure.fig .only{color:#a05a00}
figure.fig .failed{color:#b00020;font-weight:600;padding:20px}
table.data{border-collapse:collapse;background:#fff;font-size:12.5px;margin:6px 0 12px}
table.data th,table.data td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
table.data th{background:#f0f0f0;font-weight:600}
table.small{font-size:11.5px}
table.manifest{table-layout:fixed;width:100%;max-width:1440px}
table.manifest td{overflow-wrap:anywhere;word-break:break-word}
table.manifest td code{word-break:break-all;white-space:normal}
table.manifest code.hash{word-break:normal;white-space:nowrap;cursor:help}
.missing-box{background:#fff7e6;border:1px solid #f0c36d;border-radius:6px;padding:8px 16px;margin:16px 0}
.missing-box h2{border:0;margin:4px 0;font-size:16px}
ul.missing li{margin:3px 0}
code{font-size:12px;background:#f1f1f1;padding:0 3px;border-radius:3px}
.ok-box{background:#eef7ee;border:1px solid #9fcf9f;border-radius:6px;padding:8px 16px;margin:16px 0}
#tip{position:fixed;pointer-events:none;background:rgba(255,255,255,.97);border:1px solid #999;border-radius:4px;padding:4px 8px;font-size:12px;box-shadow:0 2px 6px rgba(0,0,0,.2);display:none;z-index:10;max-width:420px}
#tip td{padding:0 6px 0 0}#tip td.k{color:#666}
`;

/** The page script (plain ES2019, runs in any current browser). */
const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var status = { state: 'rendering', metric: 'r2', figures: data.figures.length, rendered: 0, failed: [], marks: {}, errors: [] };
  var views = {};
  var statusEl = document.getElementById('report-status');
  function writeStatus() { statusEl.textContent = JSON.stringify(status); document.documentElement.setAttribute('data-report-state', status.state); }
  window.addEventListener('error', function (e) { status.errors.push(String(e.message || e)); writeStatus(); });
  window.addEventListener('unhandledrejection', function (e) { status.errors.push(String(e.reason && e.reason.message || e.reason)); writeStatus(); });

  var tip = document.getElementById('tip');
  function fmt(v) { return typeof v === 'number' ? (Math.abs(v) >= 1000 || Number.isInteger(v) ? String(v) : v.toPrecision(4)) : String(v); }
  function tooltip(handler, event, item, value) {
    if (value == null || value === '') { tip.style.display = 'none'; return; }
    var html = '<table>';
    if (typeof value === 'object') {
      Object.keys(value).forEach(function (k) {
        html += '<tr><td class="k">' + esc(k) + '</td><td>' + esc(fmt(value[k])) + '</td></tr>';
      });
    } else html += '<tr><td>' + esc(fmt(value)) + '</td></tr>';
    tip.innerHTML = html + '</table>';
    tip.style.display = 'block';
    var x = event.clientX + 14, y = event.clientY + 14;
    var r = tip.getBoundingClientRect();
    if (x + r.width > window.innerWidth - 8) x = event.clientX - r.width - 14;
    if (y + r.height > window.innerHeight - 8) y = event.clientY - r.height - 14;
    tip.style.left = x + 'px'; tip.style.top = y + 'px';
  }
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }

  // Items drawn by the figure's own marks (not axes, legends or titles).
  function countMarks(mark) {
    var c = 0;
    if (!mark) return 0;
    if (mark.marktype === 'group') {
      (mark.items || []).forEach(function (g) { (g.items || []).forEach(function (m) { c += countMarks(m); }); });
    } else if (mark.role === 'mark') c += (mark.items || []).length;
    return c;
  }

  function render(fig, metric) {
    var el = document.querySelector('[data-fig="' + fig.id + '"]');
    var m = fig.specs[metric] ? metric : Object.keys(fig.specs)[0];
    var spec = Object.assign({}, fig.specs[m], { datasets: { values: fig.rows } });
    if (views[fig.id]) { views[fig.id].finalize(); delete views[fig.id]; }
    el.innerHTML = '';
    var vgSpec = vegaLite.compile(spec).spec;
    var view = new vega.View(vega.parse(vgSpec), { renderer: 'svg', container: el, hover: true, logLevel: vega.Warn });
    view.tooltip(tooltip);
    views[fig.id] = view;
    return view.runAsync().then(function () {
      status.marks[fig.id] = countMarks(view.scenegraph().root);
      status.rendered++;
    });
  }

  function renderAll(metric) {
    status.state = 'rendering'; status.metric = metric; status.rendered = 0; status.failed = []; status.marks = {};
    writeStatus();
    var jobs = data.figures.map(function (fig) {
      return Promise.resolve().then(function () { return render(fig, metric); }).catch(function (err) {
        status.failed.push({ id: fig.id, error: String(err && err.message || err) });
        var el = document.querySelector('[data-fig="' + fig.id + '"]');
        if (el) el.innerHTML = '<div class="failed">This figure could not be drawn: ' + esc(err && err.message || err) + '</div>';
      });
    });
    return Promise.all(jobs).then(function () { status.state = 'done'; writeStatus(); });
  }
  window.brainmapReport = { renderAll: renderAll, status: function () { return status; } };

  Array.prototype.forEach.call(document.querySelectorAll('input[name="metric"]'), function (input) {
    input.addEventListener('change', function () { if (input.checked) renderAll(input.value); });
  });
  document.querySelectorAll('figure.fig').forEach(function (f) { var c = f.querySelector('.chart'); f.style.setProperty('--w', c.style.width); });
  renderAll('r2');
})();
`;

/** Renders the report model to one self-contained HTML document. */
export function renderReportHtml(model: ReportModel, opts: { generated?: Date } = {}): string {
  const lib = browserLibraries();
  const generated = (opts.generated ?? new Date()).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  const notes = model.notes;
  const missing = notes.length
    ? `<div class="missing-box" id="missing"><h2>What is missing (${notes.length})</h2><ul class="missing">${notes.map((n) => `<li><code>${escapeHtml(n.file)}</code>: ${escapeHtml(n.problem)}</li>`).join('\n')}</ul></div>`
    : '<div class="ok-box">Every analysis found is complete: nothing is missing.</div>';
  const nav = `<nav><ul>${model.sections.map((s) => `<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a></li>`).join('')}<li><a href="#manifest">Manifest: settings and data hashes</a></li></ul></nav>`;
  const manifest = `<section id="manifest"><h2>Manifest: the exact settings and data behind every number</h2>
<p class="intro">One row per result file. Dataset hash: SHA-256 of the dataset's content (recordings, sample and unit tables, fold design, name), as written by brainmap. File paths are relative to <code>${escapeHtml(model.root)}</code>.</p>
<table class="data manifest">${MANIFEST_COLUMNS}<thead><tr><th>id</th><th>file</th><th>kind</th><th>dataset</th><th>dataset hash</th><th>features</th><th>settings</th><th>units</th></tr></thead><tbody>
${model.manifest.map((m) => `<tr id="m-${escapeHtml(m.id)}"><td>${escapeHtml(m.id)}</td><td><code>${escapeHtml(m.file)}</code></td><td>${m.kind}</td><td>${escapeHtml(m.dataset)}${m.source && m.source !== m.dataset ? `<br><span class="src">${escapeHtml(m.source)}</span>` : ''}</td><td>${hashHtml(m.datasetHash)}</td><td>${escapeHtml(m.features)}${m.split ? ` · ${escapeHtml(m.split)}` : ''}</td><td>${escapeHtml(m.settings)}</td><td>${m.unitsFile ? `<code>${escapeHtml(m.unitsFile)}</code>` : '–'}</td></tr>`).join('\n')}
</tbody></table></section>`;
  const figData = { figures: model.figures.map((f) => ({ id: f.id, type: f.type, specs: f.specs, rows: f.rows })) };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(model.title)}</title>
<style>${CSS}</style></head>
<body>
<header><h1>${escapeHtml(model.title)}</h1><span class="where">${escapeHtml(model.root)} · generated ${escapeHtml(generated)} · ${model.figures.length} figures from ${model.manifest.length} result files</span>
<span class="toggle">score: <label><input type="radio" name="metric" value="r2" checked> R²</label><label><input type="radio" name="metric" value="r"> Pearson r</label></span></header>
<main>
${missing}
${nav}
${model.sections.map((s) => sectionHtml(s, model)).join('\n')}
${manifest}
<p class="intro">Hover over a bar, dot or cell for its values. Drawn with vega and vega-lite (BSD-3-Clause), inlined.</p>
<script type="application/json" id="report-status"></script>
</main>
<div id="tip"></div>
<script>${scriptSource(lib.vega)}</script>
<script>${scriptSource(lib.vegaLite)}</script>
<script type="application/json" id="report-data">${scriptJson(figData)}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
