/**
 * Text laid out for a terminal of a given width: the report's lines never run past it. Words wrap with a hanging
 * indent; a word longer than the line (a path, a URL) is cut in its middle with `…`, so both its start and its end
 * (the file and the line number) stay readable.
 */

/** The width reports are laid out for: $LEAKSCOPE_WIDTH, else the terminal's (60-160), else 80 (logs, pipes, CI). */
export function outputWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  const asked = Number(process.env.LEAKSCOPE_WIDTH);
  if (Number.isInteger(asked) && asked >= 40) return asked;
  if (stream.isTTY && stream.columns) return Math.max(60, Math.min(160, stream.columns));
  return 80;
}

/** The text in at most `width` characters: cut in the middle (`…`) when longer. */
export function clipMiddle(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return '…'.slice(0, width);
  const tail = Math.floor((width - 1) / 2);
  return `${text.slice(0, width - 1 - tail)}…${text.slice(text.length - tail)}`;
}

/** The text in at most `width` characters: cut at the end (`…`) when longer. */
export function clipEnd(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * Word-wraps `text` into lines of at most `width`: the first line starts with `first` (a label, a number), the
 * following ones with as many spaces as `indent`. A word that does not fit a line by itself is cut in its middle.
 */
export function wrap(text: string, width: number, first = '', indent = first.length): string[] {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  let line = first;
  let empty = true;
  const room = (prefix: string) => width - prefix.length;
  for (const raw of glueUnits(text.split(/\s+/).filter(Boolean))) {
    const lead = out.length === 0 ? first : pad;
    const word = raw.length > room(lead) ? clipMiddle(raw, room(lead)) : raw;
    const candidate = empty ? `${line}${word}` : `${line} ${word}`;
    if (candidate.length <= width) {
      line = candidate;
      empty = false;
      continue;
    }
    out.push(line.trimEnd());
    line = `${pad}${word.length > room(pad) ? clipMiddle(word, room(pad)) : word}`;
    empty = false;
  }
  if (!empty || out.length === 0) out.push(line.trimEnd());
  return out;
}

/** A unit stays on the line of its number: `+0.23 MB/min`, `1.15 MB`, `10 s` never break between the two. */
const UNIT = /^(?:[kMG]?B|KiB|MiB|GiB|ms|s|min)(?:\/min|\/s)?[,;:.)\]]*$/;
function glueUnits(words: string[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    const prev = out[out.length - 1];
    if (prev !== undefined && UNIT.test(w) && /\d$/.test(prev)) out[out.length - 1] = `${prev} ${w}`;
    else out.push(w);
  }
  return out;
}

/** `label  value` rows with the values aligned and wrapped under each other. */
export function rows(items: Array<[string, string]>, width: number, indent = 0): string[] {
  const shown = items.filter(([, v]) => v !== '');
  const labelWidth = Math.max(0, ...shown.map(([k]) => k.length));
  const out: string[] = [];
  for (const [k, v] of shown) {
    const first = `${' '.repeat(indent)}${k.padEnd(labelWidth)}  `;
    out.push(...wrap(v, width, first));
  }
  return out;
}
