/**
 * The sampling plan of a live capture: heap usage every few seconds, and every interval a forced GC, a heap
 * snapshot streamed to disk and the sampling profiler's live allocations saved beside it. Stops early (keeping what
 * it gathered) when aborted (Ctrl-C) or when the target goes away; always detaches.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../common/files.js';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError, InspectorError, TargetError, UsageError } from '../common/errors.js';
import type { SamplingProfile } from '../formats/heapprofile.js';
import type { HeapUsage, InspectorSession, ThreadInfo } from './session.js';
import { Isolates, workerExited, type ThreadSelection } from './threads.js';
import { addressSpace, cgroupMemory, type AddressSpace } from './process.js';

export interface CapturePlan {
  intervalMs: number;
  snapshots: number;
  usageEveryMs: number;
  outDir: string;
  /** files are named <prefix>-<k>.heapsnapshot / .heapprofile */
  prefix: string;
  gc: boolean;
  sampling: boolean;
  /** take snapshots even when the target is close to its heap limit */
  force: boolean;
  /** force a GC before every heap-usage sample, so the series is post-GC heap used (soak tests) */
  gcBeforeUsage?: boolean;
  /** the target's pid, when known: its cgroup memory limit is checked before each snapshot */
  pid?: number;
  /** which isolates to watch (default: the main thread only) */
  threads?: ThreadSelection;
  /**
   * After the last snapshot, before letting the process go: a step that needs the sessions still attached (the
   * growth trace). It gets the live sessions and what was gathered; it must not throw (it records its own failures).
   */
  afterLast?: (sessions: InspectorSession[], result: CaptureResult, signal: AbortSignal) => Promise<void>;
}

export interface CaptureEvents {
  /** a heap-usage sample of one isolate */
  usage?(u: HeapUsage, thread: ThreadInfo): void;
  snapshotStart?(k: number, expectedPauseMs: number, thread: ThreadInfo): void;
  snapshotProgress?(k: number, done: number, total: number, thread: ThreadInfo): void;
  snapshotDone?(k: number, file: string, bytes: number, ms: number, thread: ThreadInfo): void;
  waiting?(k: number, msLeft: number): void;
  /** a worker appeared (already running at attach, or started during the watch) / exited */
  threadStarted?(thread: ThreadInfo): void;
  threadExited?(thread: ThreadInfo, afterSnapshots: number): void;
}

/** What was gathered from one isolate (the main thread or one worker). */
export interface IsolateCapture {
  thread: ThreadInfo;
  snapshots: string[];
  profiles: string[];
  /** the same profiles, as taken (they are small: sampled allocations only) */
  profileData: SamplingProfile[];
  usage: HeapUsage[];
  snapshotMs: number[];
  /** when each snapshot was taken, on the usage samples' clock (`t`): for marking them on a chart */
  snapshotT: number[];
  /** the round of its first snapshot (1 unless the worker started during the watch) */
  firstRound: number;
  /** the worker exited during the watch (ms since the capture began), after this many snapshots */
  exited: { t: number; afterSnapshots: number } | null;
}

export interface CaptureResult {
  /** the main thread first (unless one worker was chosen), then the workers in the order they were found */
  isolates: IsolateCapture[];
  interrupted: boolean;
  /** the error that stopped the capture early (the target died, the transfer broke ...), if any */
  error: UserError | null;
  detach: { inspectorClosed: boolean | null; errors: string[] };
}

/** How close to its heap limit a target may be before a snapshot is refused (without --force). */
export const HEADROOM_LIMIT = 0.7;

/**
 * A rough pause estimate for a snapshot of a heap of this size. Measured on a 2-core machine (docs/BENCHMARKS.md):
 * a 300 MB heap takes ~27-30 s to serialize, whether written in-process or streamed to leakscope: ~11 MB/s.
 */
export function expectedPauseMs(used: number): number {
  return Math.round((used / 11e6) * 1000);
}

/**
 * Refuses a snapshot (UserError, exit 2) when the target is close to its heap limit, or when its cgroup's memory
 * limit leaves no room for the native graph a snapshot builds (about the size of the heap again).
 */
