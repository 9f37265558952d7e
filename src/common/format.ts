/**
 * Presentation helpers shared by the analyses' prose (finding summaries, reasons) and the reporters: sizes, counts,
 * rates, percentages, source locations and retainer-path text. One module so that "1.5 MB" and "app.js:12" read
 * the same everywhere. Bottom layer: imports nothing of ours but paths.ts.
 */
import { scriptPath } from './paths.js';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** 1536 -> "1.54 kB" (powers of 1000, as DevTools and `ls -h --si` show sizes); tables and reports. */
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

/**
 * The size in a finding's sentence: one decimal, in kB or (from 1 MB) MB — "retaining 595.4 kB". `unit: 'kB'`
 * keeps kB at any size (the growing-collection summary's form).
 */
export function formatSize(bytes: number, unit: 'auto' | 'kB' = 'auto'): string {
  return unit === 'auto' && bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}

export function formatCount(n: number, signed = false): string {
  const sign = n < 0 ? '-' : signed && n > 0 ? '+' : '';
  return sign + Math.abs(n).toLocaleString('en-US');
}

/** A heap slope: "+1.25 MB/min" (signed, MB per minute). */
export function formatRate(bytesPerMin: number): string {
  return `${bytesPerMin >= 0 ? '+' : ''}${(bytesPerMin / 1e6).toFixed(2)} MB/min`;
}

/**
 * A small rate as a floor reads: "6.2 kB/min" below 1 MB/min, else "1.25 MB/min". A kB is 1000 bytes here as in
 * every size leakscope prints (a flag given as 64KiB/min reads 65.5 kB/min).
 */
export function formatSmallRate(bytesPerMin: number): string {
  return bytesPerMin >= 1e6 ? `${(bytesPerMin / 1e6).toFixed(2)} MB/min` : `${(bytesPerMin / 1e3).toFixed(1)} kB/min`;
}

/** 0.036 -> "3.6 %", 0.25 -> "25 %", Infinity -> "from zero". */
export function formatPercent(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %` : 'from zero';
}

// ---- source locations ----

interface Located {
  file: string;
  line: number;
  column: number;
  /** the compiled position, when the location was read through a source map */
  compiled?: { file: string; line: number; column: number };
}

export { scriptPath };

/**
 * Where the program's files are: places inside it are printed relative to it (`lib/cache.js:31:7`), places outside
 * it in full. The process's working directory unless a command says otherwise (attach: the target's working
 * directory). One spelling for every place a report prints.
 */
let projectRoot = process.cwd();

export function setProjectRoot(dir: string): void {
  projectRoot = dir.replace(/[\\/]+$/, '') || '/';
}

export function getProjectRoot(): string {
  return projectRoot;
}

/** A script as a report prints it: relative to the project inside it, absolute outside it; `node:…` stays. */
export function shortFile(file: string): string {
  if (file.startsWith('node:') || file.startsWith('script#')) return file;
  const p = scriptPath(file);
  if (!p.startsWith('/')) return p;
  const root = projectRoot === '/' ? '' : projectRoot;
  return p.startsWith(`${root}/`) ? p.slice(root.length + 1) : p;
}

/** `lib/app.js:12:5` (the column when known) */
export function shortLocation(loc: { file: string; line: number; column?: number }): string {
  return `${shortFile(loc.file)}:${loc.line}${loc.column ? `:${loc.column}` : ''}`;
}

/** ` in lib/app.js:12:5`, or '' when unknown: for a finding's sentence. */
export function where(loc: Located | null): string {
  return loc ? ` in ${shortLocation(loc)}` : '';
}

/**
 * `lib/app.js:12:5` (or '' when unknown): for reports, where a reader or an editor follows it; an original position
 * from a source map is followed by the compiled one: `src/index.ts:26:5 (compiled dist/index.js:7:5)`.
 */
export function formatLocation(loc: Located | null | undefined): string {
  if (!loc) return '';
  const at = shortLocation(loc);
  return loc.compiled ? `${at} (compiled ${shortLocation(loc.compiled)})` : at;
}

/**
 * Where a finding's entries are added, from the growth trace: "programs/app.mjs:29 `quoteCache.set(id, q)` — 1,204
 * calls in 10 s, from handleQuote ← emit", then the other sites; or why there is no answer.
 */
export function addedAtLines(a: {
  source: string;
  windowMs: number;
  why: string | null;
  sites: Array<{
    file: string;
    line: number;
    function: string;
    calls: number;
    samples: number;
    bytes?: number;
    from: string[];
    text: string | null;
    declaredAt?: number;
    via?: { file: string; line: number; package: string | null; text: string | null };
  }>;
}): string[] {
  if (a.sites.length === 0) return [`not traced: ${a.why ?? 'no call seen'}`];
  const code = (x: { text: string | null }) => (x.text ? ` \`${x.text.replace(/`/g, "'")}\`` : '');
  // a call into a dependency: the program's line first, then the dependency's own line that adds
  const via = (x: (typeof a.sites)[number]) =>
    x.via ? `, through ${x.via.package ?? 'a dependency'} (${shortLocation(x.via)}${code(x.via)})` : '';
  // a line found in the allocating function's source: the line that adds, in that function
  const found = (x: (typeof a.sites)[number]) => `${shortLocation(x)}${code(x)} in ${x.function}() (declared at line ${x.declaredAt})`;
  if (a.source === 'allocation-sites') {
    const site = (x: (typeof a.sites)[number]) =>
      x.declaredAt
        ? `${found(x)}, whose allocations grew +${formatBytes(x.bytes ?? 0)}`
        : `${shortLocation(x)} in ${x.function} (+${((x.bytes ?? 0) / 1e3).toFixed(1)} kB live)`;
    return [`not traced (${a.why}): ${a.sites.map(site).join(', ')}`];
  }
  if (a.source === 'allocation-tracking') {
    const objects = (x: (typeof a.sites)[number]) =>
      `${formatCount(x.samples)} new object${x.samples === 1 ? '' : 's'}, ${formatBytes(x.bytes ?? 0)}${x.from.length ? `, called from ${x.from.join(' ← ')}` : ''}`;
    const site = (x: (typeof a.sites)[number]) =>
      x.declaredAt
        ? `${found(x)}: it allocated ${objects(x)}`
        : `allocated by ${x.function}() (${shortLocation(x)}${code(x)}): ${objects(x)}`;
    const source = a.sites[0].declaredAt
      ? '[from the allocation stacks recorded in the snapshot: the function that allocated what the holder keeps, and the line in it that adds to the holder]'
      : '[from the allocation stacks recorded in the snapshot; the line is where the function is declared]';
    return [`${site(a.sites[0])} ${source}`, ...a.sites.slice(1, 3).map((x) => `also ${site(x)}`)];
  }
  const window = a.windowMs < 1000 ? `${a.windowMs} ms` : `${Math.round(a.windowMs / 1000)} s`;
  const s = (x: (typeof a.sites)[number]) =>
    `${shortLocation(x)}${code(x)} — ${x.calls.toLocaleString('en-US')} call${x.calls === 1 ? '' : 's'} in ${window}, in ${[x.function, ...x.from].join(' ← ')}${via(x)}`;
  return [s(a.sites[0]), ...a.sites.slice(1, 3).map((x) => `also ${s(x)}`)];
}

