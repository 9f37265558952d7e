/**
 * `leakscope attach`'s report (schema leakscope.attach/v1) and `snapshot`'s (leakscope.snapshot/v1): the JSON
 * contracts, built from the capture and the diff.
 */
import type { AllocationSite } from '../analysis/allocations.js';
import type { DiffResult } from '../analysis/diff.js';
import type { Connection } from '../capture/connect.js';
import type { CapturePlan, CaptureResult } from '../capture/monitor.js';
import type { HeapUsage } from '../capture/session.js';

export const ATTACH_SCHEMA = 'leakscope.attach/v1';
export const SNAPSHOT_SCHEMA = 'leakscope.snapshot/v1';

/** One heap-usage sample (ms since the capture began; bytes), as the session measures it. */
export type UsageSample = HeapUsage;

export interface AttachReport {
  schema: typeof ATTACH_SCHEMA;
  target: { pid: number | null; command: string | null; inspector: string; openedByUs: boolean };
  plan: { intervalMs: number; snapshots: number; outDir: string; gc: boolean; sampling: boolean };
  snapshots: string[];
  profiles: string[];
  snapshotMs: number[];
  usage: UsageSample[];
  verdict: DiffResult['verdict'];
  reason: string;
  diff: DiffResult | null;
  allocationSites: AllocationSite[];
  interrupted: boolean;
  error: string | null;
  detach: { inspectorClosed: boolean | null; errors: string[] };
}

export function buildAttachReport(conn: Connection, plan: CapturePlan, capture: CaptureResult, diff: DiffResult | null, allocationSites: AllocationSite[]): AttachReport {
  const n = capture.snapshots.length;
  return {
    schema: ATTACH_SCHEMA,
    target: { pid: conn.target?.pid ?? null, command: conn.target ? conn.target.commandLine.join(' ').slice(0, 200) : null, inspector: `${conn.address.host}:${conn.address.port}`, openedByUs: conn.openedByUs },
    plan: { intervalMs: plan.intervalMs, snapshots: plan.snapshots, outDir: plan.outDir, gc: plan.gc, sampling: plan.sampling },
    snapshots: capture.snapshots,
    profiles: capture.profiles,
    snapshotMs: capture.snapshotMs,
    usage: capture.usage,
    verdict: diff ? diff.verdict : 'inconclusive',
    reason: diff ? diff.reason : `only ${n} snapshot${n === 1 ? '' : 's'} taken: at least 2 are needed to compare`,
    diff,
    allocationSites,
    interrupted: capture.interrupted,
    error: capture.error?.message ?? null,
    detach: capture.detach,
  };
}

export interface SnapshotReport {
  schema: typeof SNAPSHOT_SCHEMA;
  /** null when interrupted: no file is kept */
  file: string | null;
  bytes: number;
  seconds: number;
  heapUsed: number;
  heapLimit: number;
  gc: boolean;
  inspectorClosed: boolean | null;
  /** the signal that stopped it, if one did */
  interrupted?: NodeJS.Signals | null;
}
