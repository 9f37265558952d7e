import { addSourceRoots } from '../source-files.js';
import { appendFileSync, rmSync } from 'node:fs';
import { checkDestination } from '../files.js';
import { Flags } from '@oclif/core';
import { readBaseline, writeBaseline, type Baseline } from '../analysis/baseline.js';
import { DEFAULT_DIFF_OPTIONS } from '../analysis/diff.js';
import { GrowthTracer } from '../cli/trace-growth.js';
import { SourceMapper } from '../sourcemaps.js';
import { ALL_KINDS } from '../analysis/kinds.js';
import { DEFAULT_HEAP_FLOOR, judgeSoak, mergeIsolateJudgements } from '../analysis/soak.js';
import type { IsolateCapture } from '../capture/monitor.js';
import { threadLabel } from '../format.js';
import { threadFlag } from '../cli/targeting.js';
import { sourceMapsFlag, captureDirFlag, duration, durationOrZero, formatFlag, kindsFlag, outputFlag, parseDuration, percent, rate, significanceFlags, significanceOptions, topFlag, traceGrowthFlags, htmlFlag, sourceRootFlag, grouped } from '../cli/flags.js';
import { runSoak } from '../capture/soak.js';
import { printableDeep } from '../text.js';
import { Interrupts } from '../cli/interrupts.js';
import { BaseCommand } from '../cli/base.js';
import { captureDir } from '../cli/targeting.js';
import { UserError } from '../errors.js';
import { buildRunReport, mainIsolate, type RunReport, type WorkerOutcome } from '../reports/run.js';
import { liveHeapChart } from '../reporters/attach.js';
import { captureEvents, createLiveView } from '../reporters/live.js';
import { renderRun, runMarkdown } from '../reporters/run.js';
import { verdictLine } from '../reporters/diff.js';
import { runHtml } from '../reporters/html.js';
import { writeReportBeside } from '../files.js';

/** --quick: a short plan for tests and demos (each value unless the flag is given) */
const QUICK = { warmup: '3s', duration: '6s', interval: '3s', 'usage-every': '500ms', 'trace-window': '2s' } as const;

export default class Run extends BaseCommand {
  static override summary = 'Soak test for CI: run a program, drive it, watch its heap, and exit 1 with a report when it leaks.';

  static override description = `Starts the command with its inspector on a free loopback port (NODE_OPTIONS=--inspect=127.0.0.1:0, no change to your start script), waits until it is ready, runs the --load command beside it, warms up (never judged), then takes heap snapshots every --interval for --duration while sampling post-GC heap usage. It fails (exit 1) only when a finding of a --fail-on kind rose at every snapshot and the heap slope is positive with 95% confidence, or when the slope's lower bound exceeds --max-growth. Exit codes: 0 no leak, 1 leak, 2 usage or bad input, 3 the program (or the load) failed to start or died. The program is stopped at the end (SIGTERM, then SIGKILL after --grace).`;

  static override examples = [
    '<%= config.bin %> run --quick -- node server.js',
    `<%= config.bin %> run --ready-url http://127.0.0.1:3000/health --load "npx autocannon -d 200 http://127.0.0.1:3000/" --warmup 30s --duration 3m -- node server.js`,
    '<%= config.bin %> run --format junit --output leakscope.xml --baseline leakscope-baseline.json -- npm start',
  ];

  static override usage = 'run [FLAGS] -- <command> [ARGS...]';

  static override strict = false;

