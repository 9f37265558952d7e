import { appendFileSync } from 'node:fs';
import { Flags, type Interfaces } from '@oclif/core';
import { DEFAULT_DIFF_OPTIONS } from '../analysis/diff/diff.js';
import { readBaseline } from '../analysis/findings/baseline.js';
import { ALL_KINDS } from '../analysis/findings/kinds.js';
import { DEFAULT_HEAP_FLOOR } from '../analysis/series/soak.js';
import { BaseCommand } from '../cli/base.js';
import {
  captureDirFlag,
  duration,
  durationOrZero,
  formatFlag,
  grouped,
  htmlFlag,
  kindsFlag,
  outputFlag,
  parseDuration,
  percent,
  rate,
  significanceFlags,
  significanceOptions,
  sourceMapsFlag,
  sourceRootFlag,
  topFlag,
  traceGrowthFlags,
} from '../cli/flags.js';
import { threadFlag } from '../cli/targeting.js';
import { UserError } from '../common/errors.js';
import { checkDestination } from '../common/files.js';
import { addSourceRoots } from '../common/source-files.js';
import { printableDeep } from '../common/text.js';
import type { RunReport } from '../contracts/run.js';
import { captureDir } from '../live/capture-dir.js';
import { Interrupts } from '../live/interrupts.js';
import { runWorkflow, type RunOptions } from '../live/run.js';
import { liveHeapChart } from '../reporters/attach.js';
import { verdictLine } from '../reporters/diff.js';
import { runHtml } from '../reporters/html.js';
import { createLiveView, workflowOutput } from '../reporters/live.js';
import { renderRun, runMarkdown } from '../reporters/run.js';

/** --quick: a short plan for tests and demos (each value unless the flag is given) */
const QUICK = { warmup: '3s', duration: '6s', interval: '3s', 'usage-every': '500ms', 'trace-window': '2s' } as const;

export default class Run extends BaseCommand {
  static override summary = 'Soak test for CI: run a program, drive it, watch its heap, and exit 1 with a report when it leaks.';

  static override description =
    `Starts the command with its inspector on a free loopback port (NODE_OPTIONS=--inspect=127.0.0.1:0, no ` +
    `change to your start script), waits until it is ready, runs the --load command beside it, warms up (never ` +
    `judged), then takes heap snapshots every --interval for --duration while sampling post-GC heap usage. ` +
    `It fails (exit 1) only when a finding of a --fail-on kind rose at every snapshot and the heap slope ` +
    `is positive with 95% confidence, or when the slope's lower bound exceeds --max-growth. Exit codes: 0 ` +
    `no leak, 1 leak, 2 usage or bad input, 3 the program (or the load) failed to start or died. The program ` +
    `is stopped at the end (SIGTERM, then SIGKILL after --grace).`;

  static override examples = [
    '<%= config.bin %> run --quick -- node server.js',
    `<%= config.bin %> run --ready-url http://127.0.0.1:3000/health --load "npx autocannon -d 200 http://127.0.0.1:3000/" --warmup 30s --duration 3m -- node server.js`,
    '<%= config.bin %> run --format junit --output leakscope.xml --baseline leakscope-baseline.json -- npm start',
  ];

  static override usage = 'run [FLAGS] -- <command> [ARGS...]';

  static override strict = false;

  static override flags = grouped({
    load: Flags.string({
      description:
        'a load generator (shell command) started once the program is ready; gets LEAKSCOPE_URL, LEAKSCOPE_READY_MATCH, LEAKSCOPE_PID',
    }),
    'load-restart': Flags.boolean({ description: 'restart the load command whenever it exits (default: run it once)', default: false }),
    'ready-url': Flags.string({ description: 'ready when this URL answers (also passed to --load as LEAKSCOPE_URL)' }),
    'ready-log': Flags.string({
      description: 'ready when the program prints a line matching this regex (its first group -> LEAKSCOPE_READY_MATCH)',
    }),
    'ready-delay': duration('otherwise, ready this long after its inspector opens', '1s'),
    'ready-timeout': duration('give up waiting for readiness after this long (exit 3)', '60s'),
    warmup: durationOrZero('warm-up before measuring (never judged; 0 for none)', '30s'),
    duration: duration('measuring time after the warm-up', '3m'),
    interval: duration('time between heap snapshots', '30s'),
    'usage-every': duration('time between post-GC heap usage samples', '2s'),
    quick: Flags.boolean({
      description: `short preset for tests and demos: --warmup ${QUICK.warmup} --duration ${QUICK.duration} --interval ${QUICK.interval} --usage-every ${QUICK['usage-every']}`,
      default: false,
    }),
    'max-growth': rate('fail when the post-GC heap slope surely exceeds this (e.g. 1MB/min, 200kB/min)', 1e6, '1MB/min'),
    'min-heap-rate': rate(
      "the runtime's drift floor: a post-GC heap slope under this is not growth that matters",
      DEFAULT_HEAP_FLOOR.minRate,
      '300kB/min',
    ),
    'min-heap-share': percent('and under this share of the median heap per minute', DEFAULT_HEAP_FLOOR.minShare),
    ...significanceFlags,
    'fail-on': kindsFlag({
      description: `finding kinds that fail the run: all, none, or some of ${ALL_KINDS.join(',')}`,
      default: new Set(ALL_KINDS),
      defaultHelp: async () => 'all',
    }),
    baseline: Flags.string({ description: 'JSON file of accepted findings: only new findings fail the run' }),
    'update-baseline': Flags.boolean({ description: 'write the findings of this run into --baseline and exit 0', default: false }),
    format: formatFlag(['table', 'markdown', 'junit', 'sarif', 'html'] as const),
    html: htmlFlag,
    output: outputFlag,
    verbose: Flags.boolean({ description: 'print the whole report even when there is no leak', default: false }),
    'keep-snapshots': Flags.boolean({
      description:
        'keep the snapshots of a passing run too (by default it keeps its report only: snapshots hold every secret of the program)',
      default: false,
    }),
    dir: captureDirFlag('./.leakscope/run-<time>/'),
    thread: threadFlag(),
    'source-maps': sourceMapsFlag,
    'source-root': sourceRootFlag,
    ...traceGrowthFlags('10s'),
    'track-allocations': Flags.boolean({
      description:
        "start the program with --track-heap-objects: its snapshots record each object's allocation stack, so " +
        'a holder whose adding calls cannot be wrapped (a plain object written by index, an array written by ' +
        'index) is attributed to the function that allocated its entries and the line in it that adds them. Slows ' +
        'allocation-heavy code: for diagnosing a leak, not for the CI gate',
      default: false,
    }),
    grace: duration('how long the program gets after SIGTERM before SIGKILL', '5s'),
    top: topFlag('findings and classes'),
  });

