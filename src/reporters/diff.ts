/** Renders a DiffResult: verdict, findings (worst first, each with path, location and hint), class growth. */
import Table from 'cli-table3';
import type { DiffResult, Finding } from '../analysis/diff.js';
import { KINDS } from '../analysis/kinds.js';
import { addedAtLines, formatBytes, formatCount, formatLocation } from '../format.js';
import { mdCode, mdEscape, mdTable } from './markdown.js';


function byKind(findings: Finding[]): Array<[Finding['kind'], Finding[]]> {
  const groups = new Map<Finding['kind'], Finding[]>();
  for (const f of findings) {
    const list = groups.get(f.kind) ?? [];
    list.push(f);
    groups.set(f.kind, list);
  }
  // worst first: groups by their worst finding's bytes
  return [...groups.entries()].sort((a, b) => b[1][0].newBytes - a[1][0].newBytes);
}

/** `6.3 MB file, 10.8 MB heap`: the file's size and the heap's, labelled (they differ by 1.5-2x) */
function snapshotSizes(s: DiffResult['snapshots'][number]): string {
  return `${formatBytes(s.bytes)} file, ${formatBytes(s.totalSize)} heap`;
}

function findingLines(f: Finding, head: string): string[] {
  const out = [`  ${head} ${f.summary}`];
  if (f.status === 'watch' && f.statusReason) out.push(`     why not a leak: ${f.statusReason}`);
  if (f.pathText) out.push(`     path:     ${f.pathText}`);
  if (f.location) out.push(`     location: ${formatLocation(f.location)}`);
  if (f.owner) out.push(`     owned by: ${formatLocation(f.owner)} (your code; the leak is inside a dependency)`);
  if (f.addedAt) addedAtLines(f.addedAt).forEach((l, k) => out.push(`     ${k === 0 ? 'added at:' : '         '} ${l}`));
  for (const e of f.evidence) out.push(`     also:     ${e}`);
  out.push(`     fix:      ${f.hint}`);
  return out;
}

function steps(values: number[], fmt: (n: number) => string): string {
  return values.map(fmt).join(' → ');
}

/** The verdict in one line (printed when the report itself went to a file). */
export function verdictLine(r: Pick<DiffResult, 'verdict' | 'reason'>): string {
  return `leakscope: ${r.verdict === 'no-leak' ? 'no leak' : r.verdict} — ${r.reason}`;
}

/** embedded: part of a run's or an attach's report, whose own verdict is the one verdict (the diff's is not shown) */
export interface DiffRenderOptions {
  embedded?: boolean;
}

export function diffTable(r: DiffResult, top: number, o: DiffRenderOptions = {}): string {
  const out: string[] = [];
  if (!o.embedded) out.push(`Verdict: ${r.verdict.toUpperCase()} — ${r.reason}`);
  out.push(`${r.snapshots.length} snapshots: ${r.snapshots.map((s) => `${s.file} (${snapshotSizes(s)})`).join(', ')}`);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  out.push('');
  const reported = r.findings.filter((f) => f.status !== 'watch');
  const watch = r.findings.filter((f) => f.status === 'watch');
  if (r.findings.length === 0) out.push('No findings.');
  for (const [kind, list] of byKind(reported)) {
    out.push(`${KINDS[kind].title}`);
    list.forEach((f, i) => out.push(...findingLines(f, `${i + 1}. [${f.severity}]`)));
    out.push('');
  }
  if (watch.length) {
    out.push('Watch (steady growth too small to matter; not a leak verdict)');
    watch.forEach((f, i) => out.push(...findingLines(f, `${i + 1}. [${f.kind}]`)));
    out.push('');
  }
  const growing = r.classes.filter((c) => c.deltaCount > 0).slice(0, top);
  if (growing.length) {
    out.push('Per-class growth (first → last), by bytes');
    const t = new Table({ head: ['Class', 'Count by snapshot', 'Δ count', 'Δ self size', 'Every step'], style: { head: [], border: [] }, wordWrap: true, colWidths: [40, 36, 11, 13, 12] });
    for (const c of growing) {
      t.push([c.name.length > 38 ? `${c.name.slice(0, 37)}…` : c.name, steps(c.countByStep, (n) => formatCount(n)), formatCount(c.deltaCount, true), formatBytes(c.deltaBytes, true), c.monotonic ? 'yes' : '']);
    }
    out.push(t.toString());
  }
  return out.join('\n');
}

export function diffMarkdown(r: DiffResult, top: number, o: DiffRenderOptions = {}): string {
  const out: string[] = [];
  if (!o.embedded) out.push(`# leakscope diff: ${r.verdict}`, '', `**${r.verdict.toUpperCase()}** — ${mdEscape(r.reason)}`, '');
  out.push(mdTable(['#', 'Snapshot', 'File size', 'Heap size', 'Nodes'], r.snapshots.map((s, i) => [String(i + 1), s.file, formatBytes(s.bytes), formatBytes(s.totalSize), formatCount(s.nodes)])));
  for (const w of r.warnings) out.push('', `> warning: ${mdEscape(w)}`);
  const section = (title: string, list: Finding[]) => {
    out.push('', `## ${title}`, '');
    for (const f of list) {
      out.push(`### ${mdEscape(f.name)} (${mdEscape(f.holderClass || f.itemClass)}) — ${f.status === 'watch' ? 'watch' : f.severity}`, '');
      out.push(mdEscape(f.summary), '');
      if (f.status === 'watch' && f.statusReason) out.push(`- why not a leak: ${mdEscape(f.statusReason)}`);
      if (f.pathText) out.push(`- path: ${mdCode(f.pathText)}`);
      if (f.location) out.push(`- location: ${mdCode(formatLocation(f.location))}`);
      if (f.owner) out.push(`- owned by: ${mdCode(formatLocation(f.owner))} (your code; the leak is inside a dependency)`);
      if (f.addedAt) addedAtLines(f.addedAt).forEach((l, k) => out.push(`- ${k === 0 ? 'added at' : 'and'}: ${mdEscape(l)}`));
      for (const e of f.evidence) out.push(`- also: ${mdEscape(e)}`);
      out.push(`- fix: ${mdEscape(f.hint)}`);
    }
  };
  for (const [kind, list] of byKind(r.findings.filter((f) => f.status !== 'watch'))) section(KINDS[kind].title, list);
  const watch = r.findings.filter((f) => f.status === 'watch');
  if (watch.length) section('Watch (steady growth too small to matter)', watch);
  const growing = r.classes.filter((c) => c.deltaCount > 0).slice(0, top);
  if (growing.length) {
    out.push('', '## Per-class growth', '');
    out.push(mdTable(['Class', 'Count by snapshot', 'Δ count', 'Δ self size', 'Every step'], growing.map((c) => [c.name, steps(c.countByStep, (n) => formatCount(n)), formatCount(c.deltaCount, true), formatBytes(c.deltaBytes, true), c.monotonic ? 'yes' : ''])));
  }
  return out.join('\n') + '\n';
}
