/** Renders a DiffResult: verdict, findings (worst first, each with path, location and hint), class growth. */
import Table from 'cli-table3';
import type { DiffResult, Finding } from '../analysis/diff/diff.js';
import { KINDS } from '../analysis/findings/kinds.js';
import path from 'node:path';
import { addedAtLines, formatBytes, formatCount, formatLocation } from '../common/format.js';
import { clipEnd, clipMiddle, outputWidth, rows, wrap } from './layout.js';
import { findingsLines, headLines } from './terminal.js';
import { mdCode, mdCulprit, mdEscape, mdTable } from './markdown.js';

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

function steps(values: number[], fmt: (n: number) => string): string {
  return values.map(fmt).join(' → ');
}

/** The verdict in one line (printed when the report itself went to a file). */
export function verdictLine(r: Pick<DiffResult, 'verdict' | 'reason'>): string {
  return `leakscope: ${r.verdict === 'no-leak' ? 'no leak' : r.verdict} — ${r.reason}`;
}

/**
 * embedded: part of a run's or an attach's report, whose own verdict is the one verdict (the diff's is not shown);
 * verbose: every finding in full, the watch items, the evidence and the per-class table; width: the line width
 */
export interface DiffRenderOptions {
  embedded?: boolean;
  verbose?: boolean;
  width?: number;
}

/** The snapshots in a row: `3 in dir (heap 4.88 MB → 5.40 MB)`, or the first and last file when in different folders. */
function snapshotsLine(r: DiffResult, width: number): string[] {
  const s = r.snapshots;
  const first = s[0].file;
  const last = s[s.length - 1].file;
  const dir = path.dirname(first);
  const where = s.every((x) => path.dirname(x.file) === dir) ? `in ${dir}` : `from ${first} to ${last}`;
  return rows([['snapshots', `${s.length} ${where}${heapRange(r)}`]], width);
}

/** `(heap 4.88 MB → 5.40 MB)`: the heap of the first and last snapshot, for a report's snapshots row. */
export function heapRange(r: DiffResult | null | undefined): string {
  const s = r?.snapshots ?? [];
  return s.length >= 2 ? ` (heap ${formatBytes(s[0].totalSize)} → ${formatBytes(s[s.length - 1].totalSize)})` : '';
}

/** The rate window of a diff: from the snapshots' times, when known. */
function windowOf(r: DiffResult): number | null {
  const t = r.snapshots.map((s) => s.takenAt);
  const first = t[0];
  const last = t[t.length - 1];
  return first !== null && first !== undefined && last !== null && last !== undefined && last - first >= 1000 ? last - first : null;
}

export function diffTable(r: DiffResult, top: number, o: DiffRenderOptions = {}): string {
  const width = o.width ?? outputWidth();
  const out: string[] = [];
  if (!o.embedded) out.push(...headLines(r.verdict, r.reason, r.findings, width));
  for (const w of r.warnings) out.push(...wrap(w, width, 'warning: ', 2));
  // a run's or an attach's verdict says the same when nothing was found
  if (r.findings.length === 0 && !o.embedded) out.push('', 'No finding: no holder grew at every snapshot above the thresholds.');
  out.push(...findingsLines(r.findings, width, { top, verbose: o.verbose === true, windowMs: windowOf(r) }));
  if (o.verbose) out.push(...classLines(r, top, width));
  // the evidence last: the snapshots (a run's and an attach's report say where theirs are)
  if (!o.embedded) out.push('', ...snapshotsLine(r, width));
  return out.join('\n');
}

/**
 * The per-class growth (verbose): the program's classes first, then V8's and Node's own; never leakscope's own
 * probes; fitted to the width, no rule between rows.
 */
function classLines(r: DiffResult, top: number, width: number): string[] {
  const growing = r.classes.filter((c) => c.deltaCount > 0 && !isProbeClass(c.name));
  const own = (name: string) => (name.startsWith('(') || name.startsWith('system /') ? 1 : 0);
  const list = [...growing].sort((a, b) => own(a.name) - own(b.name) || b.deltaBytes - a.deltaBytes).slice(0, top);
  if (list.length === 0) return [];
  // five columns and their borders in the width: the counts as wide as they need (within reason), the class the rest
  const cells = list.map((c) => [
    c.name,
    steps(c.countByStep, (n) => formatCount(n)),
    formatCount(c.deltaCount, true),
    formatBytes(c.deltaBytes, true),
    c.monotonic ? 'yes' : '',
  ]);
  const fixed = 10 + 10 + 8;
  const avail = width - 6 - fixed;
  const counts = Math.min(Math.max(12, ...cells.map((c) => c[1].length + 2)), Math.floor(avail * 0.6));
  const cls = Math.max(10, avail - counts);
  const t = new Table({
    head: ['Class', 'By snapshot', 'Δ count', 'Δ bytes', 'Steady'],
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    colWidths: [cls, counts, 10, 10, 8],
  });
  for (const c of cells) t.push([clipEnd(c[0], cls - 2), clipMiddle(c[1], counts - 2), c[2], c[3], c[4]]);
  return ['', "Per-class growth, first → last (the program's classes first)", t.toString()];
}

/** Objects leakscope itself leaves in the target for a moment (the answers of its usage probes). */
function isProbeClass(name: string): boolean {
  return name.startsWith('{rss, heapTotal') || name.startsWith('{total_heap_size') || name.startsWith('{used, total, external');
}

export function diffMarkdown(r: DiffResult, top: number, o: DiffRenderOptions = {}): string {
  const out: string[] = [];
  if (!o.embedded)
    out.push(
      `# leakscope diff: ${r.verdict}`,
      '',
      `**${r.verdict.toUpperCase()}** — ${mdEscape(r.reason)}`,
      '',
      ...(mdCulprit(r.verdict, r.findings) ? [mdCulprit(r.verdict, r.findings), ''] : []),
    );
  out.push(
    mdTable(
      ['#', 'Snapshot', 'File size', 'Heap size', 'Nodes'],
      r.snapshots.map((s, i) => [String(i + 1), s.file, formatBytes(s.bytes), formatBytes(s.totalSize), formatCount(s.nodes)]),
    ),
  );
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
    out.push(
      mdTable(
        ['Class', 'Count by snapshot', 'Δ count', 'Δ self size', 'Every step'],
        growing.map((c) => [
          c.name,
          steps(c.countByStep, (n) => formatCount(n)),
          formatCount(c.deltaCount, true),
          formatBytes(c.deltaBytes, true),
          c.monotonic ? 'yes' : '',
        ]),
      ),
    );
  }
  return out.join('\n') + '\n';
}
