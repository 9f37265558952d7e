/** Renders a live capture's report: target, verdict and findings (via the diff reporter), allocation sites, chart. */
import asciichart from 'asciichart';
import type { AllocationSite } from '../analysis/allocations.js';
import { isolateName, type AttachReport, type IsolateReport, type ProcessReport, type UsageSample } from '../reports/attach.js';
import { diffMarkdown, diffTable } from './diff.js';
import { formatBytes, formatLocation } from '../format.js';
import { mdEscape, mdTable } from './markdown.js';

/** A small live chart of heap used (MB), for the live view on stderr. */
export function liveHeapChart(valuesMB: number[]): string {
  return `Heap used (MB)\n${asciichart.plot(valuesMB, { height: 6, format: (x: number) => x.toFixed(1).padStart(8) })}`;
}

export function heapChart(usage: UsageSample[], height = 8, title = 'Heap used'): string {
  if (usage.length < 2) return '';
  const width = 60;
  const step = Math.max(1, Math.ceil(usage.length / width));
  const series = usage.filter((_, i) => i % step === 0).map((u) => u.used / 1e6);
  const seconds = Math.round(usage[usage.length - 1].t / 1000);
  return `${title} (MB) over ${seconds} s\n${asciichart.plot(series, { height, format: (x: number) => x.toFixed(1).padStart(8) })}`;
}

function sitesLines(sites: AllocationSite[]): string[] {
  if (sites.length === 0) return [];
  const out = ['Allocation sites whose live memory grew (sampling heap profiler, first → last window)'];
  sites.forEach((s, i) => {
    out.push(`  ${i + 1}. ${s.functionName} ${formatLocation(s)}  ${s.bytesByStep.map((b) => formatBytes(b)).join(' → ')} (${formatBytes(s.deltaBytes, true)})`);
    if (s.stack.length) out.push(`     called from ${s.stack.join(' ← ')}`);
  });
  return out;
}

function processLine(p: ProcessReport): string {
  const who = p.target.pid !== null ? `pid ${p.target.pid}${p.target.command ? ` (${p.target.command})` : ''}` : p.target.inspector;
  const workers = p.isolates.filter((i) => i.thread.kind === 'worker').length;
  return `Target: ${who}, inspector ${p.target.inspector}${p.target.openedByUs ? ' (opened by leakscope, closed again)' : ''}${workers ? `, ${workers} worker thread${workers === 1 ? '' : 's'}` : ''}`;
}

function processNotes(p: ProcessReport): string[] {
  const out: string[] = [];
  if (p.target.otherClients > 0) out.push(`note: ${p.target.otherClients} other inspector client${p.target.otherClients === 1 ? ' is' : 's are'} connected to this process (DevTools, an IDE…): they see the pauses of the snapshots too; its inspector stays open, as found`);
  if (p.target.exposed) out.push(`warning: its inspector listens on every interface (${p.target.inspector.replace(/^127\.0\.0\.1/, '0.0.0.0')}): anyone who can reach that port can run code in the process; start it with --inspect=127.0.0.1 (leakscope leaves it as found)`);
  if (p.error) out.push(`error: ${p.error}`);
  if (p.growthTrace) out.push(p.growthTrace.text);
  for (const e of p.detach.errors) out.push(`warning: ${e}`);
  return out;
}

/** A worker's life during the capture: "started during the watch: …", "exited during the run, 4 s in, …". */
export function lifecycleNotes(i: { firstRound: number; exited: { t: number; afterSnapshots: number } | null }, during: 'watch' | 'run'): string[] {
  const out: string[] = [];
  if (i.firstRound > 1) out.push(`started during the ${during}: first snapshot in round ${i.firstRound}`);
  if (i.exited) out.push(`exited during the ${during}, ${Math.round(i.exited.t / 1000)} s in, after ${i.exited.afterSnapshots} snapshot${i.exited.afterSnapshots === 1 ? '' : 's'} (reported, not an error)`);
  return out;
}

function isolateTable(i: IsolateReport, top: number): string[] {
  const out: string[] = [];
  out.push(i.diff ? diffTable(i.diff, top) : `Verdict: ${i.verdict.toUpperCase()} — ${i.reason}`);
  const sites = sitesLines(i.allocationSites);
  if (sites.length) out.push('', ...sites);
  const chart = heapChart(i.usage, 8, i.thread.kind === 'main' ? 'Heap used' : `Heap used by ${i.label}`);
  if (chart) out.push('', chart);
  if (i.memory) out.push('', `Memory: ${i.memory.text}`);
  return out;
}

export function attachTable(r: AttachReport, top: number): string {
  const several = r.processes.length > 1 || r.processes.some((p) => p.isolates.length > 1);
  const out: string[] = [];
  if (several) out.push(`Verdict: ${r.verdict.toUpperCase()} — ${r.reason}`, '');
  for (const p of r.processes) {
    out.push(processLine(p));
    const n = Math.max(0, ...p.isolates.map((i) => i.snapshots.length));
    const files = p.isolates.reduce((a, i) => a + i.snapshots.length, 0);
    out.push(`Captured ${files} snapshot${files === 1 ? '' : 's'}${p.isolates.length > 1 ? ` (${n} rounds, ${p.isolates.length} isolates)` : ''} into ${r.plan.outDir}${p.interrupted ? ' (interrupted)' : ''}`);
    out.push(...processNotes(p));
    for (const i of p.isolates) {
      out.push('');
      if (several) out.push(`── ${isolateName(p, i, r.processes.length > 1)} ──`, ...lifecycleNotes(i, 'watch'));
      out.push(...isolateTable(i, top));
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}

export function attachMarkdown(r: AttachReport, top: number): string {
  const several = r.processes.length > 1 || r.processes.some((p) => p.isolates.length > 1);
  const out: string[] = [];
  out.push(`# leakscope attach: ${r.verdict}`, '', `**${r.verdict.toUpperCase()}** — ${mdEscape(r.reason)}`, '');
  for (const p of r.processes) {
    out.push(`${mdEscape(processLine(p))}  `, ...processNotes(p).map((l) => `${mdEscape(l)}  `), '');
    for (const i of p.isolates) {
      if (several) out.push(`## ${mdEscape(isolateName(p, i, r.processes.length > 1))}`, '', ...lifecycleNotes(i, 'watch').map((l) => `${mdEscape(l)}  `), '');
      if (several) out.push(`**${i.verdict.toUpperCase()}** — ${mdEscape(i.reason)}`, '');
      if (i.diff) out.push(diffMarkdown(i.diff, top, { embedded: true }));
      if (i.allocationSites.length) {
        out.push('### Allocation sites whose live memory grew', '');
        out.push(mdTable(['Function', 'Location', 'Live bytes by window', 'Growth'], i.allocationSites.map((s) => [s.functionName, formatLocation(s), s.bytesByStep.map((b) => formatBytes(b)).join(' → '), formatBytes(s.deltaBytes, true)])));
      }
      const chart = heapChart(i.usage);
      if (chart) out.push('', '```', chart, '```', '');
      if (i.memory) out.push(`Memory: ${mdEscape(i.memory.text)}`, '');
    }
  }
  return out.join('\n').trimEnd() + '\n';
}

/** "detached, the inspector we opened is closed" */
export function detachText(d: { inspectorClosed: boolean | null; errors: string[] }, openedByUs: boolean): string {
  if (!openedByUs) return 'detached (its own inspector stays open, as found)';
  return d.inspectorClosed === true ? 'detached, and the inspector leakscope opened is closed' : `detached; the inspector may still be open (${d.errors.join('; ')})`;
}
