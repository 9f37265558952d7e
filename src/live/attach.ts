/**
 * `leakscope attach`'s workflow: connect to every target (SIGUSR1 or a given inspector), capture each process's
 * isolates at once, trace what adds to the flagged holders before letting go, then analyse each series one at a time
 * and build the report with its exit code. The command turns flags into AttachOptions and renders the outcome; this
 * module decides nothing about text on a terminal (the live lines come through `out`).
 */
import { compareProfiles } from '../analysis/findings/allocations.js';
import { failsOn } from '../analysis/diff/diff.js';
import type { DiffFilesOptions } from '../analysis/diff/diff-files.js';
import type { FindingKind } from '../analysis/findings/kinds.js';
import { fromAllocationSites, holderVariable } from '../analysis/findings/added.js';
import { memoryTrends } from '../analysis/series/memory.js';
import { DEFAULT_HEAP_FLOOR, heapFloor } from '../analysis/series/soak.js';
import { connectToTarget, type ConnectEvents, type Connection, type TargetSpec } from '../capture/connect.js';
import { runCapture, type CaptureEvents, type CapturePlan, type CaptureResult } from '../capture/monitor.js';
import type { ThreadSelection } from '../capture/threads.js';
import { connectOrder, inspectProcess, nodeDescendants, processCwd } from '../capture/process.js';
import { ExitCode, UserError } from '../common/errors.js';
import { writeReportBeside } from '../common/files.js';
import { setProjectRoot } from '../common/format.js';
import { addSourceRoots } from '../common/source-files.js';
import { SourceMapper } from '../common/sourcemaps.js';
import { buildAttachReport, isolateReport, processReport, type AttachReport, type ProcessReport } from '../contracts/attach.js';
import { captureDirName, makeCaptureDir } from './capture-dir.js';
import type { Interrupts } from './interrupts.js';
import { GrowthTracer } from './trace-growth.js';

export interface AttachOptions {
  /** the pids given (none: one inspector by port or ws) */
  pids: number[];
  port?: number;
  ws?: string;
  host: string;
  /** also every Node.js descendant of the one pid */
  children: boolean;
  threads: ThreadSelection;
  intervalMs: number;
  snapshots: number;
  usageEveryMs: number;
  dir: string | undefined;
  gc: boolean;
  sampling: boolean;
  force: boolean;
  top: number;
  diffOptions: DiffFilesOptions;
  sourceMaps: boolean;
  sourceRoots: string[];
  traceGrowth: boolean;
  traceWindowMs: number;
  failOn: Set<FindingKind>;
  /** renders the HTML report written beside the snapshots (null: none) */
  html: ((report: AttachReport) => string) | null;
}

/** What the workflow says while it works (the command's live view). */
export interface LiveOutput {
  line(text: string): void;
  /** the capture's events for one process (the first one draws the chart) */
  capture(snapshots: number, o: { chart: boolean; who: string }): CaptureEvents;
  /** the capture is over: the live view gives the terminal back */
  stop(): void;
}

export interface AttachOutcome {
  report: AttachReport;
  /** the capture's own error (a target that went away): the report keeps what was gathered */
  error: { message: string; exitCode: number } | null;
  /** a signal stopped the capture: which, how many snapshots were taken, how each target was let go */
  interrupted: {
    signal: NodeJS.Signals;
    taken: number;
    detached: Array<{ detach: CaptureResult['detach']; openedByUs: boolean }>;
    files: boolean;
  } | null;
  /** where the snapshots are */
  outDir: string;
  /** an inspector leakscope opened and could not close: why (empty when every one is closed) */
  inspectorLeftOpen: string[];
}

