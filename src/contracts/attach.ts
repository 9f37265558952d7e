/**
 * `leakscope attach`'s report (schema leakscope.attach/v2: one or several processes, each with its isolates — the
 * main thread and its worker threads — each judged on its own) and `snapshot`'s (leakscope.snapshot/v2): the JSON
 * contracts, built from the captures and the diffs.
 */
import type { AllocationSite } from '../analysis/findings/allocations.js';
import type { DiffResult } from '../analysis/diff/diff.js';
import type { Verdict } from '../analysis/findings/findings.js';
import type { MemoryTrends } from '../analysis/series/memory.js';
import type { GrowthTraceReport } from '../analysis/findings/added.js';
import type { Connection } from '../capture/connect.js';
import type { CapturePlan, CaptureResult, IsolateCapture } from '../capture/monitor.js';
import type { HeapUsage, ThreadInfo } from '../capture/session.js';

// the capture events the live view renders, for the reporters (which import contracts, never capture/)
export type { CaptureEvents } from '../capture/monitor.js';
import { threadLabel } from '../common/format.js';

export const ATTACH_SCHEMA = 'leakscope.attach/v2';
export const SNAPSHOT_SCHEMA = 'leakscope.snapshot/v2';

/** One heap-usage sample (ms since the capture began; bytes), as the session measures it. */
export type UsageSample = HeapUsage;

/** One isolate's series and its own verdict. */
export interface IsolateReport {
  thread: ThreadInfo;
  /** "main thread", or `worker 1 "results-pool" (/srv/pool.mjs)` */
  label: string;
  snapshots: string[];
  profiles: string[];
  snapshotMs: number[];
  /** when each snapshot was taken, on the usage samples' clock */
  snapshotT: number[];
  usage: UsageSample[];
  verdict: Verdict;
  reason: string;
  diff: DiffResult | null;
  allocationSites: AllocationSite[];
  /** where the isolate's memory grew over the watch: JS heap, Buffers, other external (and native, main thread) */
  memory: MemoryTrends | null;
  /** the snapshot round of its first snapshot (later than 1 for a worker started during the watch) */
  firstRound: number;
  /** a worker that exited during the watch: when, and after how many of its snapshots */
  exited: { t: number; afterSnapshots: number } | null;
}

export interface ProcessReport {
  target: {
    pid: number | null;
    command: string | null;
    inspector: string;
    openedByUs: boolean;
    otherClients: number /** its own inspector listens on every interface */;
    exposed: boolean;
  };
  isolates: IsolateReport[];
  /** which lines add to the main thread's flagged holders, and that the wrappers were removed (null: not traced) */
  growthTrace: GrowthTraceReport | null;
  interrupted: boolean;
  error: string | null;
  detach: { inspectorClosed: boolean | null; errors: string[] };
}

export interface AttachReport {
  schema: typeof ATTACH_SCHEMA;
  /** over every isolate of every process: leak if one leaks; no-leak only if every judged isolate is clean */
  verdict: Verdict;
  /** the reason of the isolate that decides the verdict, prefixed with which one it is when there are several */
  reason: string;
  plan: { intervalMs: number; snapshots: number; outDir: string; gc: boolean; sampling: boolean; threads: string };
  processes: ProcessReport[];
  /** where the HTML report was written (null: not written) */
  reportFile: string | null;
  /** the exit code the command ends with (0 no leak or report only, 1 leak, 3 target lost, 7 inconclusive, 128+n interrupted) */
  exitCode: number;
}

/** What an isolate's series gave: its diff (2+ snapshots) and its allocation sites. */
export interface IsolateAnalysis {
  diff: DiffResult | null;
  allocationSites: AllocationSite[];
  memory: MemoryTrends | null;
}

export function isolateReport(c: IsolateCapture, a: IsolateAnalysis): IsolateReport {
  const n = c.snapshots.length;
  const why = c.exited ? `it exited after ${n} snapshot${n === 1 ? '' : 's'}` : `only ${n} snapshot${n === 1 ? '' : 's'} taken`;
  return {
    thread: c.thread,
    label: threadLabel(c.thread),
    snapshots: c.snapshots,
    profiles: c.profiles,
    snapshotMs: c.snapshotMs,
    snapshotT: c.snapshotT,
    usage: c.usage,
    verdict: a.diff ? a.diff.verdict : 'inconclusive',
    reason: a.diff ? a.diff.reason : `${why}: at least 2 are needed to compare`,
    diff: a.diff,
    allocationSites: a.allocationSites,
    memory: a.memory,
    firstRound: c.firstRound,
    exited: c.exited,
  };
}

