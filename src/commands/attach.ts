import { Flags, type Interfaces } from '@oclif/core';
import { DEFAULT_DIFF_OPTIONS } from '../analysis/diff/diff.js';
import { BaseCommand } from '../cli/base.js';
import {
  captureDirFlag,
  duration,
  durationFlag,
  failingKinds,
  formatFlag,
  grouped,
  htmlFlag,
  outputFlag,
  reportFailFlags,
  significanceFlags,
  significanceOptions,
  sourceMapsFlag,
  sourceRootFlag,
  topFlag,
  traceGrowthFlags,
} from '../cli/flags.js';
import { parsePid, targetArgs, targetFlags, threadFlag } from '../cli/targeting.js';
import { InspectorError, UsageError } from '../common/errors.js';
import type { WatchReport } from '../contracts/watch.js';
import { watchWorkflow, type WatchOptions, type WatchOutcome } from '../live/watch.js';
import { watchFirstLine, watchTable } from '../reporters/watch.js';
import { checkDestination } from '../common/files.js';
import { printableDeep } from '../common/text.js';
import type { AttachReport } from '../contracts/attach.js';
import { attachWorkflow, type AttachOptions, type AttachOutcome } from '../live/attach.js';
import { Interrupts } from '../live/interrupts.js';
import { detachText, liveHeapChart } from '../reporters/attach.js';
import { renderAttach } from '../reporters/render.js';
import { verdictLine } from '../reporters/diff.js';
import { attachHtml } from '../reporters/html.js';
import { createLiveView, workflowOutput } from '../reporters/live.js';

export default class Attach extends BaseCommand {
  static override summary = 'Attach to a running Node.js process, watch its heap over time, and report what leaks.';

  static override description =
    `No restart, no code change: confirms the pid runs Node.js, opens its inspector with SIGUSR1 (loopback ` +
    `only; moved off port 9229 at once, so other attaches can work side by side), and every --interval forces ` +
    `a GC and streams a heap snapshot to disk — of the main thread and of every worker thread (--thread) ` +
    `— while the sampling heap profiler records which lines allocate the memory that stays. Several pids, ` +
    `or --children of one, are watched at once and reported together, each isolate with its own verdict. ` +
    `Then it reports the verdict, the leaking collections with their retainer path and declaration, the allocation ` +
    `sites whose live memory grew, and a chart of the heap. The target is left as found: profiler stopped, ` +
    `inspector closed if leakscope opened it. Ctrl-C stops early and still reports.`;

  static override examples = [
    '<%= config.bin %> attach 12345',
    '<%= config.bin %> attach 12345 --interval 1m --snapshots 4 --dir ./snapshots',
    '<%= config.bin %> attach 12345 23456 --duration 5m',
    '<%= config.bin %> attach --children 12345 --duration 2m',
    '<%= config.bin %> attach 12345 --thread 2',
    '<%= config.bin %> attach --port 9229 --duration 5m --json',
    '<%= config.bin %> attach 12345 --no-snapshot --duration 10m --snapshots 6 --max-pause 200ms',
  ];

  static override strict = false;

  static override args = targetArgs;

  static override flags = grouped({
    ...targetFlags,
    children: Flags.boolean({
      description:
        "also watch the pid's Node.js descendants (a cluster primary's workers, a PM2 daemon's apps); one report lists each process",
      default: false,
    }),
    thread: threadFlag(),
    interval: duration('time between snapshots', '30s'),
    snapshots: Flags.integer({ description: 'number of snapshots (2 to compare, 3+ for a leak verdict)', default: 3, min: 2, max: 100 }),
    duration: durationFlag({ description: 'total duration; sets the interval to duration / (snapshots - 1)' }),
    'no-snapshot': Flags.boolean({
      description:
        'no heap snapshot at all (for big production heaps): a census of the collections being added to and the ' +
        'sampling heap profiler, --snapshots rounds of short pauses; the main thread of one process',
      default: false,
    }),
    'max-pause': durationFlag({
      description:
        'with --no-snapshot: the longest a single call may stop the target; a GC or profile read that would take longer is skipped',
    }),
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
    verbose: Flags.boolean({
      description: 'every finding in full, the watch items, the evidence, the per-class table and the charts',
      default: false,
    }),
    ...traceGrowthFlags('10s'),
  });

  async run(): Promise<AttachReport | WatchReport> {
    const { argv, flags } = await this.parse(Attach);
    if (flags.output) checkDestination(flags.output);
    if (flags['no-snapshot']) return this.watch(flags, argv as Array<string | number>);
    const options = attachOptions(flags, argv as Array<string | number>, (r) =>
      attachHtml(printableDeep(r), flags.top, this.config.version),
    );
    const live = createLiveView(this.viewMode, liveHeapChart);
    const interrupts = new Interrupts(() =>
      live.line('stopping: detaching from the targets and writing the report from what was gathered...'),
    );
    let outcome: Awaited<ReturnType<typeof attachWorkflow>>;
    try {
      outcome = await attachWorkflow(options, workflowOutput(live), interrupts);
    } finally {
      live.stop();
    }
    const { report, error, interrupted, outDir, inspectorLeftOpen } = outcome;
    if (!this.jsonEnabled()) {
      const shown = printableDeep(report);
      this.emit(
        renderAttach(shown, { format: flags.format, top: flags.top, verbose: flags.verbose, version: this.config.version }),
        flags.output,
        verdictLine(shown),
      );
    }
    // the report above keeps what was gathered; an error or a signal still decides the exit code
    if (error) process.stderr.write(`leakscope: ${error.message}\n`);
    else if (interrupted) process.stderr.write(`leakscope: ${interruptedText(interrupted, flags.snapshots, outDir)}\n`);
    process.exitCode = report.exitCode;
    if (inspectorLeftOpen.length) throw new InspectorError(inspectorLeftOpen.join('; '));
    return report;
  }

