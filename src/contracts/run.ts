/**
 * `leakscope run`'s report: the JSON contract (schema leakscope.run/v1) and how it is built from the soak (capture
 * layer) and its judgement (analysis layer). Reporters render it; the command only wires these together.
 */
import type { DiffResult } from '../analysis/diff/diff.js';
import type { FindingKind } from '../analysis/findings/kinds.js';
import type { SoakJudgement } from '../analysis/series/soak.js';
import type { Trend } from '../analysis/series/trend.js';
import type { MemoryTrends } from '../analysis/series/memory.js';
import type { GrowthTraceReport } from '../analysis/findings/added.js';
import type { ExitStatus } from '../capture/program.js';
import type { SoakResult } from '../capture/soak.js';
import { ExitCode } from '../common/errors.js';
import type { UsageSample } from './attach.js';
import type { IsolateCapture } from '../capture/monitor.js';
import type { ThreadInfo } from '../capture/session.js';

// the capture types a report carries, for the reporters (which import contracts, never capture/)
export type { ExitStatus, ThreadInfo };
import { threadLabel } from '../common/format.js';

export const RUN_SCHEMA = 'leakscope.run/v1';

export interface RunReport {
  schema: typeof RUN_SCHEMA;
  command: string[];
  verdict: SoakJudgement['verdict'];
  reason: string;
  exitCode: number;
  trend: Trend | null;
  maxGrowth: number;
  failOn: string[];
  failing: SoakJudgement['failing'];
  accepted: SoakJudgement['accepted'];
  ignored: SoakJudgement['ignored'];
  watch: SoakJudgement['watch'];
  /** the heap slope that counts as growth (bytes/min) */
  heapFloor: number;
  /** where the main thread's process grows: JS heap, Buffers (arrayBuffers), other external, native (rss) */
  memory: MemoryTrends | null;
  /** which lines add to the main thread's flagged holders, and that the wrappers were removed (null: not traced) */
  growthTrace: GrowthTraceReport | null;
  diff: DiffResult | null;
  snapshots: string[];
  /** when each snapshot was taken, on the usage samples' clock */
  snapshotT: number[];
  usage: UsageSample[];
  warmup: Array<{ t: number; used: number }>;
  program: { exit: ExitStatus | null; stoppedByUs: boolean; stderrTail: string };
  load: { command: string; runs: number; exits: ExitStatus[]; failed: boolean; output: string } | null;
  error: string | null;
  /** the program's worker threads, each judged on its own (the fields above are the main thread's) */
  workers: WorkerRun[];
  /** where the HTML report was written (null: not written) */
  reportFile: string | null;
  /** a passing run drops its snapshots (every secret of the program) unless --keep-snapshots */
  snapshotsDropped: boolean;
}

export interface WorkerRun {
  thread: ThreadInfo;
  label: string;
  verdict: SoakJudgement['verdict'];
  reason: string;
  trend: Trend | null;
  /** this worker's heap, Buffers and other external memory (rss is the process's: see the main thread's) */
  memory: MemoryTrends | null;
  snapshots: string[];
  snapshotT: number[];
  usage: UsageSample[];
  diff: DiffResult | null;
  firstRound: number;
  exited: { t: number; afterSnapshots: number } | null;
}

/** A worker's part of the run: its capture, its diff and its own judgement. */
export interface WorkerOutcome {
  capture: IsolateCapture;
  diff: DiffResult | null;
  judgement: SoakJudgement;
}

export interface RunOutcome {
  command: string[];
  soak: SoakResult;
  diff: DiffResult | null;
  judgement: SoakJudgement;
  maxGrowth: number;
  failOn: Set<FindingKind>;
  /** `interrupted by SIGINT after …: no verdict` when a signal stopped the run */
  interrupted: string | null;
  /** the findings were written to the baseline file (--update-baseline): the run passes */
  baselineUpdated: boolean;
  /** 128 + the signal, when interrupted */
  interruptExitCode: number;
  workers: WorkerOutcome[];
  /** the growth trace (which lines add to the flagged holders), when it ran */
  growthTrace?: GrowthTraceReport | null;
  reportFile?: string | null;
  snapshotsDropped?: boolean;
}

/**
 * The exit code: 1 for a leak, 0 otherwise; the soak's own error (3: the program or the load failed) or the
 * interrupting signal (128 + n) take precedence; writing a baseline passes.
 */
export function runExitCode(o: RunOutcome): number {
  // an inconclusive run is not a pass when the run fails on leaks (the default): it says why, and exits 7
  let code: number =
    o.judgement.verdict === 'leak'
      ? ExitCode.leak
      : o.judgement.verdict === 'inconclusive' && o.failOn.size > 0
        ? ExitCode.inconclusive
        : ExitCode.ok;
  if (o.soak.error) code = o.soak.error.exitCode;
  if (o.interrupted) code = o.interruptExitCode;
  if (o.baselineUpdated) code = ExitCode.ok;
  return code;
}

export function buildRunReport(o: RunOutcome): RunReport {
  const { soak, judgement } = o;
  return {
    schema: RUN_SCHEMA,
    command: o.command,
    // a run that failed or was interrupted has no verdict
    verdict: soak.error || o.interrupted ? 'inconclusive' : judgement.verdict,
    reason:
      o.interrupted ??
      (soak.error ? soak.error.message.split('\n')[0].replace(/; its (stderr|output) ended with:$/, '') : judgement.reason),
    exitCode: runExitCode(o),
    trend: judgement.trend,
    maxGrowth: o.maxGrowth,
    failOn: [...o.failOn],
    failing: judgement.failing,
    accepted: judgement.accepted,
    ignored: judgement.ignored,
    watch: judgement.watch,
    heapFloor: judgement.floor,
    memory: judgement.memory,
    growthTrace: o.growthTrace ?? null,
    diff: o.diff,
    snapshots: mainIsolate(soak)?.snapshots ?? [],
    usage: mainIsolate(soak)?.usage ?? [],
    snapshotT: mainIsolate(soak)?.snapshotT ?? [],
    warmup: soak.warmup.map((u) => ({ t: u.t, used: u.used })),
    program: {
      exit: soak.programExit,
      stoppedByUs: soak.programStoppedByUs,
      stderrTail: soak.programOutput.stderr.split('\n').slice(-30).join('\n'),
    },
    load: soak.load,
    error: soak.error?.message ?? null,
    reportFile: o.reportFile ?? null,
    snapshotsDropped: o.snapshotsDropped === true,
    workers: o.workers.map((w) => ({
      thread: w.capture.thread,
      label: threadLabel(w.capture.thread),
      verdict: w.judgement.verdict,
      reason: w.judgement.reason,
      trend: w.judgement.trend,
      memory: w.judgement.memory,
      snapshots: w.capture.snapshots,
      usage: w.capture.usage,
      snapshotT: w.capture.snapshotT,
      diff: w.diff,
      firstRound: w.capture.firstRound,
      exited: w.capture.exited,
    })),
  };
}

/** The main thread's capture in a soak. */
export function mainIsolate(soak: SoakResult): IsolateCapture | undefined {
  return soak.capture?.isolates.find((i) => i.thread.kind === 'main');
}