  async run(): Promise<RunReport> {
    const { argv, flags, raw } = await this.parse(Run);
    const given = (name: string) => raw.some((r) => r.type === 'flag' && r.flag === name);
    const options = runOptions(flags, argv as string[], given, (r) => runHtml(printableDeep(r), flags.top, this.config.version));
    const live = createLiveView(this.viewMode, liveHeapChart);
    // signals stop the soak (the program and the load are stopped, the session let go) instead of killing leakscope
    const interrupts = new Interrupts((sig) => live.line(`${sig}: stopping the run; the program and the load are stopped...`));
    const { report, judgement, interrupted, error } = await runWorkflow(options, workflowOutput(live), interrupts);
    // heap strings are attacker-shaped: every human-readable format renders one printable copy, made once
    const shown = printableDeep(report);
    if (process.env.GITHUB_STEP_SUMMARY) {
      try {
        appendFileSync(process.env.GITHUB_STEP_SUMMARY, runMarkdown(shown, flags.top));
      } catch {
        // a summary we cannot write must not change the verdict
      }
    }
    if (!this.jsonEnabled()) {
      const o = { format: flags.format, top: flags.top, verbose: flags.verbose, version: this.config.version };
      this.emit(renderRun(shown, printableDeep(judgement), flags['fail-on'], o), flags.output, verdictLine(shown));
    }
    if (interrupted) process.stderr.write(`leakscope: ${interrupted}; the program was stopped\n`);
    else if (error) process.stderr.write(`leakscope: ${error}\n`);
    process.exitCode = report.exitCode;
    return report;
  }
}

/**
 * The workflow's options from the flags (--quick's values where a flag is not given), checked before the program
 * starts: the report's and the baseline's destinations, --ready-log, the baseline file. The capture folder is made.
 */
function runOptions(
  flags: Interfaces.InferredFlags<typeof Run.flags>,
  command: string[],
  given: (flag: string) => boolean,
  html: (r: RunReport) => string,
): RunOptions {
  if (command.length === 0) throw new UserError('no program to run', { suggestion: 'leakscope run [flags] -- node server.js' });
  addSourceRoots(flags['source-root'] ?? []);
  const pick = (name: keyof typeof QUICK) => (flags.quick && !given(name) ? (parseDuration(QUICK[name]) as number) : flags[name]);
  if (flags['update-baseline'] && !flags.baseline) throw new UserError('--update-baseline needs --baseline FILE to write');
  // where the report and the baseline go is checked before the program starts, not after a 3-minute soak
  if (flags.output) checkDestination(flags.output);
  if (flags['update-baseline'] && flags.baseline) checkDestination(flags.baseline);
  return {
    command,
    load: flags.load,
    loadRestart: flags['load-restart'],
    graceMs: flags.grace,
    trackAllocations: flags['track-allocations'],
    threads: flags.thread,
    readiness: {
      url: flags['ready-url'],
      log: readyLog(flags['ready-log']),
      delayMs: flags['ready-delay'],
      timeoutMs: flags['ready-timeout'],
    },
    warmupMs: pick('warmup'),
    durationMs: pick('duration'),
    intervalMs: Math.min(pick('interval'), pick('duration')),
    usageEveryMs: pick('usage-every'),
    baseline: flags.baseline && !flags['update-baseline'] ? readBaseline(flags.baseline) : null,
    updateBaseline: flags['update-baseline'] ? (flags.baseline as string) : null,
    outDir: captureDir(flags.dir, 'run'),
    diffOptions: { ...DEFAULT_DIFF_OPTIONS, top: flags.top, significance: significanceOptions(flags), sourceMaps: flags['source-maps'] },
    sourceMaps: flags['source-maps'],
    traceGrowth: flags['trace-growth'],
    traceWindowMs: pick('trace-window'),
    maxGrowth: flags['max-growth'],
    floor: { minRate: flags['min-heap-rate'], minShare: flags['min-heap-share'] },
    failOn: flags['fail-on'],
    keepSnapshots: flags['keep-snapshots'],
    html: flags.html ? html : null,
  };
}

/** --ready-log as a regular expression (a usage error when it is not one). */
function readyLog(source: string | undefined): RegExp | undefined {
  if (source === undefined) return undefined;
  try {
    return new RegExp(source);
  } catch {
    throw new UserError(`--ready-log "${source}" is not a valid regular expression`);
  }
}
