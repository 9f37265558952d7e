/** Renders a live capture's report: target, verdict and findings (via the diff reporter), allocation sites, chart. */
import asciichart from 'asciichart';
import type { AllocationSite } from '../analysis/findings/allocations.js';
import { isolateName, type AttachReport, type IsolateReport, type ProcessReport, type UsageSample } from '../contracts/attach.js';
import { diffMarkdown, diffTable, heapRange } from './diff.js';
import { clipEnd, outputWidth, rows, wrap } from './layout.js';
import { headLines } from './terminal.js';
import { formatBytes, formatLocation } from '../common/format.js';
import { mdCulprit, mdEscape, mdTable } from './markdown.js';

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
    out.push(
      `  ${i + 1}. ${s.functionName} ${formatLocation(s)}  ${s.bytesByStep.map((b) => formatBytes(b)).join(' → ')} (${formatBytes(s.deltaBytes, true)})`,
    );
    if (s.stack.length) out.push(`     called from ${s.stack.join(' ← ')}`);
  });
  return out;
}

function processLine(p: ProcessReport): string {
  const who = p.target.pid !== null ? `pid ${p.target.pid}${p.target.command ? ` (${p.target.command})` : ''}` : p.target.inspector;
  const workers = p.isolates.filter((i) => i.thread.kind === 'worker').length;
  return `Target: ${who}, inspector ${p.target.inspector}${p.target.openedByUs ? ' (opened by leakscope, closed again)' : ''}${workers ? `, ${workers} worker thread${workers === 1 ? '' : 's'}` : ''}`;
}

/** The target in a row: `pid 4242, inspector 127.0.0.1:9229 opened by leakscope and closed again` (the command with --verbose). */
function targetText(p: ProcessReport, verbose: boolean): string {
  const who = p.target.pid !== null ? `pid ${p.target.pid}${verbose && p.target.command ? ` (${p.target.command})` : ''}` : '';
  const inspector = `inspector ${p.target.inspector}${p.target.openedByUs ? (p.detach.inspectorClosed === false ? ' opened by leakscope, NOT closed' : ' opened by leakscope and closed again') : ' left open, as found'}`;
  const workers = p.isolates.filter((i) => i.thread.kind === 'worker').length;
  return [who, inspector, workers ? `${workers} worker thread${workers === 1 ? '' : 's'}` : ''].filter(Boolean).join(', ');
}

/** What the reader must not miss about a process: other clients, an exposed inspector, errors, detach warnings. */
function processNotes(p: ProcessReport): string[] {
  const out: string[] = [];
  if (p.target.otherClients > 0)
    out.push(
      `note: ${p.target.otherClients} other inspector client${p.target.otherClients === 1 ? ' is' : 's are'} ` +
        `connected to this process (DevTools, an IDE…): they see the pauses of the snapshots too; its inspector ` +
        `stays open, as found`,
    );
  if (p.target.exposed)
    out.push(
      `warning: its inspector listens on every interface (${p.target.inspector.replace(/^127\.0\.0\.1/, '0.0.0.0')}): ` +
        `anyone who can reach that port can run code in the process; start it with --inspect=127.0.0.1 (leakscope ` +
        `leaves it as found)`,
    );
  if (p.error) out.push(`error: ${p.error}`);
  for (const e of p.detach.errors) out.push(`warning: ${e}`);
  return out;
}

/** A worker's life during the capture: "started during the watch: …", "exited during the run, 4 s in, …". */
export function lifecycleNotes(
  i: { firstRound: number; exited: { t: number; afterSnapshots: number } | null },
  during: 'watch' | 'run',
): string[] {
  const out: string[] = [];
  if (i.firstRound > 1) out.push(`started during the ${during}: first snapshot in round ${i.firstRound}`);
  if (i.exited)
    out.push(
      `exited during the ${during}, ${Math.round(i.exited.t / 1000)} s in, after ${i.exited.afterSnapshots} snapshot${i.exited.afterSnapshots === 1 ? '' : 's'} (reported, not an error)`,
    );
  return out;
}

