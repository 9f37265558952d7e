/**
 * The render boundary of the live commands: a report's printable copy (printableDeep, made once by the command) in
 * the format asked for.
 */
import type { AttachReport } from '../contracts/attach.js';
import { attachMarkdown, attachTable } from './attach.js';
import { attachHtml } from './html.js';

export function renderAttach(
  shown: AttachReport,
  o: { format: 'table' | 'markdown' | 'html'; top: number; verbose: boolean; version: string },
): string {
  if (o.format === 'markdown') return attachMarkdown(shown, o.top);
  if (o.format === 'html') return attachHtml(shown, o.top, o.version);
  return attachTable(shown, o.top, { verbose: o.verbose });
}
