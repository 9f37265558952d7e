/**
 * Strings that come from a heap (class names, property names, string values) or from the user (file names) are
 * escaped before they reach a terminal or a human-readable report: control characters (ESC sequences that clear
 * the screen or set the window title, newlines that break a one-line error, bidi overrides) become visible escapes.
 * JSON output stays exact (JSON.stringify escapes control characters itself).
 */

// C0 controls but tab, DEL, C1 controls, and the bidi/zero-width format characters that reorder or hide text
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