/** Runs `attach` from connection to report; throws UserError for what stops it before anything is held. */
export async function attachWorkflow(o: AttachOptions, out: LiveOutput, interrupts: Interrupts): Promise<AttachOutcome> {
  let pids: number[];
  try {
    pids = targetPids(o);
  } catch (err) {
    interrupts.dispose();
    throw err;
  }
  const outDir = captureDirName(o.dir, pids.length === 1 ? pids[0] : pids.length > 1 ? `pids-${pids[0]}` : null);
  const specs: TargetSpec[] = pids.length ? pids.map((pid) => ({ pid, host: o.host })) : [{ port: o.port, ws: o.ws, host: o.host }];
  // from here until the targets are let go, signals abort the work instead of killing leakscope
  const conns = await interrupts.guard(
    connectAll(specs, {
      waitingForLock: (holder) => out.line(`waiting for another leakscope (pid ${holder}) to finish opening an inspector...`),
      waitingForTarget: (holder, pid) =>
        process.stderr.write(`leakscope: waiting for another leakscope (pid ${holder}) to let go of pid ${pid}...\n`),
    }),
  );
  try {
    makeCaptureDir(outDir); // only now: a refused target leaves no empty folder behind
  } catch (err) {
    for (const c of conns) await c.session.detach();
    interrupts.dispose();
    throw err;
  }
  const several = conns.length > 1;
  // places in the report are spelled relative to the target's project (its working directory)
  const cwd = conns[0].target ? processCwd(conns[0].target.pid) : null;
  if (cwd) setProjectRoot(cwd);
  addSourceRoots([
    ...o.sourceRoots,
    ...conns.flatMap((c) => (c.target ? [processCwd(c.target.pid)] : [])).filter((d): d is string => d !== null),
  ]);
  const mapper = o.sourceMaps ? new SourceMapper() : null;
  // which lines add to the flagged holders: one tracer per process, run before it is let go
  const tracers = conns.map(
    () => new GrowthTracer({ windowMs: o.traceWindowMs, diffOptions: o.diffOptions, mapper, onPhase: (t) => out.line(t) }),
  );
  const plans = conns.map(
    (c, i): CapturePlan => ({
      intervalMs: o.intervalMs,
      snapshots: o.snapshots,
      usageEveryMs: o.usageEveryMs,
      outDir,
      prefix: c.target ? `pid${c.target.pid}` : 'heap',
      gc: o.gc,
      sampling: o.sampling,
      force: o.force,
      pid: c.target?.pid,
      threads: o.threads,
      ...(o.traceGrowth ? { afterLast: tracers[i].afterLast } : {}),
    }),
  );

  let captures: CaptureResult[];
  try {
    for (const c of conns) {
      out.line(
        `attached to ${c.target ? `pid ${c.target.pid}` : c.address.host}:${c.address.port}; ${o.snapshots} snapshots, every ${Math.round(o.intervalMs / 1000)} s, into ${outDir}`,
      );
      if (c.otherClients > 0)
        out.line(
          `note: ${c.otherClients} other inspector client${c.otherClients === 1 ? ' is' : 's are'} connected to ${c.target ? `pid ${c.target.pid}` : 'the target'}`,
        );
    }
    // every process is watched at once; the live chart follows the first one's main thread
    captures = await Promise.all(
      conns.map((c, i) =>
        runCapture(
          c.session,
          plans[i],
          out.capture(o.snapshots, { chart: i === 0, who: several ? `pid ${c.target?.pid}` : '' }),
          interrupts.signal,
        ),
      ),
    );
  } finally {
    interrupts.dispose();
    out.stop();
  }

  const processes: ProcessReport[] = [];
  for (const [i, capture] of captures.entries()) {
    const isolates = [];
    // one series at a time: each diff holds one snapshot in memory
    for (const c of capture.isolates) {
      const diff = await tracers[i].diffOf(c, o.diffOptions);
      // where the memory grows (heap, Buffers, other external; native for the main thread, whose rss it is)
      // judged on the post-GC samples (one per snapshot) when there are enough: the others carry garbage
      const postGc = c.usage.filter((u) => u.afterGc);
      const series = postGc.length >= 3 ? postGc : c.usage;
      const memory =
        series.length >= 3
          ? memoryTrends(series, heapFloor(series, DEFAULT_HEAP_FLOOR), Number.POSITIVE_INFINITY, {
              native: c.thread.kind === 'main',
              snapshotT: c.snapshotT,
            })
          : null;
      // the growing allocation sites, compared once: the report shows the first --top; a flagged holder the trace
      // could not wrap looks for the function that adds to it among more of them (the next best answer)
      const candidates = compareProfiles(c.profileData, Math.max(50, o.top), mapper);
      const allocationSites = candidates.slice(0, o.top);
      for (const f of diff?.findings ?? [])
        if (f.addedAt?.source === 'none' && candidates.length)
          f.addedAt = fromAllocationSites(f.addedAt.methods, f.addedAt.why ?? 'not traced', candidates, holderVariable(f));
      isolates.push(isolateReport(c, { diff, allocationSites, memory }));
    }
    processes.push(processReport(conns[i], capture, isolates, tracers[i].report));
  }
  const report = buildAttachReport(plans[0], processes);
  if (o.html) report.reportFile = writeReportBeside(outDir, () => (o.html as (r: AttachReport) => string)(report));

  const failed = captures.find((c) => c.error);
  const taken = (c: CaptureResult) => c.isolates.reduce((a, x) => a + x.snapshots.length, 0);
  let exitCode: number = ExitCode.ok;
  let interrupted: AttachOutcome['interrupted'] = null;
  if (failed?.error) {
    // the report keeps what was gathered; the error still decides the exit code
    exitCode = failed.error.exitCode;
  } else if (interrupts.interrupted) {
    const n = Math.max(0, ...captures.map((c) => c.isolates[0]?.snapshots.length ?? 0));
    interrupted = {
      signal: interrupts.received as NodeJS.Signals,
      taken: n,
      detached: conns.map((c, i) => ({ detach: captures[i].detach, openedByUs: c.openedByUs })),
      files: captures.some((c) => taken(c) > 0),
    };
    exitCode = interrupts.exitCode;
  } else if (processes.some((p) => p.isolates.some((x) => x.diff && failsOn(x.diff, o.failOn)))) {
    exitCode = ExitCode.leak;
  } else if (report.verdict === 'inconclusive' && o.failOn.size > 0) {
    exitCode = ExitCode.inconclusive;
  }
  report.exitCode = exitCode;
  const inspectorLeftOpen = captures.filter((c) => c.detach.inspectorClosed === false).flatMap((c) => c.detach.errors);
  return {
    report,
    error: failed?.error ? { message: failed.error.message, exitCode: failed.error.exitCode } : null,
    interrupted,
    outDir,
    inspectorLeftOpen,
  };
}