  static override flags = grouped({
    load: Flags.string({ description: 'a load generator (shell command) started once the program is ready; gets LEAKSCOPE_URL, LEAKSCOPE_READY_MATCH, LEAKSCOPE_PID' }),
    'load-restart': Flags.boolean({ description: 'restart the load command whenever it exits (default: run it once)', default: false }),
    'ready-url': Flags.string({ description: 'ready when this URL answers (also passed to --load as LEAKSCOPE_URL)' }),
    'ready-log': Flags.string({ description: 'ready when the program prints a line matching this regex (its first group -> LEAKSCOPE_READY_MATCH)' }),
    'ready-delay': duration('otherwise, ready this long after its inspector opens', '1s'),
    'ready-timeout': duration('give up waiting for readiness after this long (exit 3)', '60s'),
    warmup: durationOrZero('warm-up before measuring (never judged; 0 for none)', '30s'),
    duration: duration('measuring time after the warm-up', '3m'),
    interval: duration('time between heap snapshots', '30s'),
    'usage-every': duration('time between post-GC heap usage samples', '2s'),
    quick: Flags.boolean({ description: `short preset for tests and demos: --warmup ${QUICK.warmup} --duration ${QUICK.duration} --interval ${QUICK.interval} --usage-every ${QUICK['usage-every']}`, default: false }),
    'max-growth': rate('fail when the post-GC heap slope surely exceeds this (e.g. 1MB/min, 200kB/min)', 1e6, '1MB/min'),
    'min-heap-rate': rate("the runtime's drift floor: a post-GC heap slope under this is not growth that matters", DEFAULT_HEAP_FLOOR.minRate, '300kB/min'),
    'min-heap-share': percent('and under this share of the median heap per minute', DEFAULT_HEAP_FLOOR.minShare),
    ...significanceFlags,
    'fail-on': kindsFlag({ description: `finding kinds that fail the run: all, none, or some of ${ALL_KINDS.join(',')}`, default: new Set(ALL_KINDS), defaultHelp: async () => 'all' }),
    baseline: Flags.string({ description: 'JSON file of accepted findings: only new findings fail the run' }),
    'update-baseline': Flags.boolean({ description: 'write the findings of this run into --baseline and exit 0', default: false }),
    format: formatFlag(['table', 'markdown', 'junit', 'sarif', 'html'] as const),
    html: htmlFlag,
    output: outputFlag,
    verbose: Flags.boolean({ description: 'print the whole report even when there is no leak', default: false }),
    'keep-snapshots': Flags.boolean({ description: 'keep the snapshots of a passing run too (by default it keeps its report only: snapshots hold every secret of the program)', default: false }),
    dir: captureDirFlag('./.leakscope/run-<time>/'),
    thread: threadFlag(),
    'source-maps': sourceMapsFlag,
    'source-root': sourceRootFlag,
    ...traceGrowthFlags('10s'),
    'track-allocations': Flags.boolean({
      description:
        "start the program with --track-heap-objects: its snapshots record each object's allocation stack, so a holder whose adding calls cannot be wrapped (a plain object written by index, an array written by index) is attributed to the function that allocated its entries and the line in it that adds them. Slows allocation-heavy code: for diagnosing a leak, not for the CI gate",
      default: false,
    }),
    grace: duration('how long the program gets after SIGTERM before SIGKILL', '5s'),
    top: topFlag('findings and classes'),
  });