  /** `--no-snapshot`: the census workflow, its report as a table or JSON. */
  private async watch(flags: Interfaces.InferredFlags<typeof Attach.flags>, argv: Array<string | number>): Promise<WatchReport> {
    const options = watchOptions(flags, argv);
    const live = createLiveView(this.viewMode, liveHeapChart);
    const interrupts = new Interrupts(() => live.line('stopping: removing the census, detaching and writing the report...'));
    let outcome: WatchOutcome;
    try {
      outcome = await watchWorkflow(options, workflowOutput(live), interrupts);
    } finally {
      live.stop();
    }
    const { report, error, interrupted, inspectorLeftOpen } = outcome;
    if (!this.jsonEnabled()) {
      const shown = printableDeep(report);
      this.emit(watchTable(shown, flags.top, { verbose: flags.verbose }), flags.output, `leakscope: ${watchFirstLine(shown)}`);
    }
    if (error) process.stderr.write(`leakscope: ${error.message}\n`);
    else if (interrupted)
      process.stderr.write(
        `leakscope: interrupted by ${interrupted} after ${report.rounds} of ${report.roundsPlanned} rounds; census removed, target let go; report from what was gathered\n`,
      );
    process.exitCode = report.exitCode;
    if (inspectorLeftOpen.length) throw new InspectorError(inspectorLeftOpen.join('; '));
    return report;
  }
}

/** `--no-snapshot`'s options: one process, its main thread; the rounds are --snapshots, spaced as snapshots would be. */
function watchOptions(flags: Interfaces.InferredFlags<typeof Attach.flags>, argv: Array<string | number>): WatchOptions {
  if (argv.length > 1 || flags.children) throw new UsageError('--no-snapshot watches one process: give one pid (or --port / --ws)');
  if (typeof flags.thread === 'number') throw new UsageError('--no-snapshot watches the main thread only: leave out --thread');
  if (flags.format !== 'table') throw new UsageError('--no-snapshot reports as a table or --json: leave out --format');
  const intervalMs =
    flags.duration === undefined ? flags.interval : flags.snapshots > 1 ? flags.duration / (flags.snapshots - 1) : flags.duration;
  return {
    pid: argv.length ? parsePid(String(argv[0])) : null,
    dir: flags.dir,
    port: flags.port,
    ws: flags.ws,
    host: flags.host,
    intervalMs,
    rounds: flags.snapshots,
    usageEveryMs: Math.min(flags['usage-every'], Math.max(250, intervalMs / 2)),
    gc: flags.gc,
    sampling: flags.sampling,
    maxPauseMs: flags['max-pause'] ?? null,
    top: flags.top,
    significance: significanceOptions(flags),
    sourceMaps: flags['source-maps'],
    sourceRoots: flags['source-root'] ?? [],
    failOn: failingKinds(flags),
  };
}

/** The workflow's options from the flags: the interval from --duration when given, the usage step under it. */
function attachOptions(
  flags: Interfaces.InferredFlags<typeof Attach.flags>,
  argv: Array<string | number>,
  html: (r: AttachReport) => string,
): AttachOptions {
  const intervalMs =
    flags.duration === undefined ? flags.interval : flags.snapshots > 1 ? flags.duration / (flags.snapshots - 1) : flags.duration;
  return {
    // the first pid arrives parsed (the pid argument), any further ones as given
    pids: argv.map((a) => parsePid(String(a))),
    port: flags.port,
    ws: flags.ws,
    host: flags.host,
    children: flags.children,
    threads: flags.thread,
    intervalMs,
    snapshots: flags.snapshots,
    usageEveryMs: Math.min(flags['usage-every'], Math.max(250, intervalMs / 2)),
    dir: flags.dir,
    gc: flags.gc,
    sampling: flags.sampling,
    force: flags.force,
    top: flags.top,
    failOn: failingKinds(flags),
    diffOptions: { ...DEFAULT_DIFF_OPTIONS, top: flags.top, significance: significanceOptions(flags), sourceMaps: flags['source-maps'] },
    sourceMaps: flags['source-maps'],
    sourceRoots: flags['source-root'] ?? [],
    traceGrowth: flags['trace-growth'],
    traceWindowMs: flags['trace-window'],
    html: flags.html ? html : null,
  };
}

/** "interrupted by SIGINT after 1 of 3 snapshots; detached, …; report from what was gathered (files in …)" */
function interruptedText(i: NonNullable<AttachOutcome['interrupted']>, snapshots: number, outDir: string): string {
  const detached = [...new Set(i.detached.map((d) => detachText(d.detach, d.openedByUs)))].join('; ');
  return `interrupted by ${i.signal} after ${i.taken} of ${snapshots} snapshots; ${detached}; report from what was gathered${i.files ? ` (files in ${outDir})` : ''}`;
}
