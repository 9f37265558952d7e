/**
 * Strings that come from a heap (class names, property names, string values) or from the user (file names) are
 * escaped before they reach a terminal or a human-readable report: control characters (ESC sequences that clear
 * the screen or set the window title, newlines that break a one-line error, bidi overrides) become visible escapes.
 * JSON output stays exact (JSON.stringify escapes control characters itself).
 */

// C0 controls but tab, DEL, C1 controls, and the bidi/zero-width format characters that reorder or hide text
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** keys whose strings are multi-line by nature (a program's stderr tail, a load's output): lines kept, each escaped */
const MULTILINE_KEYS = new Set(['stderrTail', 'output', 'error']);

/**
 * A copy of a report with every string made printable, for the human-readable renderers (table, Markdown, JUnit,
 * SARIF). The JSON output is the report itself, exact.
 */
export function printableDeep<T>(value: T, key = ''): T {
  if (typeof value === 'string') {
    return (MULTILINE_KEYS.has(key) ? value.split('\n').map(printable).join('\n') : printable(value)) as T;
  }
  if (Array.isArray(value)) return value.map((v) => printableDeep(v, key)) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = printableDeep(v, k);
    return out as T;
  }
  return value;
}
