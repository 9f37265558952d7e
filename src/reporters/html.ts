/**
 * `--format html`: one self-contained page (inline CSS, inline SVG, a few lines of inline script to sort tables) for
 * `diff`, `attach` and `run`. No external request of any kind: the page's Content-Security-Policy forbids them, so
 * it is safe to open from a CI artifact. Every string is escaped once, by `esc`; callers pass reports that went
 * through printableDeep (control characters already visible as \xNN), so a class name from a hostile heap can
 * neither break the markup nor hide in it. Light and dark mode follow the reader's system setting.
 */
import { culpritOf } from '../analysis/findings/verdict.js';
import { findingName } from './terminal.js';
import type { DiffResult } from '../analysis/diff/diff.js';
import type { Finding } from '../analysis/findings/findings.js';
import type { AllocationSite } from '../analysis/findings/allocations.js';
import { KINDS } from '../analysis/findings/kinds.js';
import { addedAtLines, formatBytes, formatCount, formatLocation, threadLabel } from '../common/format.js';
import type { AttachReport, UsageSample } from '../contracts/attach.js';
import type { RunReport } from '../contracts/run.js';

/** The one escape function: text and attribute values alike. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const CSS = `
:root{--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--card:#f6f8fa;--leak:#cf222e;--ok:#1a7f37;--warn:#9a6700;--c1:#0969da;--c2:#8250df;--c3:#bc4c00;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#8d96a0;--line:#30363d;--card:#161b22;--leak:#ff7b72;--ok:#3fb950;--warn:#d29922;--c1:#58a6ff;--c2:#bc8cff;--c3:#f0883e}}
*{box-sizing:border-box}body{margin:0;padding:24px;font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg);max-width:1100px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:0}
code,.mono{font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.verdict{border-left:6px solid var(--muted);background:var(--card);padding:12px 16px;margin:12px 0;border-radius:4px}
.verdict.leak{border-color:var(--leak)}.verdict.no-leak{border-color:var(--ok)}.verdict.inconclusive{border-color:var(--warn)}
.verdict .word{font-weight:700;letter-spacing:.04em}.culprit{margin-top:8px;font-size:1.05em}details.watch{margin:12px 0}details.watch>summary{cursor:pointer}.leak .word{color:var(--leak)}.no-leak .word{color:var(--ok)}.inconclusive .word{color:var(--warn)}
.muted{color:var(--muted)}.card{border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:10px 0;background:var(--bg)}
.card header{display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}.tag{font-size:12px;border:1px solid var(--line);border-radius:10px;padding:0 8px;color:var(--muted)}
.tag.leak{color:var(--leak);border-color:var(--leak)}dl{display:grid;grid-template-columns:110px 1fr;gap:4px 12px;margin:8px 0 0}dt{color:var(--muted)}dd{margin:0;min-width:0}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}th[data-sort]{cursor:pointer;user-select:none}th[data-sort]:after{content:" ↕";color:var(--muted)}
svg text{fill:var(--muted);font:11px system-ui,sans-serif}.chart .grid{stroke:var(--line)}.chart .snap{stroke:var(--muted);stroke-dasharray:3 3}
.s1{stroke:var(--c1)}.s2{stroke:var(--c2)}.s3{stroke:var(--c3)}.legend span{margin-right:14px}.legend i{display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:5px}
details summary{cursor:pointer;color:var(--muted)}ol.path{margin:6px 0;padding-left:22px}footer{margin-top:32px;color:var(--muted);font-size:12px}
`;

// sorts a table by the clicked column: numbers by their data-v, text otherwise; a second click reverses
const SCRIPT =
  `document.querySelectorAll('th[data-sort]').forEach(function(th){th.addEventListener('click',function(){var ` +
  `t=th.closest('table'),b=t.tBodies[0],i=Array.prototype.indexOf.call(th.parentNode.children,th),d=th.dataset.dir==='asc'?'desc':'asc';th.dataset.dir=d;var ` +
  `rows=Array.prototype.slice.call(b.rows);rows.sort(function(x,y){var ` +
  `a=x.cells[i],c=y.cells[i],p=a.dataset.v,q=c.dataset.v,r=p!==undefined&&q!==undefined?Number(p)-Number(q):a.textContent.localeCompare(c.textContent);return ` +
  `d==='asc'?r:-r});rows.forEach(function(r){b.appendChild(r)})})});`;

/** The culprit under the verdict, above the fold: its place (what a reader opens) and its name. */
function culpritLine(verdict: string, findings: Finding[]): string {
  const c = verdict === 'leak' ? culpritOf(findings) : null;
  if (!c) return '';
  const loc =
    c.kind === 'listener' || c.kind === 'timer' || c.kind === 'closure' ? (c.location ?? c.declaration) : (c.declaration ?? c.location);
  const added = c.addedAt?.sites[0];
  return `<div class="culprit"><code>${esc(loc ? formatLocation(loc) : '')}</code> <strong>${esc(findingName(c))}</strong>${added ? `<br><span class="muted">added at</span> <code>${esc(formatLocation(added))}</code>${added.text ? ` <code>${esc(added.text)}</code>` : ''}` : ''}</div>`;
}