  async run(): Promise<RunReport> {
    const { argv, flags, raw } = await this.parse(Run);
    addSourceRoots(flags['source-root'] ?? []);
    const command = argv as string[];
    if (command.length === 0) throw new UserError('no program to run', { suggestion: 'leakscope run [flags] -- node server.js' });
    const given = (name: string) => raw.some((r) => r.type === 'flag' && r.flag === name);
    const pick = (name: keyof typeof QUICK) => (flags.quick && !given(name) ? (parseDuration(QUICK[name]) as number) : flags[name]);
    const durationMs = pick('duration');
    const intervalMs = Math.min(pick('interval'), durationMs);
    let readyLog: RegExp | undefined;
    if (flags['ready-log'] !== undefined) {
      try {
        readyLog = new RegExp(flags['ready-log']);
      } catch {
        throw new UserError(`--ready-log "${flags['ready-log']}" is not a valid regular expression`);
      }
    }
    if (flags['update-baseline'] && !flags.baseline) throw new UserError('--update-baseline needs --baseline FILE to write');
    // where the report and the baseline go is checked before the program starts, not after a 3-minute soak
    if (flags.output) checkDestination(flags.output);
    if (flags['update-baseline'] && flags.baseline) checkDestination(flags.baseline);
    const baseline: Baseline | null = flags.baseline && !flags['update-baseline'] ? readBaseline(flags.baseline) : null;
    const outDir = captureDir(flags.dir, 'run');
    const snapshots = Math.max(2, Math.floor(durationMs / intervalMs) + 1);

    const live = createLiveView(this.viewMode, liveHeapChart);
    const failOn = flags['fail-on'];
    const diffOptions = { ...DEFAULT_DIFF_OPTIONS, top: flags.top, significance: significanceOptions(flags), sourceMaps: flags['source-maps'] };
    // which lines add to the flagged holders, traced before the program is let go (its diff is reused below)
    const tracer = new GrowthTracer({ windowMs: pick('trace-window'), diffOptions, mapper: flags['source-maps'] ? new SourceMapper() : null, onPhase: (t) => live.line(t) });
    // signals stop the soak (the program and the load are stopped, the session let go) instead of killing leakscope
    const interrupts = new Interrupts((sig) => live.line(`${sig}: stopping the run; the program and the load are stopped...`));
    let soak;
    try {
      soak = await runSoak(
        {
          command,
          load: flags.load,
          loadRestart: flags['load-restart'],
          readiness: { url: flags['ready-url'], log: readyLog, delayMs: flags['ready-delay'], timeoutMs: flags['ready-timeout'] },
          warmupMs: pick('warmup'),
          graceMs: flags.grace,
          trackAllocations: flags['track-allocations'],
          plan: { intervalMs, snapshots, usageEveryMs: pick('usage-every'), outDir, prefix: 'run', gc: true, sampling: false, force: false, gcBeforeUsage: true, threads: flags.thread, ...(flags['trace-growth'] ? { afterLast: tracer.afterLast } : {}) },
        },
        { ...captureEvents(live, snapshots), phase: (text) => live.line(text) },
        interrupts.signal,
      );
    } finally {
      interrupts.dispose();
      live.stop();
    }

    const judge = async (c: IsolateCapture | undefined) => {
      const diff = c ? await tracer.diffOf(c, diffOptions) : null;
      // rss is the process's: only the main thread's judgement looks at the native memory it implies
      return { diff, judgement: judgeSoak({ diff, usage: c?.usage ?? [], snapshotT: c?.snapshotT ?? [], processWide: !c || c.thread.kind === 'main', maxGrowth: flags['max-growth'], floor: { minRate: flags['min-heap-rate'], minShare: flags['min-heap-share'] }, failOn, baseline }) };
    };
    // each isolate (the main thread, each worker thread) is judged on its own series, one diff at a time
    const mainCapture = mainIsolate(soak);
    const { diff, judgement: mainJudgement } = await judge(mainCapture);
    const workers: WorkerOutcome[] = [];
    for (const c of soak.capture?.isolates ?? []) if (c !== mainCapture) workers.push({ capture: c, ...(await judge(c)) });
    const judgement = workers.length === 0 ? mainJudgement : mergeIsolateJudgements([
      ...(mainCapture ? [{ label: 'main thread', main: true, judgement: mainJudgement }] : []),
      ...workers.map((w) => ({ label: threadLabel(w.capture.thread), main: false, judgement: w.judgement })),
    ]);
    const files = mainCapture?.snapshots ?? workers[0]?.capture.snapshots ?? [];
    // an interrupted run has no verdict: it says so, and exits 128 + the signal (130 for Ctrl-C)
    const interrupted = interrupts.interrupted ? `interrupted by ${interrupts.received} after ${files.length} of ${snapshots} snapshots: no verdict` : null;
    const baselineUpdated = Boolean(flags['update-baseline'] && flags.baseline && !soak.error && !interrupted);
    if (baselineUpdated) writeBaseline(flags.baseline as string, [...(diff?.findings ?? []), ...workers.flatMap((w) => w.diff?.findings ?? [])]);
    // a passing run keeps its report and drops its snapshots: they hold every secret of the program
    const passed = judgement.verdict === 'no-leak' && !soak.error && !interrupted;
    const snapshotsDropped = passed && !flags['keep-snapshots'] && dropSnapshots(soak);
    const report = buildRunReport({ command, soak, diff, judgement, maxGrowth: flags['max-growth'], failOn, interrupted, baselineUpdated, interruptExitCode: interrupts.exitCode, workers, growthTrace: tracer.report, snapshotsDropped });

    if (process.env.GITHUB_STEP_SUMMARY) {
      try {
        appendFileSync(process.env.GITHUB_STEP_SUMMARY, runMarkdown(printableDeep(report), flags.top));
      } catch {
        // a summary we cannot write must not change the verdict
      }
    }
    // the HTML report beside the snapshots (a CI artifact to attach as is)
    if (flags.html) report.reportFile = writeReportBeside(outDir, () => runHtml(printableDeep(report), flags.top, this.config.version));
    if (!this.jsonEnabled()) {
      const text = renderRun(report, judgement, failOn, { format: flags.format, top: flags.top, verbose: flags.verbose, version: this.config.version });
      this.emit(text, flags.output, verdictLine(printableDeep(report)));
    }
    if (interrupted) process.stderr.write(`leakscope: ${interrupted}; the program was stopped\n`);
    else if (soak.error) process.stderr.write(`leakscope: ${soak.error.message}\n`);
    process.exitCode = report.exitCode;
    return report;
  }
}

/** Removes a soak's snapshots and profiles (a passing run's): true when there were some and they are gone. */
function dropSnapshots(soak: { capture: { isolates: Array<{ snapshots: string[]; profiles: string[] }> } | null }): boolean {
  const files = (soak.capture?.isolates ?? []).flatMap((c) => [...c.snapshots, ...c.profiles]);
  for (const f of files) rmSync(f, { force: true });
  return files.length > 0;
}
