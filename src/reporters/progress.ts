/**
 * The progress bar on stderr for long phases (reading a snapshot, building the graph): an implementation of the
 * Progress interface (src/common/progress.ts) the commands inject. Shown only on a TTY and never with --json, so stdout
 * stays parseable and CI logs stay clean.
 */
import cliProgress from 'cli-progress';
import type { FileOfMany, PhaseName, Progress } from '../common/progress.js';

export interface ProgressBar extends Progress {
  stop(): void;
}

const silent: ProgressBar = { phase() {}, bytes() {}, stop() {} };
const MB = 1e6;

export function createProgress(enabled: boolean, label: string): ProgressBar {
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
  let shown = '';
  return {
    phase(name: PhaseName, file?: FileOfMany) {
      shown = file ? `${file.index}/${file.count} ${name}` : name;
      if (!started) {
        bar.start(1, 0, { phase: shown });
        started = true;
      }
      // the phases after the read only name themselves: the bar stays full
      if (name !== 'read') bar.update(bar.getTotal(), { phase: shown });
      else bar.update(0, { phase: shown });
    },
    bytes(done, total) {
      if (!started) return;
      bar.setTotal(Math.max(1, Math.round(total / MB)));
      bar.update(Math.round(done / MB), { phase: shown });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
