/**
 * `leakscope run`'s workflow: start the program and its load, warm up, capture its isolates, trace what adds to the
 * flagged holders before the program is stopped, then judge each isolate's series (one diff at a time), merge the
 * judgements into one verdict, keep or drop the snapshots, and build the report with its exit code. The command turns
 * flags into RunOptions and renders the outcome; live lines come through `out`.
 */
import { rmSync } from 'node:fs';
import type { Baseline } from '../analysis/findings/baseline.js';
import { writeBaseline } from '../analysis/findings/baseline.js';
import type { DiffFilesOptions } from '../analysis/diff/diff-files.js';
import type { FindingKind } from '../analysis/findings/kinds.js';
import { judgeSoak, mergeIsolateJudgements, type SoakJudgement } from '../analysis/series/soak.js';
import type { IsolateCapture } from '../capture/monitor.js';
import type { Readiness } from '../capture/program.js';
import { runSoak, type SoakEvents, type SoakResult } from '../capture/soak.js';
import type { ThreadSelection } from '../capture/threads.js';
import { writeReportBeside } from '../common/files.js';
import { threadLabel } from '../common/format.js';
import { SourceMapper } from '../common/sourcemaps.js';
import { buildRunReport, mainIsolate, type RunReport, type WorkerOutcome } from '../contracts/run.js';
import type { Interrupts } from './interrupts.js';
import { GrowthTracer } from './trace-growth.js';

export interface RunOptions {
  command: string[];
  load?: string;
  loadRestart: boolean;
  readiness: Readiness;
  warmupMs: number;
  durationMs: number;
  intervalMs: number;
  usageEveryMs: number;
  graceMs: number;
  trackAllocations: boolean;
  threads: ThreadSelection;
  /** the capture folder, already created */
  outDir: string;
  diffOptions: DiffFilesOptions;
  sourceMaps: boolean;
  traceGrowth: boolean;
  traceWindowMs: number;
  maxGrowth: number;
  floor: { minRate: number; minShare: number };
  failOn: Set<FindingKind>;
  /** accepted findings (null: none) */
  baseline: Baseline | null;
  /** write this run's findings to this file instead of judging against it */
  updateBaseline: string | null;
  keepSnapshots: boolean;
  /** renders the HTML report written beside the snapshots (null: none) */
  html: ((report: RunReport) => string) | null;
}

/** What the workflow says while it works (the command's live view). */
export interface RunOutput {
  line(text: string): void;
  events(snapshots: number): SoakEvents;
  /** the capture is over: the live view gives the terminal back */
  stop(): void;
}

export interface RunOutcome {
  report: RunReport;
  /** the judgement the report was built from (JUnit and SARIF render it) */
  judgement: SoakJudgement;
  /** "interrupted by SIGINT after 1 of 4 snapshots: no verdict" (null: not interrupted) */
  interrupted: string | null;
  /** why the run could not finish (the program or the load failed) */
  error: string | null;
}

/** The number of snapshots a run takes: one per interval over the duration, and the first. */
export function runSnapshots(o: Pick<RunOptions, 'durationMs' | 'intervalMs'>): number {
  return Math.max(2, Math.floor(o.durationMs / o.intervalMs) + 1);
}