function page(o: {
  title: string;
  heading: string;
  verdict: string;
  reason: string;
  body: string;
  generator: string;
  findings?: Finding[];
}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(o.title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(o.heading)}</h1>
<div class="verdict ${esc(o.verdict)}" id="verdict"><span class="word">${esc(o.verdict === 'no-leak' ? 'NO LEAK' : o.verdict.toUpperCase())}</span> — ${esc(o.reason)}${culpritLine(o.verdict, o.findings ?? [])}</div>
${o.body}
<footer>${esc(o.generator)} · this page makes no network request</footer>
<script>${SCRIPT}</script>
</body></html>
`;
}

// ---- charts ----

interface Series {
  name: string;
  cls: 's1' | 's2' | 's3';
  points: Array<[number, number]>;
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v) as number;
}

/** A line chart (MB over seconds, or over snapshots) with the snapshot moments marked. */
function lineChart(o: {
  title: string;
  series: Series[];
  marks: number[];
  xLabel: (x: number) => string;
  xTicks?: number[];
  height?: number;
}): string {
  const series = o.series.filter((s) => s.points.length > 0);
  if (series.length === 0) return '';
  const W = 720;
  const H = o.height ?? 220;
  const L = 56;
  const R = 12;
  const T = 12;
  const B = 28;
  const xs = series.flatMap((s) => s.points.map((p) => p[0])).concat(o.marks);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  const yMax = niceMax(Math.max(...series.flatMap((s) => s.points.map((p) => p[1]))));
  const X = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const Y = (y: number) => T + (1 - y / yMax) * (H - T - B);
  const parts: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const y = (yMax * k) / 4;
    parts.push(
      `<line class="grid" x1="${L}" x2="${W - R}" y1="${Y(y).toFixed(1)}" y2="${Y(y).toFixed(1)}"/><text x="${L - 6}" y="${(Y(y) + 4).toFixed(1)}" text-anchor="end">${esc(formatBytes(y))}</text>`,
    );
  }
  const ticks = o.xTicks ?? [x0, (x0 + x1) / 2, x1];
  for (const x of ticks) parts.push(`<text x="${X(x).toFixed(1)}" y="${H - 8}" text-anchor="middle">${esc(o.xLabel(x))}</text>`);
  o.marks.forEach((m, k) =>
    parts.push(
      `<line class="snap" x1="${X(m).toFixed(1)}" x2="${X(m).toFixed(1)}" y1="${T}" y2="${H - B}"><title>snapshot ` +
        `${k + 1}</title></line><text x="${(X(m) > W - R - 24 ? X(m) - 3 : X(m) + 3).toFixed(1)}" y="${T + 10}" ` +
        `text-anchor="${X(m) > W - R - 24 ? 'end' : 'start'}">S${k + 1}</text>`,
    ),
  );
  for (const s of series) {
    const pts = s.points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
    parts.push(`<polyline class="${s.cls}" fill="none" stroke-width="2" points="${pts}"><title>${esc(s.name)}</title></polyline>`);
    if (s.points.length <= 12)
      for (const [x, y] of s.points)
        parts.push(`<circle class="${s.cls}" cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="var(--bg)" stroke-width="2"/>`);
  }
  const legend = series.map((s) => `<span><i style="background:var(--c${s.cls.slice(1)})"></i>${esc(s.name)}</span>`).join('');
  return `<figure class="chart" style="margin:8px 0"><figcaption class="muted">${esc(o.title)}</figcaption><svg role="img" aria-label="${esc(o.title)}" viewBox="0 0 ${W} ${H}" width="100%" preserveAspectRatio="xMidYMid meet">${parts.join('')}</svg><div class="legend muted">${legend}</div></figure>`;
}

/**
 * The memory charts of a live capture: the JS heap used (and external memory: Buffers, …) on one, RSS on its own
 * (it is often ten times the heap and would flatten it); the snapshots marked on both.
 */
function usageChart(title: string, usage: UsageSample[], snapshotT: number[]): string {
  if (usage.length < 2) return '';
  const t0 = usage[0].t;
  const pick = (f: (u: UsageSample) => number | undefined) =>
    usage.flatMap((u): Array<[number, number]> => (typeof f(u) === 'number' ? [[(u.t - t0) / 1000, f(u) as number]] : []));
  const external = pick((u) => u.external);
  const rss = pick((u) => (u.rss > 0 ? u.rss : undefined));
  const marks = snapshotT.map((t) => (t - t0) / 1000);
  const xLabel = (x: number) => `${Math.round(x)} s`;
  const heap = lineChart({
    title,
    series: [
      { name: 'heap used', cls: 's1', points: pick((u) => u.used) },
      ...(external.some((p) => p[1] > 0) ? [{ name: 'external (Buffers, …)', cls: 's2' as const, points: external }] : []),
    ],
    marks,
    xLabel,
  });
  return rss.length
    ? heap +
        lineChart({
          title: 'Resident set size (the whole process)',
          series: [{ name: 'RSS', cls: 's3', points: rss }],
          marks,
          xLabel,
          height: 150,
        })
    : heap;
}

/** A small inline sparkline of a finding's counts per snapshot. */
function sparkline(values: number[]): string {
  if (values.length < 2) return '';
  const W = 90;
  const H = 22;
  const max = Math.max(...values);
  const min = Math.min(...values);
  const pts = values
    .map(
      (v, k) => `${((k / (values.length - 1)) * (W - 4) + 2).toFixed(1)},${(H - 3 - ((v - min) / (max - min || 1)) * (H - 6)).toFixed(1)}`,
    )
    .join(' ');
  return `<svg class="spark" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" aria-hidden="true"><polyline class="s1" fill="none" stroke-width="2" points="${pts}"/></svg>`;
}