/** The same location, as a key (two closures at one file:line:column are from one place in the code). */
export function locationKey(loc: Located): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

// ---- retainer paths ----

/** Printed paths keep about this many parts; the JSON's retainerPath keeps every step. */
export const MAX_PRINTED_STEPS = 12;

/**
 * Joins steps with `→`, folding runs of V8 plumbing (`internal` steps) into `…` (the first two steps and the last
 * stay), repetitions into `step ×N` or `(a → b → c) ×N` (a linked list, a closure chain), and the middle of a path
 * longer than MAX_PRINTED_STEPS into `…`.
 */
export function pathText(steps: ReadonlyArray<{ text: string; internal: boolean }>): string {
  const parts: string[] = [];
  steps.forEach((s, i) => {
    const keep = i < 2 || i === steps.length - 1 || !s.internal;
    if (keep) parts.push(s.text);
    else if (parts[parts.length - 1] !== '…') parts.push('…');
  });
  const folded = foldRepeats(parts);
  const shown = folded.length > MAX_PRINTED_STEPS ? [...folded.slice(0, 3), '…', ...folded.slice(-(MAX_PRINTED_STEPS - 4))] : folded;
  return shown.join(' → ');
}

/** The longest repetition of a block of 1-6 parts at each position becomes one part: `x ×3`, `(a → b) ×17`. */
export function foldRepeats(parts: string[]): string[] {
  const out: string[] = [];
  const same = (a: number, b: number, len: number) => {
    for (let k = 0; k < len; k++) if (parts[a + k] !== parts[b + k]) return false;
    return true;
  };
  for (let i = 0; i < parts.length; ) {
    let best = { len: 1, times: 1 };
    for (let len = 1; len <= 6 && i + 2 * len <= parts.length; len++) {
      let times = 1;
      while (i + (times + 1) * len <= parts.length && same(i, i + times * len, len)) times++;
      if (times >= 2 && times * len > best.times * best.len) best = { len, times };
    }
    if (best.times === 1 || parts[i] === '…') {
      out.push(parts[i]);
      i++;
      continue;
    }
    const block = parts.slice(i, i + best.len);
    out.push(best.len === 1 ? `${block[0]} ×${best.times}` : `(${block.join(' → ')}) ×${best.times}`);
    i += best.len * best.times;
  }
  return out;
}

/** An isolate as reports name it: "main thread", or `worker 2 "results-pool" (/srv/pool.mjs)` (its threadId, the
 * name it was given, its script). */
export function threadLabel(t: { id: number; kind: 'main' | 'worker'; title: string; url: string }): string {
  if (t.kind === 'main') return 'main thread';
  const title = t.title.replace(/^\[worker \d+\]\s*/, '');
  const script = scriptPath(t.url);
  return `worker ${t.id}${title ? ` "${title}"` : ''}${script ? ` (${script})` : ''}`;
}
