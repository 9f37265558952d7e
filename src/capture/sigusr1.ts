/**
 * Opening a target's inspector with SIGUSR1 when it has none — only ever on a process confirmed to be Node that
 * catches SIGUSR1 (its default action terminates a process) — under a cross-process lock, and one leakscope at a
 * time per target. Facts about the process are in process.ts, where an inspector listens in inspector-probe.ts.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { InspectorError, PermissionError, TargetError, UsageError } from '../common/errors.js';
import { type TargetInfo, readProc } from './process.js';
import { type InspectorAddress, findInspector, probeInspector } from './inspector-probe.js';

export interface OpenedInspector {
  address: InspectorAddress;
  /** true when leakscope opened it (SIGUSR1), so it must close it when done */
  openedByUs: boolean;
}

/**
 * One leakscope at a time per target: two sessions on one process get in each other's way (one closes the inspector
 * the other uses, or moves it under it). The whole stay — connect to let-go — runs under a lock file per target
 * process (its pid and start time, so a reused pid is another target), created exclusively in the temp folder and
 * holding the owner's pid; another leakscope waits for it (however long the capture), and a lock whose owner is
 * gone is stale and removed. Returns the release.
 */
export async function acquireTargetLock(pid: number, onWait?: (holder: number) => void, dir = tmpdir()): Promise<() => void> {
  let start = '0';
  try {
    start =
      readProc(pid, 'stat')
        .replace(/^.*\) /s, '')
        .split(' ')[19] ?? '0';
  } catch {
    // unreadable: the pid alone names it
  }
  const lockFile = path.join(dir, `leakscope-target-${pid}-${start}.lock`);
  let told = false;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (Number(readFileSync(lockFile, 'utf8').trim()) === process.pid) unlinkSync(lockFile);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new InspectorError(`cannot create the lock ${lockFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let holder = 0;
    try {
      holder = Number(readFileSync(lockFile, 'utf8').trim()) || 0;
    } catch {
      continue; // released meanwhile
    }
    let alive = holder > 0 && holder !== process.pid;
    if (alive) {
      try {
        process.kill(holder, 0);
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    }
    if (!alive) {
      try {
        unlinkSync(lockFile);
      } catch {
        // removed by someone else meanwhile
      }
      continue;
    }
    if (!told) {
      onWait?.(holder);
      told = true;
    }
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH')
        throw new TargetError(`process ${pid} exited while waiting for another leakscope to let it go`);
    }
    await sleep(200);
  }
}

/**
 * SIGUSR1 opens a target's inspector on its default port (9229) whatever else listens there, so two leakscope
 * commands (or one attaching to several pids) must not send it at the same moment: the step from SIGUSR1 to the
 * inspector moved off 9229 runs under a lock file, created exclusively (O_EXCL, so never through a link) in the
 * temp folder, holding the owner's pid. A lock whose owner is gone, or older than a minute, is stale and removed.
 */
export const SIGUSR1_LOCK = path.join(tmpdir(), 'leakscope-sigusr1.lock');
const LOCK_STALE_MS = 60_000;

export async function withSigusr1Lock<T>(
  fn: () => Promise<T>,
  onWait?: (holder: number) => void,
  timeoutMs = 30_000,
  lockFile = SIGUSR1_LOCK,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  let fd = -1;
  for (;;) {
    try {
      fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new InspectorError(`cannot create the lock ${lockFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let holder = 0;
    let age = 0;
    try {
      holder = Number(readFileSync(lockFile, 'utf8').trim()) || 0;
      age = Date.now() - statSync(lockFile).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    let alive = holder > 0;
    if (alive) {
      try {
        process.kill(holder, 0);
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    }
    if (!alive || age > LOCK_STALE_MS) {
      try {
        unlinkSync(lockFile);
      } catch {
        // someone else removed it, or it is not ours to remove (another user's, in a sticky folder)
      }
    }
    if (Date.now() > deadline) {
      throw new InspectorError(
        `another leakscope (pid ${holder}) has been opening an inspector for ${Math.round(age / 1000)} s (lock ${lockFile})`,
        { suggestion: `remove ${lockFile} if no other leakscope runs` },
      );
    }
    if (!told && holder !== process.pid) {
      onWait?.(holder);
      told = true;
    }
    await sleep(50 + Math.random() * 100);
  }
  try {
    return await fn();
  } finally {
    closeSync(fd);
    try {
      unlinkSync(lockFile);
    } catch {
      // removed as stale by someone else: nothing to release
    }
  }
}

const SIGUSR1 = 10;

/**
 * Whether `pid` catches SIGUSR1 (`SigCgt` in /proc/<pid>/status; Node installs a handler when its inspector can be
 * opened that way) and whether it ignores it (`SigIgn`). SIGUSR1's default action terminates a process: a process
 * that does not catch it must never get it, whatever its name says. Null when the status cannot be read.
 */
export function sigusr1Disposition(pid: number, procRoot = '/proc'): { caught: boolean; ignored: boolean } | null {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const mask = (field: string): bigint | null => {
    const m = new RegExp(`^${field}:\\s*([0-9a-fA-F]+)$`, 'm').exec(text);
    return m ? BigInt(`0x${m[1]}`) : null;
  };
  const caught = mask('SigCgt');
  const ignored = mask('SigIgn');
  if (caught === null || ignored === null) return null;
  const bit = 1n << BigInt(SIGUSR1 - 1);
  return { caught: (caught & bit) !== 0n, ignored: (ignored & bit) !== 0n };
}

/**
 * Opens the target's inspector with SIGUSR1 (Node only, and only when it catches SIGUSR1) and waits for it to
 * listen. Call it under withSigusr1Lock, after findInspector found none.
 */
export async function openInspector(target: TargetInfo, timeoutMs = 5000): Promise<InspectorAddress> {
  const usr1 = sigusr1Disposition(target.pid);
  const ask = 'start it with --inspect-port=0 (or --inspect) and pass --port, or use --ws';
  if (!usr1)
    throw new UsageError(`cannot read /proc/${target.pid}/status to check that pid ${target.pid} handles SIGUSR1: not sending it`, {
      suggestion: ask,
    });
  if (!usr1.caught) {
    const why = usr1.ignored
      ? 'ignores SIGUSR1, so it cannot open its inspector that way'
      : 'does not handle SIGUSR1 (no handler in SigCgt), so SIGUSR1 would terminate it';
    throw new UsageError(`pid ${target.pid} ${why}: not sending it`, { suggestion: ask });
  }
  try {
    process.kill(target.pid, 'SIGUSR1');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM')
      throw new PermissionError(`permission denied sending SIGUSR1 to pid ${target.pid}`, {
        suggestion: 'run as the same user as the target, or as root',
      });
    if (code === 'ESRCH') throw new TargetError(`process ${target.pid} exited`);
    throw err;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(100);
    const found = await findInspector(target.pid);
    if (found) return found;
    try {
      process.kill(target.pid, 0);
    } catch {
      throw new TargetError(`process ${target.pid} exited after SIGUSR1`);
    }
  }
  const taken = await probeInspector('127.0.0.1', 9229, 500);
  const why = taken ? ': port 9229 is already taken by another inspector, so the target could not open its own' : '';
  throw new InspectorError(`the inspector of pid ${target.pid} did not open within ${timeoutMs / 1000} s${why}`, {
    suggestion: 'start the target with --inspect-port=0 (or another free port), or pass --port if it already listens',
  });
}
