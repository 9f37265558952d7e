/**
 * The sampling plan of a live capture: heap usage every few seconds, and every interval a forced GC, a heap
 * snapshot streamed to disk and the sampling profiler's live allocations saved beside it. Stops early (keeping what
 * it gathered) when aborted (Ctrl-C) or when the target goes away; always detaches.
 */
import { writeFileAtomic } from '../files.js';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, UserError } from '../errors.js';
import type { SamplingProfile } from '../formats/heapprofile.js';
import type { HeapUsage, InspectorSession } from './session.js';
import { cgroupMemory } from './target.js';

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
}

export interface CaptureEvents {
  usage?(u: HeapUsage): void;
  snapshotStart?(k: number, expectedPauseMs: number): void;
  snapshotProgress?(k: number, done: number, total: number): void;
  snapshotDone?(k: number, file: string, bytes: number, ms: number): void;
  waiting?(k: number, msLeft: number): void;
}

export interface CaptureResult {
  snapshots: string[];
  profiles: string[];
  /** the same profiles, as taken (they are small: sampled allocations only) */
  profileData: SamplingProfile[];
  usage: HeapUsage[];
  interrupted: boolean;
  /** the error that stopped the capture early (the target died, the transfer broke ...), if any */
  error: UserError | null;
  detach: { inspectorClosed: boolean | null; errors: string[] };
  snapshotMs: number[];
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
export function checkHeadroom(u: HeapUsage, pid: number | undefined): void {
  const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
  const suggestion = 'pass --force to take it anyway';
  if (u.used / u.limit > HEADROOM_LIMIT) {
    throw new UserError(`the target uses ${mb(u.used)} of its ${mb(u.limit)} heap limit: a snapshot could push it over (nodejs/node#50711); not taking one`, { exitCode: ExitCode.usage, suggestion });
  }
  const cgroup = pid !== undefined ? cgroupMemory(pid) : null;
  if (cgroup && cgroup.current + u.used > cgroup.limit) {
    throw new UserError(`the target's cgroup uses ${mb(cgroup.current)} of its ${mb(cgroup.limit)} memory limit, and a snapshot needs about ${mb(u.used)} more: the OOM killer could end it; not taking one`, { exitCode: ExitCode.usage, suggestion });
  }
}


export async function runCapture(session: InspectorSession, plan: CapturePlan, events: CaptureEvents, signal: AbortSignal): Promise<CaptureResult> {
  const result: CaptureResult = { snapshots: [], profiles: [], profileData: [], usage: [], interrupted: false, error: null, detach: { inspectorClosed: null, errors: [] }, snapshotMs: [] };
  const sampleUsage = async () => {
    if (plan.gcBeforeUsage) await session.collectGarbage();
    const u = await session.heapUsage();
    result.usage.push(u);
    events.usage?.(u);
    return u;
  };
  try {
    if (plan.sampling) await session.startSampling();
    for (let k = 1; k <= plan.snapshots; k++) {
      if (k > 1) {
        const until = Date.now() + plan.intervalMs;
        while (Date.now() < until && !signal.aborted) {
          events.waiting?.(k, until - Date.now());
          await sleep(Math.min(plan.usageEveryMs, Math.max(0, until - Date.now())), undefined, { signal }).catch(() => {});
          if (!signal.aborted) await sampleUsage();
        }
      }
      if (signal.aborted) {
        result.interrupted = true;
        break;
      }
      const u = await sampleUsage();
      if (!plan.force) checkHeadroom(u, plan.pid);
      if (plan.gc) await session.collectGarbage();
      events.snapshotStart?.(k, expectedPauseMs(u.used));
      const file = path.join(plan.outDir, `${plan.prefix}-${k}.heapsnapshot`);
      const t0 = Date.now();
      const bytes = await session.takeSnapshot(file, (done, total) => events.snapshotProgress?.(k, done, total));
      result.snapshotMs.push(Date.now() - t0);
      result.snapshots.push(file);
      events.snapshotDone?.(k, file, bytes, Date.now() - t0);
      if (plan.sampling) {
        const profile = await session.samplingProfile();
        const pfile = path.join(plan.outDir, `${plan.prefix}-${k}.heapprofile`);
        writeFileAtomic(pfile, JSON.stringify(profile));
        result.profiles.push(pfile);
        result.profileData.push(profile);
      }
    }
  } catch (err) {
    if (session.isDisconnected) {
      result.error = new UserError(`the target went away during the run (kept ${result.snapshots.length} snapshot${result.snapshots.length === 1 ? '' : 's'})`, { exitCode: ExitCode.targetFailed });
    } else if (err instanceof UserError) {
      result.error = err;
    } else {
      result.error = new UserError(`the inspector session failed: ${(err as Error).message}`, { exitCode: ExitCode.inspector });
    }
  } finally {
    result.detach = await session.detach();
  }
  return result;
}