function isolateTable(i: IsolateReport, top: number, o: { several: boolean; verbose: boolean; width: number }): string[] {
  const out: string[] = [];
  if (o.several) out.push(...wrap(i.reason, o.width, `${i.verdict.toUpperCase()}  `, 2));
  const diff = i.diff ? diffTable(i.diff, top, { embedded: true, verbose: o.verbose, width: o.width }) : '';
  if (diff) out.push(diff);
  if (o.verbose) {
    const sites = sitesLines(i.allocationSites);
    if (sites.length) out.push('', ...sites.flatMap((l) => wrap(l, o.width, '', 5)));
    const chart = heapChart(i.usage, 8, i.thread.kind === 'main' ? 'Heap used' : `Heap used by ${i.label}`);
    if (chart) out.push('', chart);
  }
  // several isolates: each its own memory line; one: the memory is a row of the evidence at the end
  if (o.several && i.memory) out.push('', ...wrap(i.memory.text, o.width, 'memory  ', 8));
  return out;
}

/**
 * The terminal report: the verdict with the culprit's place, one block per finding, then the evidence in rows
 * (memory, target, growth trace, where the report and the snapshots are). Several processes or isolates get a
 * section each.
 */
export function attachTable(r: AttachReport, top: number, o: { verbose?: boolean; width?: number } = {}): string {
  const width = o.width ?? outputWidth();
  const verbose = o.verbose === true;
  const single = r.processes.length === 1;
  const several = !single || r.processes.some((p) => p.isolates.length > 1);
  const all = r.processes.flatMap((p) => p.isolates.flatMap((i) => i.diff?.findings ?? []));
  const out: string[] = [...headLines(r.verdict, r.reason, all, width)];
  for (const p of r.processes) {
    if (!single) out.push('', ...wrap(processLine(p), width, '', 2));
    for (const n of processNotes(p)) out.push(...wrap(n, width, '', 2));
    for (const i of p.isolates) {
      if (several) out.push('', `── ${isolateName(p, i, r.processes.length > 1)} ──`, ...lifecycleNotes(i, 'watch'));
      out.push(...isolateTable(i, top, { several, verbose, width }));
    }
    if (!single && p.growthTrace) out.push(...wrap(p.growthTrace.text, width, 'trace  ', 7));
  }
  const files = r.processes.reduce((a, p) => a + p.isolates.reduce((b, i) => b + i.snapshots.length, 0), 0);
  const only = single ? r.processes[0] : undefined;
  const main = only && !several ? only.isolates[0] : undefined;
  out.push(
    '',
    ...rows(
      [
        ['memory', main?.memory?.text ?? ''],
        ['target', only ? targetText(only, verbose) : ''],
        ['trace', only?.growthTrace?.text ?? ''],
        ['report', r.reportFile ?? ''],
        ['snapshots', files ? `${files} in ${r.plan.outDir}${heapRange(main?.diff)}` : ''],
      ],
      width,
    ),
  );
  if (!verbose) out.push(clipEnd('More: --verbose, the HTML report, or --json', width));
  return out.join('\n').trimEnd();
}

export function attachMarkdown(r: AttachReport, top: number): string {
  const several = r.processes.length > 1 || r.processes.some((p) => p.isolates.length > 1);
  const out: string[] = [];
  const culprit = mdCulprit(
    r.verdict,
    r.processes.flatMap((p) => p.isolates.flatMap((i) => i.diff?.findings ?? [])),
  );
  out.push(
    `# leakscope attach: ${r.verdict}`,
    '',
    `**${r.verdict.toUpperCase()}** — ${mdEscape(r.reason)}`,
    '',
    ...(culprit ? [culprit, ''] : []),
  );
  for (const p of r.processes) {
    out.push(`${mdEscape(processLine(p))}  `, ...processNotes(p).map((l) => `${mdEscape(l)}  `), '');
    for (const i of p.isolates) {
      if (several)
        out.push(
          `## ${mdEscape(isolateName(p, i, r.processes.length > 1))}`,
          '',
          ...lifecycleNotes(i, 'watch').map((l) => `${mdEscape(l)}  `),
          '',
        );
      if (several) out.push(`**${i.verdict.toUpperCase()}** — ${mdEscape(i.reason)}`, '');
      if (i.diff) out.push(diffMarkdown(i.diff, top, { embedded: true }));
      if (i.allocationSites.length) {
        out.push('### Allocation sites whose live memory grew', '');
        out.push(
          mdTable(
            ['Function', 'Location', 'Live bytes by window', 'Growth'],
            i.allocationSites.map((s) => [
              s.functionName,
              formatLocation(s),
              s.bytesByStep.map((b) => formatBytes(b)).join(' → '),
              formatBytes(s.deltaBytes, true),
            ]),
          ),
        );
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
  return d.inspectorClosed === true
    ? 'detached, and the inspector leakscope opened is closed'
    : `detached; the inspector may still be open (${d.errors.join('; ')})`;
}
