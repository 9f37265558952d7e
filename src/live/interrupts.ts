/**
 * Signals to leakscope while it holds a target. From the moment a command may touch a target until it has let go,
 * SIGINT, SIGTERM and SIGHUP — once or many times — never kill leakscope mid-way: each one aborts the work (an
 * AbortSignal the capture code watches), the command finishes or abandons what is in flight in the order the target
 * survives (a snapshot transfer is read to its end, then the profiler is stopped, the session closed, the inspector
 * we opened closed), says in one line what it did, and exits with 128 + the signal's number.
 *
 * After the let-go (dispose), the signals are still caught until leakscope exits: the analysis and the report of
 * what was gathered are finished and written (a CI timeout's SIGTERM, a second Ctrl-C never loses the report),
 * and the exit code is 128 + the signal's number.
 */
import { constants } from 'node:os';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export class Interrupts {
  private readonly controller = new AbortController();
  received: NodeJS.Signals | null = null;
  count = 0;
  private readonly handler = (sig: NodeJS.Signals) => {
    this.count++;
    this.received ??= sig;
    if (this.count === 1) this.onFirst?.(sig);
    else process.stderr.write(`leakscope: ${sig} again: still letting go of the target safely, one moment\n`);
    this.controller.abort();
  };

  constructor(private readonly onFirst?: (sig: NodeJS.Signals) => void) {
    for (const s of SIGNALS) process.on(s, this.handler);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get interrupted(): boolean {
    return this.received !== null;
  }

  /** 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP */
  get exitCode(): number {
    return this.received ? 128 + (constants.signals[this.received] ?? 2) : 0;
  }

  /** Awaits `p`; if it fails (nothing held yet), stops listening before passing the error on. */
  async guard<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      this.dispose();
      throw err;
    }
  }

  /** The target is let go: from now on a signal only marks the exit code (the report is still written). */
  dispose(): void {
    for (const s of SIGNALS) process.off(s, this.handler);
    lateSignals(this.received !== null);
  }
}

let lateInstalled = false;

/**
 * After the let-go: a signal is noted (one line) and the work finishes; the exit code says which signal came first
 * — unless one already came before the let-go, which decided it (the command exits with that one).
 */
function lateSignals(alreadyInterrupted: boolean): void {
  if (lateInstalled) return;
  lateInstalled = true;
  let late: NodeJS.Signals | null = null;
  const onLate = (sig: NodeJS.Signals) => {
    if (late === null && !alreadyInterrupted)
      process.stderr.write(`leakscope: ${sig} after the target was let go: finishing the report of what was gathered\n`);
    if (!alreadyInterrupted) late ??= sig;
  };
  for (const s of SIGNALS) process.on(s, onLate);
  process.on('exit', () => {
    if (late !== null) process.exitCode = 128 + (constants.signals[late] ?? 2);
  });
}