export function processReport(
  conn: Connection,
  capture: CaptureResult,
  isolates: IsolateReport[],
  growthTrace: GrowthTraceReport | null = null,
): ProcessReport {
  return {
    target: {
      pid: conn.target?.pid ?? null,
      command: conn.target ? conn.target.commandLine.join(' ').slice(0, 200) : null,
      inspector: `${conn.address.host}:${conn.address.port}`,
      openedByUs: conn.openedByUs,
      otherClients: conn.otherClients,
      exposed: conn.exposed,
    },
    isolates,
    growthTrace,
    interrupted: capture.interrupted,
    error: capture.error?.message ?? null,
    detach: capture.detach,
  };
}

/** "pid 123, worker 1 …" when there are several processes; just the isolate's label when there is one. */
export function isolateName(p: ProcessReport, i: IsolateReport, several: boolean): string {
  const who = p.target.pid !== null ? `pid ${p.target.pid}` : p.target.inspector;
  return several ? `${who}, ${i.label}` : i.label;
}

export function buildAttachReport(plan: CapturePlan, processes: ProcessReport[]): AttachReport {
  const all = processes.flatMap((p) => p.isolates.map((i) => ({ p, i })));
  const severalProcesses = processes.length > 1;
  const severalIsolates = all.length > 1;
  const name = (x: { p: ProcessReport; i: IsolateReport }) => isolateName(x.p, x.i, severalProcesses);
  const leaking = all.filter((x) => x.i.verdict === 'leak');
  const judged = all.filter((x) => x.i.verdict !== 'inconclusive');
  let verdict: Verdict;
  let reason: string;
  if (leaking.length > 0) {
    verdict = 'leak';
    const first = leaking[0];
    reason = severalIsolates
      ? `${name(first)}: ${first.i.reason}${leaking.length > 1 ? ` (and ${leaking.length - 1} more isolate${leaking.length > 2 ? 's' : ''} leaking: ${leaking.slice(1).map(name).join('; ')})` : ''}`
      : first.i.reason;
  } else if (judged.length > 0) {
    // nothing leaks: every isolate that could be judged is clean
    verdict = 'no-leak';
    const unjudged = all.filter((x) => x.i.verdict === 'inconclusive');
    reason = severalIsolates
      ? `no leak in ${judged.length === 1 ? name(judged[0]) : `any of ${judged.length} isolates (${judged.map(name).join('; ')})`}${unjudged.length ? `; not judged: ${unjudged.map((x) => `${name(x)} (${x.i.reason.split(':')[0]})`).join('; ')}` : ''}`
      : judged[0].i.reason;
  } else {
    verdict = 'inconclusive';
    reason =
      all.length === 0
        ? 'no isolate was captured'
        : severalIsolates
          ? all.map((x) => `${name(x)}: ${x.i.reason}`).join('; ')
          : all[0].i.reason;
  }
  return {
    schema: ATTACH_SCHEMA,
    verdict,
    reason,
    plan: {
      intervalMs: plan.intervalMs,
      snapshots: plan.snapshots,
      outDir: plan.outDir,
      gc: plan.gc,
      sampling: plan.sampling,
      threads: String(plan.threads ?? 'main'),
    },
    processes,
    reportFile: null,
    exitCode: 0,
  };
}

export interface SnapshotReport {
  schema: typeof SNAPSHOT_SCHEMA;
  /** one per isolate written; empty when interrupted (no partial file is kept) */
  files: Array<{ thread: ThreadInfo; label: string; file: string; bytes: number; seconds: number; heapUsed: number; heapLimit: number }>;
  gc: boolean;
  inspectorClosed: boolean | null;
  /** workers that exited before their snapshot could be taken */
  exited: string[];
  /** the signal that stopped it, if one did */
  interrupted?: NodeJS.Signals | null;
}
