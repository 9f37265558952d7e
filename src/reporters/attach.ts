/** Renders a live capture's report: target, verdict and findings (via the diff reporter), allocation sites, chart. */
import asciichart from 'asciichart';
import type { AllocationSite } from '../analysis/allocations.js';
import type { AttachReport } from '../reports/attach.js';
import { diffMarkdown, diffTable } from './diff.js';
import { formatBytes } from '../format.js';
import { mdTable } from './markdown.js';

/** A small live chart of heap used (MB), for the live view on stderr. */
export function liveHeapChart(valuesMB: number[]): string {
  return `Heap used (MB)\n${asciichart.plot(valuesMB, { height: 6, format: (x: number) => x.toFixed(1).padStart(8) })}`;
}

export function heapChart(usage: AttachReport['usage'], height = 8): string {
  if (usage.length < 2) return '';
  const width = 60;
  const step = Math.max(1, Math.ceil(usage.length / width));
  const series = usage.filter((_, i) => i % step === 0).map((u) => u.used / 1e6);
  const seconds = Math.round(usage[usage.length - 1].t / 1000);
  return `Heap used (MB) over ${seconds} s\n${asciichart.plot(series, { height, format: (x: number) => x.toFixed(1).padStart(8) })}`;
}

function sitesLines(sites: AllocationSite[]): string[] {
  if (sites.length === 0) return [];
  const out = ['Allocation sites whose live memory grew (sampling heap profiler, first → last window)'];
  sites.forEach((s, i) => {
    out.push(`  ${i + 1}. ${s.functionName} ${s.file}:${s.line}:${s.column}  ${s.bytesByStep.map((b) => formatBytes(b)).join(' → ')} (${formatBytes(s.deltaBytes, true)})`);
    if (s.stack.length) out.push(`     called from ${s.stack.join(' ← ')}`);
  });
  return out;
}

function header(r: AttachReport): string[] {
  const who = r.target.pid !== null ? `pid ${r.target.pid}${r.target.command ? ` (${r.target.command})` : ''}` : r.target.inspector;
  const lines = [`Target: ${who}, inspector ${r.target.inspector}${r.target.openedByUs ? ' (opened by leakscope, closed again)' : ''}`];
  lines.push(`Captured ${r.snapshots.length} snapshot${r.snapshots.length === 1 ? '' : 's'} into ${r.plan.outDir}${r.interrupted ? ' (interrupted)' : ''}`);
  return lines;
}

export function attachTable(r: AttachReport, top: number): string {
  const out = header(r);
  out.push('');
  if (r.diff) out.push(diffTable(r.diff, top));
  else out.push(`Verdict: ${r.verdict.toUpperCase()} — ${r.reason}`);
  const sites = sitesLines(r.allocationSites);
  if (sites.length) out.push('', ...sites);
  const chart = heapChart(r.usage);
  if (chart) out.push('', chart);
  for (const e of r.detach.errors) out.push(`warning: ${e}`);
  return out.join('\n');
}

export function attachMarkdown(r: AttachReport, top: number): string {
  const out = header(r).map((l) => `${l}  `);
  out.push('');
  out.push(r.diff ? diffMarkdown(r.diff, top) : `**${r.verdict.toUpperCase()}** — ${r.reason}\n`);
  if (r.allocationSites.length) {
    out.push('## Allocation sites whose live memory grew', '');
    out.push(mdTable(['Function', 'Location', 'Live bytes by window', 'Growth'], r.allocationSites.map((s) => [s.functionName, `${s.file}:${s.line}:${s.column}`, s.bytesByStep.map((b) => formatBytes(b)).join(' → '), formatBytes(s.deltaBytes, true)])));
  }
  const chart = heapChart(r.usage);
  if (chart) out.push('', '```', chart, '```');
  return out.join('\n') + '\n';
}

/** "detached, the inspector we opened is closed" */
export function detachText(d: { inspectorClosed: boolean | null; errors: string[] }, openedByUs: boolean): string {
  if (!openedByUs) return 'detached (its own inspector stays open, as found)';
  return d.inspectorClosed === true ? 'detached, and the inspector leakscope opened is closed' : `detached; the inspector may still be open (${d.errors.join('; ')})`;
}
