/**
 * The one progress interface: analyses report named phases and bytes read through it; the command injects an
 * implementation (reporters/progress.ts draws a bar on a TTY; the default does nothing). Analyses never print.
 */

/** The phases of reading and analysing snapshots, in the order they run. */
export type PhaseName =
  | 'read'
  | 'index'
  | 'digest'
  | 'essential edges'
  | 'retainers'
  | 'dominators'
  | 'distances'
  | 'ids'
  | 'matching holders by place';

/** Which file of several a phase is about (diff reads its snapshots one after another). */
export interface FileOfMany {
  /** 1-based */
  index: number;
  count: number;
}

export interface Progress {
  /** a phase begins */
  phase(name: PhaseName, file?: FileOfMany): void;
  /** bytes of the file read so far (during `read`) */
  bytes(done: number, total: number): void;
}

export const NO_PROGRESS: Progress = { phase() {}, bytes() {} };

/** The same progress, every phase labelled with the file it is about. */
export function forFile(progress: Progress, file: FileOfMany): Progress {
  return { phase: (name) => progress.phase(name, file), bytes: (done, total) => progress.bytes(done, total) };
}
