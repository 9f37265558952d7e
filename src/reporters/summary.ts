/** Renders a SummaryResult as a terminal table or as Markdown. */
import Table from 'cli-table3';
import type { SummaryResult } from '../analysis/summary.js';
import { formatBytes, formatCount, formatLocation } from '../common/format.js';
import { mdEscape, mdTable } from './markdown.js';

function plainTable(head: string[]): Table.Table {
  return new Table({ head, style: { head: [], border: [] }, wordWrap: true });
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** " (of which 9.9 MB in 240 ArrayBuffers outside the JS heap)", when that is at least a twentieth of it */
function offHeapText(t: SummaryResult['totals']): string {
  return t.offHeapSize >= 0.05 * t.selfSize
    ? ` (of which ${formatBytes(t.offHeapSize)} in ${formatCount(t.offHeapStores)} ArrayBuffers outside the JS heap)`
    : '';
}

export function summaryTable(r: SummaryResult): string {
  const out: string[] = [];
  const t = r.totals;
  out.push(`${r.file}  (${formatBytes(r.bytes)} file, ${r.snapshot.runtime ?? 'runtime unknown'}, layout: ${r.snapshot.layout})`);
  out.push(
    `${formatCount(t.nodes)} nodes, ${formatCount(t.edges)} edges, heap ${formatBytes(t.selfSize)}${offHeapText(t)}, reachable ${formatBytes(t.reachableSize)}` +
      (t.unreachableNodes > 0 ? ` (${formatCount(t.unreachableNodes)} unreachable nodes)` : ''),
  );
  out.push('');
  out.push(`Top ${r.classes.length} classes by retained size`);
  const ct = plainTable(['Class', 'Count', 'Self size', 'Retained size']);
  for (const c of r.classes) ct.push([clip(c.name, 60), formatCount(c.count), formatBytes(c.selfSize), formatBytes(c.retainedSize)]);
  out.push(ct.toString());
  out.push('');
  out.push(`Largest objects by retained size`);
  const lt = new Table({
    head: ['Object', 'Retained', 'Self', 'Retainer path (shortest from GC roots)', 'Location'],
    style: { head: [], border: [] },
    wordWrap: true,
    colWidths: [30, 11, 10, 64, 30],
  });
  for (const o of r.largest) {
    lt.push([
      `${clip(o.className, 40)} @${o.id}`,
      formatBytes(o.retainedSize),
      formatBytes(o.selfSize),
      o.pathText,
      formatLocation(o.location),
    ]);
  }
  out.push(lt.toString());
  for (const w of r.warnings) out.push(`warning: ${w}`);
  return out.join('\n');
}

export function summaryMarkdown(r: SummaryResult): string {
  const t = r.totals;
  const out: string[] = [];
  out.push(`# Heap summary: ${mdEscape(r.file)}`, '');
  out.push(
    `${formatBytes(r.bytes)} file · ${mdEscape(r.snapshot.runtime ?? 'runtime unknown')} · layout: ${mdEscape(r.snapshot.layout)}  `,
    `${formatCount(t.nodes)} nodes · ${formatCount(t.edges)} edges · heap ${formatBytes(t.selfSize)}${offHeapText(t)} · reachable ${formatBytes(t.reachableSize)}`,
    '',
  );
  out.push('## Top classes by retained size', '');
  out.push(
    mdTable(
      ['Class', 'Count', 'Self size', 'Retained size'],
      r.classes.map((c) => [c.name, formatCount(c.count), formatBytes(c.selfSize), formatBytes(c.retainedSize)]),
    ),
  );
  out.push('', '## Largest objects', '');
  out.push(
    mdTable(
      ['Object', 'Retained', 'Self', 'Retainer path', 'Location'],
      r.largest.map((o) => [
        `${o.className} @${o.id}`,
        formatBytes(o.retainedSize),
        formatBytes(o.selfSize),
        o.pathText,
        formatLocation(o.location),
      ]),
    ),
  );
  for (const w of r.warnings) out.push('', `> warning: ${mdEscape(w)}`);
  return out.join('\n') + '\n';
}