export function checkHeadroom(u: HeapUsage, pid: number | undefined, limits: { addressSpace?: AddressSpace | null } = {}): void {
  const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
  const cost = `a snapshot needs about ${mb(u.used)} more memory and pauses it about ${Math.max(1, Math.round(expectedPauseMs(u.used) / 1000))} s`;
  const suggestion = '`attach --no-snapshot` gives a verdict without one, with pauses of milliseconds; --force takes it anyway';
  // the old generation's own limit (--max-old-space-size): its young generation sits on top, so heap_size_limit
  // would put a full old space at half the limit
  if (u.oldLimit && u.oldUsed !== undefined && u.oldUsed / u.oldLimit > HEADROOM_LIMIT) {
    throw new UsageError(
      `the target uses ${mb(u.oldUsed)} of its ${mb(u.oldLimit)} old-space limit (--max-old-space-size): ${cost}, and could run out of heap (nodejs/node#50711); not taking one`,
      { suggestion },
    );
  }
  if (u.used / u.limit > HEADROOM_LIMIT) {
    throw new UsageError(
      `the target uses ${mb(u.used)} of its ${mb(u.limit)} heap limit (heap_size_limit): ${cost}, and could run out of heap (nodejs/node#50711); not taking one`,
      { suggestion },
    );
  }
  const as = limits.addressSpace !== undefined ? limits.addressSpace : pid !== undefined ? addressSpace(pid) : null;
  if (as && as.size + u.used > as.limit) {
    throw new UsageError(
      `the target's address space is limited (RLIMIT_AS, ulimit -v) to ${mb(as.limit)} and it uses ${mb(as.size)}: ${cost}, and would die of it (std::bad_alloc); not taking one`,
      { suggestion },
    );
  }
  const cgroup = pid !== undefined ? cgroupMemory(pid) : null;
  if (cgroup && cgroup.current + u.used > cgroup.limit) {
    throw new UsageError(
      `the target's cgroup uses ${mb(cgroup.current)} of its ${mb(cgroup.limit)} memory limit (${cgroup.source}): ${cost}, and the OOM killer could end it; not taking one`,
      { suggestion },
    );
  }
}

/** Snapshot files: <prefix>-<k> for the main thread, <prefix>-t<threadId>-<k> for a worker. */
export function isolateFile(plan: CapturePlan, thread: ThreadInfo, k: number, ext: 'heapsnapshot' | 'heapprofile'): string {
  return path.join(plan.outDir, `${plan.prefix}${thread.kind === 'main' ? '' : `-t${thread.id}`}-${k}.${ext}`);
}