export async function runWorkflow(o: RunOptions, out: RunOutput, interrupts: Interrupts): Promise<RunOutcome> {
  const snapshots = runSnapshots(o);
  // which lines add to the flagged holders, traced before the program is let go (its diff is reused below)
  const tracer = new GrowthTracer({
    windowMs: o.traceWindowMs,
    diffOptions: o.diffOptions,
    mapper: o.sourceMaps ? new SourceMapper() : null,
    onPhase: (t) => out.line(t),
  });
  let soak: SoakResult;
  try {
    soak = await runSoak(
      {
        command: o.command,
        load: o.load,
        loadRestart: o.loadRestart,
        readiness: o.readiness,
        warmupMs: o.warmupMs,
        graceMs: o.graceMs,
        trackAllocations: o.trackAllocations,
        plan: {
          intervalMs: o.intervalMs,
          snapshots,
          usageEveryMs: o.usageEveryMs,
          outDir: o.outDir,
          prefix: 'run',
          gc: true,
          sampling: false,
          force: false,
          gcBeforeUsage: true,
          threads: o.threads,
          ...(o.traceGrowth ? { afterLast: tracer.afterLast } : {}),
        },
      },
      out.events(snapshots),
      interrupts.signal,
    );
  } finally {
    interrupts.dispose();
    out.stop();
  }

  const judge = async (c: IsolateCapture | undefined) => {
    const diff = c ? await tracer.diffOf(c, o.diffOptions) : null;
    // rss is the process's: only the main thread's judgement looks at the native memory it implies
    return {
      diff,
      judgement: judgeSoak({
        diff,
        usage: c?.usage ?? [],
        snapshotT: c?.snapshotT ?? [],
        processWide: !c || c.thread.kind === 'main',
        maxGrowth: o.maxGrowth,
        floor: o.floor,
        failOn: o.failOn,
        baseline: o.baseline,
      }),
    };
  };
  // each isolate (the main thread, each worker thread) is judged on its own series, one diff at a time
  const mainCapture = mainIsolate(soak);
  const { diff, judgement: mainJudgement } = await judge(mainCapture);
  const workers: WorkerOutcome[] = [];
  for (const c of soak.capture?.isolates ?? []) if (c !== mainCapture) workers.push({ capture: c, ...(await judge(c)) });
  const judgement =
    workers.length === 0
      ? mainJudgement
      : mergeIsolateJudgements([
          ...(mainCapture ? [{ label: 'main thread', main: true, judgement: mainJudgement }] : []),
          ...workers.map((w) => ({ label: threadLabel(w.capture.thread), main: false, judgement: w.judgement })),
        ]);
  const files = mainCapture?.snapshots ?? workers[0]?.capture.snapshots ?? [];
  // an interrupted run has no verdict: it says so, and exits 128 + the signal (130 for Ctrl-C)
  const interrupted = interrupts.interrupted
    ? `interrupted by ${interrupts.received} after ${files.length} of ${snapshots} snapshots: no verdict`
    : null;
  const baselineUpdated = Boolean(o.updateBaseline && !soak.error && !interrupted);
  if (baselineUpdated)
    writeBaseline(o.updateBaseline as string, [...(diff?.findings ?? []), ...workers.flatMap((w) => w.diff?.findings ?? [])]);
  // a passing run keeps its report and drops its snapshots: they hold every secret of the program
  const passed = judgement.verdict === 'no-leak' && !soak.error && !interrupted;
  const snapshotsDropped = passed && !o.keepSnapshots && dropSnapshots(soak);
  const report = buildRunReport({
    command: o.command,
    soak,
    diff,
    judgement,
    maxGrowth: o.maxGrowth,
    failOn: o.failOn,
    interrupted,
    baselineUpdated,
    interruptExitCode: interrupts.exitCode,
    workers,
    growthTrace: tracer.report,
    snapshotsDropped,
  });
  // the HTML report beside the snapshots (a CI artifact to attach as is)
  if (o.html) report.reportFile = writeReportBeside(o.outDir, () => (o.html as (r: RunReport) => string)(report));
  return { report, judgement, interrupted, error: soak.error?.message ?? null };
}

/** Removes a soak's snapshots and profiles (a passing run's): true when there were some and they are gone. */
function dropSnapshots(soak: { capture: { isolates: Array<{ snapshots: string[]; profiles: string[] }> } | null }): boolean {
  const files = (soak.capture?.isolates ?? []).flatMap((c) => [...c.snapshots, ...c.profiles]);
  for (const f of files) rmSync(f, { force: true });
  return files.length > 0;
}
