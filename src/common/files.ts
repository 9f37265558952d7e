/**
 * Files leakscope writes (snapshots, profiles, reports, baselines) hold what the target holds: its secrets. They
 * are written one way only:
 *
 * - the destination is checked first (checkDestination): a symlink, FIFO, socket, device or directory there is
 *   refused (exit 2), never replaced or written through; so is a folder anyone may write to without the sticky bit;
 * - the bytes go to a new temporary file beside it, created exclusively (O_CREAT | O_EXCL) without following links
 *   (O_NOFOLLOW), mode 0600 from the first byte, with an unpredictable name (an attacker's `X.partial` symlink is
 *   never opened);
 * - when whole it is fsynced and renamed over the destination (rename replaces a name, it never follows one);
 * - on failure or interruption the temporary file is removed (`abandon`).
 */
import {
  closeSync,
  constants,
  existsSync,
  fchmodSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { UserError, UsageError } from './errors.js';
import { printable } from './text.js';

function kindOf(st: Stats): string | null {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isDirectory()) return 'a directory';
  return null;
}

/** Refuses (UserError, exit 2) a destination that is not a regular file or a new name in a safe folder. */
export function checkDestination(file: string): void {
  const shown = printable(file);
  let st: Stats | null = null;
  try {
    st = lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new UserError(`cannot write ${shown}: ${(err as NodeJS.ErrnoException).code}`);
  }
  const kind = st ? kindOf(st) : null;
  if (kind)
    throw new UsageError(`refusing to write ${shown}: it is ${kind}, not a regular file`, {
      suggestion: 'name a new or regular file',
    });
  checkNotLinkedFolder(path.dirname(file));
  // a folder that does not exist yet is made by the caller (0700) before the file is begun
  if (existsSync(path.dirname(file))) checkFolder(path.dirname(file));
}

/**
 * The folder named for a file (`-o dir/report.md`, `--dir dir`) must be the folder itself, not a symbolic link to
 * one: whoever can change the link decides where the report — every secret of the target — goes.
 */
export function checkNotLinkedFolder(dir: string): void {
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch {
    return; // made by the caller, as a folder
  }
  if (st.isSymbolicLink()) {
    throw new UsageError(
      `refusing to write into ${printable(dir)}: it is a symbolic link to a folder, and whoever can change the link decides where the file goes`,
      { suggestion: 'name the real folder' },
    );
  }
}

/** A folder leakscope writes into must exist as a folder and not be writable by anyone without the sticky bit. */
export function checkFolder(dir: string): void {
  const shown = printable(dir);
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (err) {
    throw new UserError(
      `cannot write into ${shown}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (err as NodeJS.ErrnoException).code}`,
    );
  }
  if (!st.isDirectory()) throw new UserError(`cannot write into ${shown}: not a folder`);
  if ((st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0) {
    throw new UserError(
      `refusing to write into ${shown}: anyone may write there (mode ${(st.mode & 0o7777).toString(8)}, no sticky bit), so another user could swap the file`,
      { suggestion: 'use a folder only you can write to' },
    );
  }
}

export interface PendingFile {
  /** the temporary name the bytes go to */
  readonly partial: string;
  readonly fd: number;
  write(chunk: string | Uint8Array): number;
  /** fsync, close, rename over the destination */
  commit(): void;
  /** close and remove the temporary file (safe to call twice, and after commit) */
  abandon(): void;
}

/** `<file>.<pid of the writer>.<12 hex>.partial`: the writer's pid says whether a leftover is a dead run's. */
const PARTIAL = /\.(\d{1,10})\.[0-9a-f]{12}\.partial$/;

/**
 * Removes the temporary files of dead runs from `dir`: a leakscope SIGKILLed mid-transfer leaves its `.partial`
 * (hundreds of MB, every secret of the target, mode 0600). Only regular files named as leakscope names them, whose
 * writer's pid is no longer running, and that we own. Best effort: never throws.
 */
export function cleanDeadPartials(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = PARTIAL.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidRunning(pid)) continue;
    const p = path.join(dir, name);
    try {
      const st = lstatSync(p);
      if (!st.isFile() || (typeof process.getuid === 'function' && st.uid !== process.getuid())) continue;
      unlinkSync(p);
      removed.push(p);
    } catch {
      // gone, or not ours to remove
    }
  }
  return removed;
}

function pidRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Starts writing `file` safely (see the file comment). */
export function beginFile(file: string): PendingFile {
  checkDestination(file);
  cleanDeadPartials(path.dirname(path.resolve(file)));
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  let partial = '';
  let fd = -1;
  for (let attempt = 0; fd < 0; attempt++) {
    partial = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.partial`;
    try {
      fd = openSync(partial, flags, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 8)
        throw new UserError(`cannot create ${printable(partial)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  fchmodSync(fd, 0o600); // whatever the umask
  let open = true;
  let done = false;
  return {
    partial,
    fd,
    write(chunk) {
      return typeof chunk === 'string' ? writeSync(fd, chunk, null, 'utf8') : writeSync(fd, chunk);
    },
    commit() {
      fsyncSync(fd);
      closeSync(fd);
      open = false;
      renameSync(partial, file);
      done = true;
    },
    abandon() {
      if (open) {
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
        open = false;
      }
      if (!done) {
        try {
          unlinkSync(partial);
        } catch {
          // gone
        }
        done = true;
      }
    },
  };
}

/** Writes `text` to `file` atomically and safely: the one way leakscope writes a whole file. */
export function writeFileAtomic(file: string, text: string): void {
  const f = beginFile(file);
  try {
    f.write(text);
    f.commit();
  } catch (err) {
    f.abandon();
    throw err;
  }
}

/**
 * attach and run: report.html beside the captured snapshots, when the folder exists (something was captured). A
 * report that cannot be written is a note on stderr, never a changed verdict.
 */
export function writeReportBeside(dir: string, render: () => string): string | null {
  const file = path.join(dir, 'report.html');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return null;
  try {
    writeFileAtomic(file, render());
    return file;
  } catch (err) {
    process.stderr.write(`leakscope: could not write ${file}: ${(err as Error).message}\n`);
    return null;
  }
}