// ---- findings and tables ----

function findingCard(f: Finding, n: number): string {
  const rows: Array<[string, string]> = [];
  rows.push([
    'counts',
    `${sparkline(f.countByStep)} <span class="mono">${esc(f.countByStep.map((c) => formatCount(c)).join(' → '))}</span>`,
  ]);
  rows.push([
    'retains',
    `${esc(formatBytes(f.newBytes))} new${f.bytesByStep.length ? ` <span class="muted">(${esc(f.bytesByStep.map((b) => formatBytes(b)).join(' → '))})</span>` : ''}`,
  ]);
  if (f.location) rows.push(['declared at', `<code>${esc(formatLocation(f.location))}</code>`]);
  if (f.owner)
    rows.push([
      'owned by',
      `<code>${esc(formatLocation(f.owner))}</code> <span class="muted">(your code; the leak is inside a dependency)</span>`,
    ]);
  if (f.addedAt)
    rows.push([
      'added at',
      addedAtLines(f.addedAt)
        .map((l) => `<div><code>${esc(l)}</code></div>`)
        .join(''),
    ]);
  if (f.pathText) {
    const whole = f.retainerPath.length
      ? `<details><summary>the whole path (${f.retainerPath.length} steps)</summary><ol class="path">${f.retainerPath.map((s) => `<li><code>${esc(s)}</code></li>`).join('')}</ol></details>`
      : '';
    rows.push(['held by', `<code>${esc(f.pathText)}</code>${whole}`]);
  }
  if (f.status === 'watch' && f.statusReason) rows.push(['not a leak', esc(f.statusReason)]);
  for (const e of f.evidence) rows.push(['also', esc(e)]);
  rows.push(['fix', esc(f.hint)]);
  return `<article class="card finding" data-kind="${esc(f.kind)}"><header><h3>${n}. <span class="name">${esc(f.name)}</span> <span class="muted">(${esc(f.holderClass)}${f.itemClass ? ` of ${esc(f.itemClass)}` : ''})</span></h3><span class="tag ${f.status === 'leak' ? 'leak' : ''}">${esc(KINDS[f.kind].title)}</span><span class="tag">${esc(f.status)} · ${esc(f.severity)}</span></header><p class="muted" style="margin:6px 0 0">${esc(f.summary)}</p><dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl></article>`;
}