export async function runCapture(
  session: InspectorSession,
  plan: CapturePlan,
  events: CaptureEvents,
  signal: AbortSignal,
): Promise<CaptureResult> {
  const result: CaptureResult = { isolates: [], interrupted: false, error: null, detach: { inspectorClosed: null, errors: [] } };
  const byThread = new Map<number, IsolateCapture>();
  let round = 0;
  const record = (s: InspectorSession): IsolateCapture => {
    let c = byThread.get(s.thread.id);
    if (!c) {
      c = {
        thread: s.thread,
        snapshots: [],
        profiles: [],
        profileData: [],
        usage: [],
        snapshotMs: [],
        snapshotT: [],
        firstRound: Math.max(1, round),
        exited: null,
      };
      byThread.set(s.thread.id, c);
      result.isolates.push(c);
    }
    return c;
  };
  const sampling = new Set<InspectorSession>();
  let isolates: Isolates | null = null;
  const selection = plan.threads ?? 'main';
  /** a worker that exits mid-step is recorded as exited; anything else on the main thread stops the capture */
  const onIsolate = async <T>(s: InspectorSession, fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn();
    } catch (err) {
      if (workerExited(s, err)) {
        markExited(s.thread);
        return null;
      }
      throw err;
    }
  };
  let watching = true; // workers let go at the end are detached, not exited
  const markExited = (t: ThreadInfo) => {
    const c = byThread.get(t.id);
    if (!watching || !c || c.exited) return;
    c.exited = { t: Date.now() - session.startedAt, afterSnapshots: c.snapshots.length };
    events.threadExited?.(t, c.snapshots.length);
  };
  const sampleUsage = async (s: InspectorSession) =>
    onIsolate(s, async () => {
      // the heap just before the GC says how much the program allocated since the last one (did it work at all?)
      const before = plan.gcBeforeUsage ? await s.heapUsage() : null;
      if (plan.gcBeforeUsage) await s.collectGarbage();
      const u = await s.heapUsage();
      if (plan.gcBeforeUsage) u.afterGc = true;
      if (before) u.usedBeforeGc = before.used;
      record(s).usage.push(u);
      events.usage?.(u, s.thread);
      return u;
    });
  try {
    isolates = await Isolates.watch(session, selection, { started: (t) => events.threadStarted?.(t), exited: (t) => markExited(t) });
    const live = () => (isolates as Isolates).current();
    for (let k = 1; k <= plan.snapshots; k++) {
      round = k;
      if (k > 1) {
        const until = Date.now() + plan.intervalMs;
        while (Date.now() < until && !signal.aborted) {
          events.waiting?.(k, until - Date.now());
          await sleep(Math.min(plan.usageEveryMs, Math.max(0, until - Date.now())), undefined, { signal }).catch(() => {});
          if (!signal.aborted) for (const s of live()) await sampleUsage(s);
        }
      }
      if (signal.aborted) {
        result.interrupted = true;
        break;
      }
      for (const s of live()) {
        if (signal.aborted) break;
        // the sampling heap profiler runs on the main thread only: in a worker, a session that sampled leaves
        // state behind that clears the isolate's heap object ids in the middle of the next session's series
        // (seen on Node 22 and 26 with two attaches in a row), and comparable ids are what names a holder
        if (plan.sampling && s.thread.kind === 'main' && !sampling.has(s)) {
          const started = await onIsolate(s, () => s.startSampling().then(() => true));
          if (started) sampling.add(s);
        }
        const u = await sampleUsage(s);
        if (!u) continue;
        if (!plan.force) checkHeadroom(u, plan.pid);
        if (plan.gc && (await onIsolate(s, () => s.collectGarbage().then(() => true))) === null) continue;
        // the garbage just collected: a post-GC sample, what the memory trends of a watch are judged on
        if (plan.gc && !plan.gcBeforeUsage) {
          const after = await onIsolate(s, () => s.heapUsage());
          if (!after) continue;
          record(s).usage.push({ ...after, afterGc: true });
          events.usage?.(after, s.thread);
        }
        events.snapshotStart?.(k, expectedPauseMs(u.used), s.thread);
        const file = isolateFile(plan, s.thread, k, 'heapsnapshot');
        const t0 = Date.now();
        const bytes = await onIsolate(s, () => s.takeSnapshot(file, (done, total) => events.snapshotProgress?.(k, done, total, s.thread)));
        if (bytes === null) continue;
        const c = record(s);
        c.snapshotMs.push(Date.now() - t0);
        c.snapshotT.push(u.t);
        c.snapshots.push(file);
        events.snapshotDone?.(k, file, bytes, Date.now() - t0, s.thread);
        if (plan.sampling && sampling.has(s)) {
          const profile = await onIsolate(s, () => s.samplingProfile());
          if (!profile) continue;
          const pfile = isolateFile(plan, s.thread, k, 'heapprofile');
          writeFileAtomic(pfile, JSON.stringify(profile));
          c.profiles.push(pfile);
          c.profileData.push(profile);
        }
      }
      if (signal.aborted && k < plan.snapshots) {
        result.interrupted = true;
        break;
      }
    }
    if (plan.afterLast && !result.interrupted && !signal.aborted) await plan.afterLast(live(), result, signal);
  } catch (err) {
    if (session.isDisconnected) {
      const n = result.isolates[0]?.snapshots.length ?? 0;
      result.error = new TargetError(`the target went away during the run (kept ${n} snapshot${n === 1 ? '' : 's'})`);
    } else if (err instanceof UserError) {
      result.error = err;
    } else {
      result.error = new InspectorError(`the inspector session failed: ${(err as Error).message}`);
    }
  } finally {
    watching = false;
    // the main thread's session dropped without us (the target died during the trace window, say): it is gone
    const droppedBeforeDetach = session.isDisconnected;
    result.detach = isolates ? await isolates.detach() : await session.detach();
    // a target that died at any moment — during the trace window, at the let-go — is a failed capture, never a
    // success: the report keeps what was gathered and says so (exit 3)
    if (!result.error && !result.interrupted && (droppedBeforeDetach || (plan.pid !== undefined && !processAlive(plan.pid)))) {
      const n = result.isolates[0]?.snapshots.length ?? 0;
      result.error = new TargetError(
        `the target${plan.pid !== undefined ? ` (pid ${plan.pid})` : ''} went away during the capture, after ${n} snapshot${n === 1 ? '' : 's'} (the report is what was gathered)`,
      );
    }
  }
  return result;
}

/** Is `pid` a live process (a zombie — exited, not yet reaped by its parent — is not)? */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}
