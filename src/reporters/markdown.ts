import type { Finding } from '../analysis/findings/findings.js';
import { culpritOf } from '../analysis/findings/verdict.js';
import { formatLocation } from '../common/format.js';
import { findingName } from './terminal.js';

/**
 * Markdown helpers shared by the Markdown reporters. A Markdown report goes to a CI step summary or a pull-request
 * comment, where GitHub renders it: every string from a heap, a file name or a command line must stay text — no
 * link, image, HTML, heading or code span of its own making.
 */

/**
 * Any text as Markdown text: every ASCII punctuation character backslash-escaped (CommonMark lets a backslash
 * escape each of them, so nothing in it can open a link, an image, an HTML tag, emphasis or a code span), line
 * breaks folded into spaces (nothing can start a heading or a list).
 */
export function mdEscape(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`);
}

/**
 * Any text as one code span: fenced by one backtick more than the longest run of backticks inside it (padded with a
 * space when it starts or ends with one), line breaks folded. Inside a code span nothing is interpreted.
 */
export function mdCode(s: string): string {
  const text = s.replace(/[\r\n]+/g, ' ');
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text === '' ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** The culprit of a leak verdict, for the line under it: `at \`lib/app.js:15:7\`: sessions (Map)`; '' otherwise. */
export function mdCulprit(verdict: string, findings: Finding[]): string {
  const c = verdict === 'leak' ? culpritOf(findings) : null;
  if (!c) return '';
  const loc =
    c.kind === 'listener' || c.kind === 'timer' || c.kind === 'closure' ? (c.location ?? c.declaration) : (c.declaration ?? c.location);
  const added = c.addedAt?.sites[0];
  return `${loc ? `at ${mdCode(formatLocation(loc))}: ` : ''}**${mdEscape(findingName(c))}**${added ? ` — added at ${mdCode(formatLocation(added))}${added.text ? ` ${mdCode(added.text)}` : ''}` : ''}`;
}

export function mdTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(mdEscape).join(' | ')} |`;
  return [line(head), `|${head.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}