/** The pids to attach to: as given, or the one given and its Node.js descendants (--children). */
function targetPids(o: AttachOptions): number[] {
  const pids = o.pids;
  if (new Set(pids).size !== pids.length) throw new UserError('the same pid is given twice');
  if (pids.length > 1 && (o.port !== undefined || o.ws !== undefined))
    throw new UserError('--port / --ws name one process: give either pids or one inspector');
  if (!o.children) return pids;
  if (pids.length !== 1) throw new UserError('--children takes exactly one pid (the parent: a cluster primary, a PM2 daemon)');
  const root = inspectProcess(pids[0]);
  const children = nodeDescendants(root.pid);
  if (children.length === 0)
    throw new UserError(`pid ${root.pid} has no Node.js child processes`, { suggestion: 'attach to it without --children' });
  return [root.pid, ...children];
}

/**
 * Connects to every target, one after the other and descendants first (connectOrder: a cluster primary pokes its
 * workers' inspectors when its own opens), and returns the connections in the order given. If one fails, the ones
 * already connected are let go before the error is passed on.
 */
async function connectAll(specs: TargetSpec[], events: ConnectEvents): Promise<Connection[]> {
  const order =
    specs.length > 1 ? connectOrder(specs.map((s) => s.pid as number)).map((pid) => specs.find((s) => s.pid === pid) as TargetSpec) : specs;
  const done = new Map<TargetSpec, Connection>();
  try {
    for (const spec of order) done.set(spec, await connectToTarget(spec, events));
  } catch (err) {
    for (const c of done.values()) await c.session.detach();
    throw err;
  }
  return specs.map((s) => done.get(s) as Connection);
}
