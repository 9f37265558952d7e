import { Flags } from '@oclif/core';
import { compareProfiles } from '../analysis/allocations.js';
import { DEFAULT_DIFF_OPTIONS, failsOn } from '../analysis/diff.js';
import { diffFiles } from '../analysis/diff-files.js';
import { connectToTarget, type ConnectEvents, type Connection, type TargetSpec } from '../capture/connect.js';
import { runCapture, type CapturePlan, type CaptureResult } from '../capture/monitor.js';
import { connectOrder, inspectProcess, nodeDescendants, processCwd } from '../capture/target.js';
import { setProjectRoot } from '../format.js';
import { addSourceRoots } from '../source-files.js';
import { sourceMapsFlag, captureDirFlag, duration, durationFlag, failingKinds, formatFlag, outputFlag, reportFailFlags, significanceFlags, significanceOptions, topFlag, traceGrowthFlags, htmlFlag, sourceRootFlag, grouped } from '../cli/flags.js';
import { printableDeep } from '../text.js';
import { SourceMapper } from '../sourcemaps.js';
import { Interrupts } from '../cli/interrupts.js';
import { BaseCommand } from '../cli/base.js';
import { captureDirName, makeCaptureDir, parsePid, targetArgs, targetFlags, threadFlag } from '../cli/targeting.js';
import { ExitCode, UserError } from '../errors.js';
import { checkDestination } from '../files.js';
import { memoryTrends } from '../analysis/memory.js';
import { GrowthTracer } from '../cli/trace-growth.js';
import { attachHtml } from '../reporters/html.js';
import { writeReportBeside } from '../files.js';
import { fromAllocationSites, holderVariable } from '../analysis/added.js';
import { DEFAULT_HEAP_FLOOR, heapFloor } from '../analysis/soak.js';
import { buildAttachReport, isolateReport, processReport, type AttachReport, type ProcessReport } from '../reports/attach.js';
import { attachMarkdown, attachTable, detachText, liveHeapChart } from '../reporters/attach.js';
import { verdictLine } from '../reporters/diff.js';
import { captureEvents, createLiveView } from '../reporters/live.js';

export default class Attach extends BaseCommand {
  static override summary = 'Attach to a running Node.js process, watch its heap over time, and report what leaks.';

  static override description = `No restart, no code change: confirms the pid runs Node.js, opens its inspector with SIGUSR1 (loopback only; moved off port 9229 at once, so other attaches can work side by side), and every --interval forces a GC and streams a heap snapshot to disk — of the main thread and of every worker thread (--thread) — while the sampling heap profiler records which lines allocate the memory that stays. Several pids, or --children of one, are watched at once and reported together, each isolate with its own verdict. Then it reports the verdict, the leaking collections with their retainer path and declaration, the allocation sites whose live memory grew, and a chart of the heap. The target is left as found: profiler stopped, inspector closed if leakscope opened it. Ctrl-C stops early and still reports.`;

  static override examples = [
    '<%= config.bin %> attach 12345',
    '<%= config.bin %> attach 12345 --interval 1m --snapshots 4 --dir ./snapshots',
    '<%= config.bin %> attach 12345 23456 --duration 5m',
    '<%= config.bin %> attach --children 12345 --duration 2m',
    '<%= config.bin %> attach 12345 --thread 2',
    '<%= config.bin %> attach --port 9229 --duration 5m --json',
  ];

  static override strict = false;

  static override args = targetArgs;

  static override flags = grouped({
    ...targetFlags,
    children: Flags.boolean({ description: "also watch the pid's Node.js descendants (a cluster primary's workers, a PM2 daemon's apps); one report lists each process", default: false }),
    thread: threadFlag(),
    interval: duration('time between snapshots', '30s'),
    snapshots: Flags.integer({ description: 'number of snapshots (2 to compare, 3+ for a leak verdict)', default: 3, min: 2, max: 100 }),
    duration: durationFlag({ description: 'total duration; sets the interval to duration / (snapshots - 1)' }),
    'usage-every': duration('how often to sample heap usage between snapshots', '2s'),
    dir: captureDirFlag('./.leakscope/<pid>-<time>/'),
    gc: Flags.boolean({ description: 'force a GC before each snapshot', default: true, allowNo: true }),
    sampling: Flags.boolean({ description: 'run the sampling heap profiler between snapshots', default: true, allowNo: true }),
    force: Flags.boolean({ description: 'take snapshots even when the target is close to its heap limit', default: false }),
    ...reportFailFlags,
    top: topFlag('findings, classes and sites'),
    format: formatFlag(['table', 'markdown', 'html'] as const),
    html: htmlFlag,
    output: outputFlag,
    ...significanceFlags,
    'source-maps': sourceMapsFlag,
    'source-root': sourceRootFlag,
    verbose: Flags.boolean({ description: 'every finding in full, the watch items, the evidence, the per-class table and the charts', default: false }),
    ...traceGrowthFlags('10s'),
  });

