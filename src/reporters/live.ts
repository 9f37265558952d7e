/**
 * The live view of a capture on stderr: one status line (snapshot transfer %, next snapshot in N s, heap used),
 * redrawn in place. Only on a TTY and never with --json.
 */
import { formatBytes } from './format.js';

export interface LiveView {
  status(text: string): void;
  line(text: string): void;
  stop(): void;
}

export function createLiveView(enabled: boolean): LiveView {
  if (!enabled || !process.stderr.isTTY) return { status() {}, line() {}, stop() {} };
  let shown = false;
  const clear = () => {
    if (shown) process.stderr.write('\r\x1b[2K');
    shown = false;
  };
  return {
    status(text) {
      clear();
      process.stderr.write(text.slice(0, (process.stderr.columns ?? 100) - 1));
      shown = true;
    },
    line(text) {
      clear();
      process.stderr.write(`${text}\n`);
    },
    stop: clear,
  };
}

export function usageText(u: { used: number; total: number; rss: number; limit: number }): string {
  return `heap ${formatBytes(u.used)} / ${formatBytes(u.total)} (limit ${formatBytes(u.limit)}), rss ${formatBytes(u.rss)}`;
}
