/** Markdown helpers shared by the Markdown reporters. */

export function mdEscape(s: string): string {
  return s.replace(/[|\\`*_<>]/g, (c) => `\\${c}`).replace(/\n/g, ' ');
}

export function mdTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(mdEscape).join(' | ')} |`;
  return [line(head), `|${head.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n');
}