  async run(): Promise<AttachReport> {
    const { argv, flags } = await this.parse(Attach);
    // the first pid arrives parsed (the pid argument), any further ones as given
    let pids = (argv as Array<string | number>).map((a) => parsePid(String(a)));
    if (new Set(pids).size !== pids.length) throw new UserError('the same pid is given twice');
    if (pids.length > 1 && (flags.port !== undefined || flags.ws !== undefined)) throw new UserError('--port / --ws name one process: give either pids or one inspector');
    if (flags.children) {
      if (pids.length !== 1) throw new UserError('--children takes exactly one pid (the parent: a cluster primary, a PM2 daemon)');
      const root = inspectProcess(pids[0]);
      const children = nodeDescendants(root.pid);
      if (children.length === 0) throw new UserError(`pid ${root.pid} has no Node.js child processes`, { suggestion: 'attach to it without --children' });
      pids = [root.pid, ...children];
    }
    let intervalMs = flags.interval;
    if (flags.duration !== undefined) intervalMs = flags.snapshots > 1 ? flags.duration / (flags.snapshots - 1) : flags.duration;
    const usageEveryMs = Math.min(flags['usage-every'], Math.max(250, intervalMs / 2));
    if (flags.output) checkDestination(flags.output);
    const live = createLiveView(this.viewMode, liveHeapChart);
    const outDir = captureDirName(flags.dir, pids.length === 1 ? pids[0] : pids.length > 1 ? `pids-${pids[0]}` : null);
    const specs: TargetSpec[] = pids.length ? pids.map((pid) => ({ pid, host: flags.host })) : [{ port: flags.port, ws: flags.ws, host: flags.host }];
    // from here until the targets are let go, signals abort the work instead of killing leakscope
    const interrupts = new Interrupts(() => live.line('stopping: detaching from the targets and writing the report from what was gathered...'));
    const conns = await interrupts.guard(connectAll(specs, { waitingForLock: (holder) => live.line(`waiting for another leakscope (pid ${holder}) to finish opening an inspector...`), waitingForTarget: (holder, pid) => process.stderr.write(`leakscope: waiting for another leakscope (pid ${holder}) to let go of pid ${pid}...\n`) }));
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
    addSourceRoots([...(flags['source-root'] ?? []), ...conns.flatMap((c) => (c.target ? [processCwd(c.target.pid)] : [])).filter((d): d is string => d !== null)]);
    const diffOptions = { ...DEFAULT_DIFF_OPTIONS, top: flags.top, significance: significanceOptions(flags), sourceMaps: flags['source-maps'] };
    const mapper = flags['source-maps'] ? new SourceMapper() : null;
    // which lines add to the flagged holders: one tracer per process, run before it is let go
    const tracers = conns.map(() => new GrowthTracer({ windowMs: flags['trace-window'], diffOptions, mapper, onPhase: (t) => live.line(t) }));
    const plans = conns.map((c, i): CapturePlan => ({ intervalMs, snapshots: flags.snapshots, usageEveryMs, outDir, prefix: c.target ? `pid${c.target.pid}` : 'heap', gc: flags.gc, sampling: flags.sampling, force: flags.force, pid: c.target?.pid, threads: flags.thread, ...(flags['trace-growth'] ? { afterLast: tracers[i].afterLast } : {}) }));

    let captures;
    try {
      for (const c of conns) {
        live.line(`attached to ${c.target ? `pid ${c.target.pid}` : c.address.host}:${c.address.port}; ${flags.snapshots} snapshots, every ${Math.round(intervalMs / 1000)} s, into ${outDir}`);
        if (c.otherClients > 0) live.line(`note: ${c.otherClients} other inspector client${c.otherClients === 1 ? ' is' : 's are'} connected to ${c.target ? `pid ${c.target.pid}` : 'the target'}`);
      }
      // every process is watched at once; the live chart follows the first one's main thread
      captures = await Promise.all(conns.map((c, i) => runCapture(c.session, plans[i], captureEvents(live, flags.snapshots, { chart: i === 0, who: several ? `pid ${c.target?.pid}` : '' }), interrupts.signal)));
    } finally {
      interrupts.dispose();
      live.stop();
    }

    const processes: ProcessReport[] = [];
    for (const [i, capture] of captures.entries()) {
      const isolates = [];
      // one series at a time: each diff holds one snapshot in memory
      for (const c of capture.isolates) {
        const diff = await tracers[i].diffOf(c, diffOptions);
        // where the memory grows (heap, Buffers, other external; native for the main thread, whose rss it is)
        // judged on the post-GC samples (one per snapshot) when there are enough: the others carry garbage
        const postGc = c.usage.filter((u) => u.afterGc);
        const series = postGc.length >= 3 ? postGc : c.usage;
        const memory = series.length >= 3 ? memoryTrends(series, heapFloor(series, DEFAULT_HEAP_FLOOR), Number.POSITIVE_INFINITY, { native: c.thread.kind === 'main', snapshotT: c.snapshotT }) : null;
        const allocationSites = compareProfiles(c.profileData, flags.top, mapper);
        // a flagged holder the trace could not wrap: the growing allocation sites are the next best answer (more of
        // them than are shown: the function that adds to the holder is looked for among all that grew)
        const candidates = compareProfiles(c.profileData, Math.max(50, flags.top), mapper);
        for (const f of diff?.findings ?? []) if (f.addedAt?.source === 'none' && candidates.length) f.addedAt = fromAllocationSites(f.addedAt.methods, f.addedAt.why ?? 'not traced', candidates, holderVariable(f));
        isolates.push(isolateReport(c, { diff, allocationSites, memory }));
      }
      processes.push(processReport(conns[i], capture, isolates, tracers[i].report));
    }
    const report = buildAttachReport(plans[0], processes);
    if (flags.html) report.reportFile = writeReportBeside(outDir, () => attachHtml(printableDeep(report), flags.top, this.config.version));
    if (!this.jsonEnabled()) {
      const shown = printableDeep(report);
      const text = flags.format === 'markdown' ? attachMarkdown(shown, flags.top) : flags.format === 'html' ? attachHtml(shown, flags.top, this.config.version) : attachTable(shown, flags.top, { verbose: flags.verbose });
      this.emit(text, flags.output, verdictLine(shown));
    }
    const failed = captures.find((c) => c.error);
    const taken = (c: CaptureResult) => c.isolates.reduce((a, x) => a + x.snapshots.length, 0);
    if (failed?.error) {
      // the report above keeps what was gathered; the error still decides the exit code
      process.stderr.write(`leakscope: ${failed.error.message}\n`);
      process.exitCode = failed.error.exitCode;
    } else if (interrupts.interrupted) {
      const n = Math.max(0, ...captures.map((c) => c.isolates[0]?.snapshots.length ?? 0));
      process.stderr.write(`leakscope: interrupted by ${interrupts.received} after ${n} of ${flags.snapshots} snapshots; ${conns.map((c, i) => detachText(captures[i].detach, c.openedByUs)).filter((t, i, a) => a.indexOf(t) === i).join('; ')}; report from what was gathered${captures.some((c) => taken(c) > 0) ? ` (files in ${outDir})` : ''}\n`);
      process.exitCode = interrupts.exitCode;
    } else if (processes.some((p) => p.isolates.some((i) => i.diff && failsOn(i.diff, failingKinds(flags))))) {
      process.exitCode = ExitCode.leak;
    } else if (report.verdict === 'inconclusive' && failingKinds(flags).size > 0) {
      process.exitCode = ExitCode.inconclusive;
    }
    const open = captures.filter((c) => c.detach.inspectorClosed === false);
    if (open.length) throw new UserError(open.flatMap((c) => c.detach.errors).join('; '), { exitCode: ExitCode.inspector });
    return report;
  }
}

/**
 * Connects to every target, one after the other and descendants first (connectOrder: a cluster primary pokes its
 * workers' inspectors when its own opens), and returns the connections in the order given. If one fails, the ones
 * already connected are let go before the error is passed on.
 */
async function connectAll(specs: TargetSpec[], events: ConnectEvents): Promise<Connection[]> {
  const order = specs.length > 1 ? connectOrder(specs.map((s) => s.pid as number)).map((pid) => specs.find((s) => s.pid === pid) as TargetSpec) : specs;
  const done = new Map<TargetSpec, Connection>();
  try {
    for (const spec of order) done.set(spec, await connectToTarget(spec, events));
  } catch (err) {
    for (const c of done.values()) await c.session.detach();
    throw err;
  }
  return specs.map((s) => done.get(s) as Connection);
}
