/**
 * The live view of a capture on stderr: a small chart of heap used over time, and under it one status line
 * (snapshot transfer %, next snapshot in N s, heap used), both redrawn in place; event lines scroll above them.
 * Only on a TTY and never with --json.
 */
import { formatBytes, threadLabel } from '../common/format.js';
import type { CaptureEvents } from '../contracts/attach.js';
import type { ThreadInfo } from '../contracts/run.js';

export interface LiveView {
  status(text: string): void;
  line(text: string): void;
  /** a new heap-used sample (bytes) for the chart */
  sample(used: number): void;
  stop(): void;
}

export type ChartFn = (values: number[]) => string;

/** A snapshot pause this long is announced with the alternative (attach --no-snapshot). */
const LONG_PAUSE_MS = 10_000;

/** How often a plain (not a terminal: a CI log) progress line is printed at most. */
export const PLAIN_EVERY_MS = 15_000;

/**
 * A log's view (stderr is not a terminal: CI): event lines as they come, and the status at most every 15 s as a
 * plain line — so a CI job is never silent for minutes — with nothing redrawn and no escape sequence.
 */
function plainView(every = PLAIN_EVERY_MS): LiveView {
  const out = process.stderr;
  let last = 0;
  let pending = '';
  const started = Date.now();
  const stamp = () => `[leakscope ${Math.round((Date.now() - started) / 1000)} s]`;
  return {
    status(text) {
      pending = text;
      if (Date.now() - last < every) return;
      last = Date.now();
      out.write(`${stamp()} ${pending}\n`);
    },
    line(text) {
      last = Date.now();
      out.write(`${stamp()} ${text}\n`);
    },
    sample() {},
    stop() {},
  };
}

/** `tty`: drawn in place; `plain`: a log's lines (see plainView); `off` (or false): nothing (--json). */
export type ViewMode = 'tty' | 'plain' | 'off' | boolean;

export function createLiveView(mode: ViewMode, chart?: ChartFn): LiveView {
  if (mode === 'plain') return plainView();
  if (!mode || mode === 'off' || !process.stderr.isTTY) return { status() {}, line() {}, sample() {}, stop() {} };
  const out = process.stderr;
  let drawn = 0; // lines of chart currently on screen above the status line
  let statusText = '';
  const values: number[] = [];
  const clear = () => {
    out.write(`\r\x1b[2K${drawn > 0 ? `\x1b[${drawn}A\x1b[J` : ''}`);
    drawn = 0;
  };
  const draw = () => {
    const width = (out.columns ?? 100) - 1;
    if (chart && values.length >= 2) {
      const lines = chart(values.slice(-Math.max(10, width - 12))).split('\n');
      out.write(`${lines.map((l) => l.slice(0, width)).join('\n')}\n`);
      drawn = lines.length;
    }
    out.write(statusText.slice(0, width));
  };
  return {
    status(text) {
      statusText = text;
      clear();
      draw();
    },
    line(text) {
      clear();
      out.write(`${text}\n`);
      draw();
    },
    sample(used) {
      values.push(used / 1e6);
      clear();
      draw();
    },
    stop() {
      clear();
    },
  };
}

export function usageText(u: { used: number; total: number; rss: number; limit: number }): string {
  return `heap ${formatBytes(u.used)} / ${formatBytes(u.total)} (limit ${formatBytes(u.limit)}), rss ${formatBytes(u.rss)}`;
}

/**
 * The capture's events drawn on a live view: the main thread's heap samples into the chart (of the first process
 * only, when several are watched: `chart: false` for the others), snapshot progress on the status line, workers
 * that start and exit as lines. `who` prefixes the lines ("pid 123") when several processes are watched.
 */
export function captureEvents(live: LiveView, snapshots: number, opts: { chart?: boolean; who?: string } = {}): CaptureEvents {
  const chart = opts.chart ?? true;
  const of = (t: ThreadInfo) => [opts.who, t.kind === 'main' ? '' : threadLabel(t)].filter(Boolean).join(', ');
  const tag = (t: ThreadInfo) => (of(t) ? ` [${of(t)}]` : '');
  return {
    usage: (u, t) => {
      if (!chart || t.kind !== 'main') return;
      live.sample(u.used);
      live.status(usageText(u));
    },
    waiting: (k, left) => chart && live.status(`next snapshot (${k}/${snapshots}) in ${Math.ceil(left / 1000)} s`),
    snapshotStart: (k, pause, t) => {
      // the cost, said before it is paid: a long pause is a target that serves no request meanwhile
      if (k === 1 && pause >= LONG_PAUSE_MS)
        live.line(
          `a snapshot of this heap pauses the target about ${Math.round(pause / 1000)} s (no request served meanwhile); ` +
            '`attach --no-snapshot` watches it with pauses of milliseconds',
        );
      live.status(`snapshot ${k}/${snapshots}${tag(t)}: the target pauses for about ${(pause / 1000).toFixed(1)} s...`);
    },
    snapshotProgress: (k, done, total, t) =>
      live.status(`snapshot ${k}/${snapshots}${tag(t)}: ${total ? Math.round((done / total) * 100) : 0}%`),
    snapshotDone: (k, file, bytes, ms, t) =>
      live.line(`snapshot ${k}/${snapshots}${tag(t)}: ${file} (${formatBytes(bytes)}, ${(ms / 1000).toFixed(1)} s)`),
    threadStarted: (t) => live.line(`${opts.who ? `${opts.who}: ` : ''}watching ${threadLabel(t)}`),
    threadExited: (t, n) =>
      live.line(`${opts.who ? `${opts.who}: ` : ''}${threadLabel(t)} exited after ${n} snapshot${n === 1 ? '' : 's'}`),
  };
}

/** What the live workflows (live/) say while they work, drawn by a live view: lines, capture events, the status. */
export function workflowOutput(live: LiveView) {
  return {
    line: (text: string) => live.line(text),
    status: (text: string) => live.status(text),
    capture: (snapshots: number, o: { chart: boolean; who: string }) => captureEvents(live, snapshots, o),
    events: (snapshots: number) => ({ ...captureEvents(live, snapshots), phase: (text: string) => live.line(text) }),
    stop: () => live.stop(),
  };
}
