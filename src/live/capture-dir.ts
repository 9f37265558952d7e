/** The folder a live capture writes into: named, created 0700 without following links, kept out of git. */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../common/errors.js';
import { checkFolder, checkNotLinkedFolder, cleanDeadPartials, writeFileAtomic } from '../common/files.js';
import { printable } from '../common/text.js';

/** The output folder for a capture: ./.leakscope/<pid, or a label>-<date-time>/ unless given. */
export function captureDirName(out: string | undefined, who: number | string | null): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..+$/, '').replace('T', '-');
  return out ?? path.join('.leakscope', `${who ?? 'inspector'}-${stamp}`);
}

/** Creates a capture folder (0700: snapshots hold the process's secrets). */
export function makeCaptureDir(dir: string): string {
  checkNotLinkedFolder(dir);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new UserError(`cannot create ${printable(dir)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  checkFolder(dir); // an existing folder anyone may write to is refused
  // a dead run's temporary snapshots, in this folder or (for .leakscope/<run>/) its sibling runs' folders
  cleanDeadPartials(dir);
  const parent = path.dirname(path.resolve(dir));
  if (path.basename(parent) === '.leakscope') {
    // snapshots hold every secret of the program: `git add .` must never take them
    const ignore = path.join(parent, '.gitignore');
    if (!existsSync(ignore)) {
      try {
        writeFileAtomic(ignore, '# leakscope: snapshots and reports hold every secret of the process they came from\n*\n');
      } catch {
        // a folder we cannot write in fails the capture below anyway
      }
    }
    try {
      for (const e of readdirSync(parent, { withFileTypes: true })) if (e.isDirectory()) cleanDeadPartials(path.join(parent, e.name));
    } catch {
      // unreadable: nothing to clean
    }
  }
  return dir;
}

export function captureDir(out: string | undefined, who: number | string | null): string {
  return makeCaptureDir(captureDirName(out, who));
}
