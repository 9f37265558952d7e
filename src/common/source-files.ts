/**
 * Reading the program's source files from disk, for a report's code lines ("added at lib/cache.js:31
 * `cache.set(key, v)`") and source maps. Every path comes from a heap snapshot, and a snapshot is input from anyone:
 * a script name or a map's `sources` can say `/etc/passwd`, `../../.ssh/id_rsa`, `/proc/self/environ`, a FIFO or
 * `/dev/zero`. So a file is read only when it is
 *
 *   - a local absolute path (or a file:// URL), not under /proc, /dev or /sys;
 *   - once opened (non-blocking, so a FIFO cannot hang us), a regular file of at most `maxBytes`;
 *   - really inside one of the source roots (its real path, links resolved through the open descriptor): the
 *     project (the working directory, or the target's for attach) and any --source-root.
 *
 * Otherwise the answer says why and no byte of the file is used. Bottom layer: imports nothing of ours.
 */
import { closeSync, constants, fstatSync, openSync, readSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { localPath } from './paths.js';

/** Source files (and maps) larger than this are not read. */
export const MAX_SOURCE_BYTES = 8 * 1024 * 1024;

const FORBIDDEN = ['/proc/', '/dev/', '/sys/'];

let roots: string[] | null = null;

function real(dir: string): string | null {
  try {
    return realpathSync(dir);
  } catch {
    return null;
  }
}

/** The folders source files may be read from (the first call's default: the working directory). */
export function sourceRoots(): string[] {
  roots ??= [real(process.cwd())].filter((r): r is string => r !== null);
  return roots;
}

/** Adds folders source files may be read from (the target's working directory, --source-root). */
export function addSourceRoots(dirs: Iterable<string>): void {
  const list = sourceRoots();
  for (const d of dirs) {
    const r = real(path.resolve(d));
    if (r && r !== '/' && !list.includes(r)) list.push(r);
  }
}

/** For tests: the roots exactly as given (resolved). */
export function setSourceRoots(dirs: string[]): void {
  roots = [];
  addSourceRoots(dirs);
}

export type SourceRead = { text: string; file: string } | { text: null; why: string };

export { localPath } from './paths.js';

function inside(p: string, root: string): boolean {
  return p === root || p.startsWith(root.endsWith('/') ? root : `${root}/`);
}

const cache = new Map<string, SourceRead>();

/** The text of a source file named by a snapshot, under the rules above; `why` when it is not read. */
export function readSourceFile(name: string, maxBytes = MAX_SOURCE_BYTES): SourceRead {
  const key = `${maxBytes}:${name}`;
  let got = cache.get(key);
  if (!got) {
    got = readUntrusted(name, maxBytes);
    cache.set(key, got);
  }
  return got;
}

function readUntrusted(name: string, maxBytes: number): SourceRead {
  const file = localPath(name);
  if (!file) return { text: null, why: 'not a local file' };
  if (FORBIDDEN.some((f) => inside(file, f.slice(0, -1)))) return { text: null, why: 'a system path' };
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return { text: null, why: 'not readable here' };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { text: null, why: 'not a regular file' };
    if (st.size > maxBytes) return { text: null, why: `larger than ${Math.round(maxBytes / 1e6)} MB` };
    let where: string;
    try {
      where = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      where = real(file) ?? file;
    }
    if (FORBIDDEN.some((f) => inside(where, f.slice(0, -1))) || !sourceRoots().some((r) => inside(where, r))) {
      return { text: null, why: 'outside the project (add its folder with --source-root)' };
    }
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n <= 0) break;
      off += n;
    }
    return { text: buf.toString('utf8', 0, off), file: where };
  } catch {
    return { text: null, why: 'not readable here' };
  } finally {
    closeSync(fd);
  }
}
