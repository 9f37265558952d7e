/**
 * Error classes shared by every layer.
 *
 * - UserError: every failure leakscope expects, one line with its exit code (ExitCode); thrown as the class that
 *   names it: UsageError (2: bad flag, missing file), TargetError (3), PermissionError (4), InspectorError (5),
 *   TransferError (6). A plain UserError is a usage error.
 * - SnapshotFormatError: the input is not a readable heap snapshot. One line naming the problem and, where it
 *   applies, the byte offset. Exit code 2.
 * Anything else is a bug: it is reported with a stack trace under --debug, otherwise as one line with exit code 70.
 */

import { printable } from './text.js';

/**
 * Every exit code leakscope uses, in one table (the README lists the same). A signal that stops a command while it
 * holds a target exits 128 + the signal's number (130 for Ctrl-C), as shells do (cli/interrupts.ts).
 */
export const ExitCode = {
  /** no leak (or nothing to judge) */
  ok: 0,
  /** a leak verdict (diff/attach with --fail-on-leak, run always) */
  leak: 1,
  /** a usage error or bad input: unknown flag, unreadable snapshot, no such pid, not a Node process */
  usage: 2,
  /** the target (or run's program, or its load) failed to start, or died during the watch */
  targetFailed: 3,
  /** not allowed to read or signal the target */
  permission: 4,
  /** the inspector did not open, could not be reached, or stayed open after detaching */
  inspector: 5,
  /** a snapshot transfer broke */
  transfer: 6,
  /**
   * no verdict either way (two snapshots only, a program that did no work, a finding the heap does not confirm)
   * while the command fails on leaks (`run` by default; diff and attach with --fail-on): CI never passes silently
   */
  inconclusive: 7,
  /** a bug in leakscope */
  internal: 70,
} as const;

export class UserError extends Error {
  readonly exitCode: number;
  readonly suggestion?: string;
  constructor(message: string, options: { exitCode?: number; suggestion?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.exitCode = options.exitCode ?? ExitCode.usage;
    this.suggestion = options.suggestion;
  }
}

type ErrorOptions = { suggestion?: string; cause?: unknown };

/** A usage error or bad input (exit 2): the default of UserError, named where it is thrown. */
export class UsageError extends UserError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { ...options, exitCode: ExitCode.usage });
    this.name = 'UsageError';
  }
}

/** The target (or run's program, or its load) failed to start, or died during the watch (exit 3). */
export class TargetError extends UserError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { ...options, exitCode: ExitCode.targetFailed });
    this.name = 'TargetError';
  }
}

/** Not allowed to read or signal the target (exit 4). */
export class PermissionError extends UserError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { ...options, exitCode: ExitCode.permission });
    this.name = 'PermissionError';
  }
}

/** The inspector did not open, could not be reached, or stayed open after detaching (exit 5). */
export class InspectorError extends UserError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { ...options, exitCode: ExitCode.inspector });
    this.name = 'InspectorError';
  }
}

/** A snapshot transfer broke (exit 6). */
export class TransferError extends UserError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { ...options, exitCode: ExitCode.transfer });
    this.name = 'TransferError';
  }
}

export class SnapshotFormatError extends UserError {
  readonly detail: string;
  readonly byteOffset?: number;
  readonly file?: string;
  constructor(detail: string, byteOffset?: number, file?: string) {
    const where = byteOffset === undefined ? '' : ` (at byte ${byteOffset})`;
    const prefix = file ? `${printable(file)}: ` : '';
    super(`${prefix}not a readable heap snapshot: ${detail}${where}`);
    this.name = 'SnapshotFormatError';
    this.detail = detail;
    this.byteOffset = byteOffset;
    this.file = file;
  }

  /** The same error, naming the file it came from. */
  inFile(file: string): SnapshotFormatError {
    return new SnapshotFormatError(this.detail, this.byteOffset, file);
  }
}