function findingsSection(r: DiffResult): string {
  const reported = r.findings.filter((f) => f.status !== 'watch');
  const watch = r.findings.filter((f) => f.status === 'watch');
  const out = [`<h2>Findings</h2>`];
  if (r.findings.length === 0) out.push('<p class="muted">No finding: no single holder grew at every snapshot above the thresholds.</p>');
  reported.forEach((f, k) => out.push(findingCard(f, k + 1)));
  if (watch.length) {
    out.push(
      `<details class="watch"><summary><strong>Watch: ${watch.length} item${watch.length === 1 ? '' : 's'}</strong> ` +
        `<span class="muted">— steady growth too small to matter; not a leak verdict</span></summary>`,
    );
    watch.forEach((f, k) => out.push(findingCard(f, k + 1)));
    out.push('</details>');
  }
  return out.join('\n');
}

function classTable(r: DiffResult, top: number): string {
  const growing = r.classes.filter((c) => c.deltaCount > 0).slice(0, top);
  if (growing.length === 0) return '';
  const rows = growing.map(
    (c) =>
      `<tr><td><code>${esc(c.name)}</code></td><td class="mono">${esc(c.countByStep.map((n) => formatCount(n)).join(' → '))}</td><td ` +
      `class="n" data-v="${c.deltaCount}">${esc(formatCount(c.deltaCount, true))}</td><td class="n" data-v="${c.deltaBytes}">${esc(formatBytes(c.deltaBytes, true))}</td><td ` +
      `data-v="${c.monotonic ? 1 : 0}">${c.monotonic ? 'yes' : ''}</td></tr>`,
  );
  return `<h2>Per-class growth</h2><p class="muted">First → last snapshot; click a column to sort.</p><table class="sortable" id="classes"><thead><tr><th data-sort>Class</th><th>Count by snapshot</th><th class="n" data-sort>Δ count</th><th class="n" data-sort>Δ self size</th><th data-sort>Every step</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function sitesTable(sites: AllocationSite[]): string {
  if (sites.length === 0) return '';
  const max = Math.max(...sites.map((s) => Math.abs(s.deltaBytes)), 1);
  const rows = sites.map(
    (s) =>
      `<tr><td><code>${esc(s.functionName)}</code></td><td><code>${esc(formatLocation(s))}</code></td><td class="mono">${esc(s.bytesByStep.map((b) => formatBytes(b)).join(' → '))}</td><td ` +
      `class="n" data-v="${s.deltaBytes}"><svg width="80" height="10" aria-hidden="true"><rect class="s1" x="0" ` +
      `y="1" height="8" width="${Math.max(1, (Math.abs(s.deltaBytes) / max) * 80).toFixed(1)}" style="fill:var(--c1)"/></svg> ` +
      `${esc(formatBytes(s.deltaBytes, true))}</td></tr>`,
  );
  return `<h2>Allocation sites whose live memory grew</h2><p class="muted">Sampling heap profiler, first → last window.</p><table class="sortable" id="sites"><thead><tr><th data-sort>Function</th><th data-sort>Location</th><th>Live bytes by window</th><th class="n" data-sort>Growth</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function diffBody(r: DiffResult, top: number, usage?: { title: string; usage: UsageSample[]; snapshotT: number[] }): string {
  const chart =
    usage && usage.usage.length >= 2
      ? usageChart(usage.title, usage.usage, usage.snapshotT)
      : lineChart({
          title: 'Heap size per snapshot',
          series: [{ name: 'heap (snapshot total)', cls: 's1', points: r.snapshots.map((s, k) => [k + 1, s.totalSize]) }],
          marks: [],
          xLabel: (x) => `S${Math.round(x)}`,
          xTicks: r.snapshots.map((_, k) => k + 1),
        });
  const files = `<details><summary>${r.snapshots.length} snapshots</summary><ol>${r.snapshots.map((s) => `<li><code>${esc(s.file)}</code> <span class="muted">(${esc(formatBytes(s.bytes))} file, ${esc(formatBytes(s.totalSize))} heap)</span></li>`).join('')}</ol></details>`;
  const warnings = r.warnings.map((w) => `<p class="muted">warning: ${esc(w)}</p>`).join('');
  // the findings first (the culprit, where, what to do), then the evidence
  return [findingsSection(r), chart, files, warnings, classTable(r, top)].join('\n');
}

// ---- the three reports ----

export function diffHtml(r: DiffResult, top: number, version: string): string {
  return page({
    title: `leakscope diff: ${r.verdict}`,
    heading: 'leakscope diff',
    verdict: r.verdict,
    reason: r.reason,
    body: diffBody(r, top),
    generator: `leakscope ${version}`,
    findings: r.findings,
  });
}

export function attachHtml(r: AttachReport, top: number, version: string): string {
  const body: string[] = [];
  for (const p of r.processes) {
    const who = p.target.pid !== null ? `pid ${p.target.pid}${p.target.command ? ` (${p.target.command})` : ''}` : p.target.inspector;
    if (r.processes.length > 1) body.push(`<h2>${esc(who)}</h2>`);
    else body.push(`<p class="muted">Target: <code>${esc(who)}</code></p>`);
    if (p.error) body.push(`<p class="verdict inconclusive">${esc(p.error)}</p>`);
    if (p.growthTrace) body.push(`<p class="muted">${esc(p.growthTrace.text)}</p>`);
    for (const i of p.isolates) {
      if (p.isolates.length > 1) body.push(`<h2>${esc(i.label)}: ${esc(i.verdict)}</h2><p>${esc(i.reason)}</p>`);
      if (i.memory) body.push(`<p class="muted">Memory: ${esc(i.memory.text)}</p>`);
      if (i.diff)
        body.push(diffBody(i.diff, top, { title: `Memory of ${i.label} over the watch`, usage: i.usage, snapshotT: i.snapshotT }));
      else body.push(usageChart(`Memory of ${i.label}`, i.usage, i.snapshotT));
      body.push(sitesTable(i.allocationSites));
    }
  }
  return page({
    title: `leakscope attach: ${r.verdict}`,
    heading: 'leakscope attach',
    verdict: r.verdict,
    reason: r.reason,
    body: body.join('\n'),
    generator: `leakscope ${version}`,
    findings: r.processes.flatMap((p) => p.isolates.flatMap((i) => i.diff?.findings ?? [])),
  });
}

export function runHtml(r: RunReport, top: number, version: string): string {
  const body: string[] = [`<p class="muted">Command: <code>${esc(r.command.join(' '))}</code></p>`];
  if (r.trend)
    body.push(
      `<p class="muted">Heap trend (post-GC): ${esc(`${(r.trend.slope / 1e6).toFixed(2)} MB/min (95% CI ${(r.trend.low / 1e6).toFixed(2)} … ${(r.trend.high / 1e6).toFixed(2)})`)}</p>`,
    );
  if (r.memory) body.push(`<p class="muted">Memory: ${esc(r.memory.text)}</p>`);
  if (r.growthTrace) body.push(`<p class="muted">${esc(r.growthTrace.text)}</p>`);
  if (r.error) body.push(`<p class="verdict inconclusive">${esc(r.error)}</p>`);
  if (r.diff) body.push(diffBody(r.diff, top, { title: 'Memory over the run (after warm-up)', usage: r.usage, snapshotT: r.snapshotT }));
  else body.push(usageChart('Memory over the run', r.usage, r.snapshotT));
  for (const w of r.workers) {
    body.push(`<h2>${esc(threadLabel(w.thread))}: ${esc(w.verdict)}</h2><p>${esc(w.reason)}</p>`);
    if (w.diff) body.push(diffBody(w.diff, top, { title: `Memory of ${w.label}`, usage: w.usage, snapshotT: w.snapshotT }));
  }
  return page({
    title: `leakscope run: ${r.verdict}`,
    heading: 'leakscope run',
    verdict: r.verdict,
    reason: r.reason,
    body: body.join('\n'),
    generator: `leakscope ${version}`,
    findings: r.failing,
  });
}
