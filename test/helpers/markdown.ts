/** What a reader sees of a Markdown report: the text and code of its CommonMark rendering, lines kept. */
import { Parser } from 'commonmark';

export function mdText(md: string): string {
  const w = new Parser().parse(md).walker();
  let out = '';
  for (let e = w.next(); e; e = w.next()) {
    const n = e.node;
    if (!e.entering) {
      if (['paragraph', 'heading', 'item', 'table_row', 'code_block'].includes(n.type)) out += '\n';
      continue;
    }
    if (n.type === 'heading') out += `${'#'.repeat(n.level)} `;
    if (n.type === 'text' || n.type === 'code' || n.type === 'code_block') out += n.literal ?? '';
    else if (n.type === 'softbreak' || n.type === 'linebreak') out += '\n';
  }
  return out;
}
