/** Number and size formatting shared by the reporters. */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** 1536 -> "1.5 kB" (powers of 1000, as DevTools and `ls -h --si` show sizes). */
export function formatBytes(bytes: number, signed = false): string {
  const sign = bytes < 0 ? '-' : signed && bytes > 0 ? '+' : '';
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  const digits = u === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${sign}${v.toFixed(digits)} ${UNITS[u]}`;
}

export function formatCount(n: number, signed = false): string {
  const sign = n < 0 ? '-' : signed && n > 0 ? '+' : '';
  return sign + Math.abs(n).toLocaleString('en-US');
}

export function formatLocation(loc: { file: string; line: number; column: number } | null | undefined): string {
  return loc ? `${loc.file}:${loc.line}:${loc.column}` : '';
}
