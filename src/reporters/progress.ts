/**
 * Progress on stderr for long phases (reading a snapshot, building the graph). Shown only on a TTY and never with
 * --json, so stdout stays parseable and CI logs stay clean.
 */
import cliProgress from 'cli-progress';

export interface ProgressSink {
  /** `done`/`total` in bytes for the read phase; a phase name alone for the rest */
  update(phase: string, done?: number, total?: number): void;
  stop(): void;
}

const silent: ProgressSink = { update() {}, stop() {} };

export function createProgress(enabled: boolean, label: string): ProgressSink {
  if (!enabled || !process.stderr.isTTY) return silent;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} {phase} [{bar}] {percentage}% {value}/{total} MB`,
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(phase, done, total) {
      const MB = 1e6;
      if (!started) {
        bar.start(Math.max(1, Math.round((total ?? 1) / MB)), 0, { phase });
        started = true;
      }
      // bytes for the read phase; the later phases (index, retainers, dominators ...) only name themselves
      if (/\bread$/.test(phase) && done !== undefined && total !== undefined) {
        bar.setTotal(Math.max(1, Math.round(total / MB)));
        bar.update(Math.round(done / MB), { phase });
      } else {
        bar.update(bar.getTotal(), { phase });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
