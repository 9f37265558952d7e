import { appendFileSync } from 'node:fs';
import { checkDestination, writeFileAtomic } from '../files.js';
import { Flags } from '@oclif/core';
import { readBaseline, writeBaseline, type Baseline } from '../analysis/baseline.js';
import { DEFAULT_DIFF_OPTIONS, type DiffResult } from '../analysis/diff.js';
import { diffFiles } from '../analysis/diff-files.js';
import type { FindingKind } from '../analysis/findings.js';
import { DEFAULT_HEAP_FLOOR, judgeSoak, parseRate, type SoakJudgement } from '../analysis/soak.js';
import { ALL_KINDS } from '../analysis/kinds.js';
import { percentFlag, rateFlag, significanceFlags, significanceOptions } from '../cli/significance-flags.js';
import { runSoak } from '../capture/soak.js';
import { printableDeep } from '../text.js';
import { Interrupts } from '../cli/interrupts.js';
import { BaseCommand } from '../cli/base.js';
import { captureDir, parseDuration } from '../cli/targeting.js';
import { ExitCode, UserError } from '../errors.js';
import { liveHeapChart } from '../reporters/attach.js';
import { junitReport, sarifReport } from '../reporters/ci.js';
import { createLiveView, usageText } from '../reporters/live.js';
import { runMarkdown, runOneLine, runTable, type RunReport } from '../reporters/run.js';

const QUICK = { warmup: '3s', duration: '6s', interval: '3s', 'usage-every': '500ms' } as const;

export default class Run extends BaseCommand {
  static override summary = 'Soak test for CI: run a program, drive it, watch its heap, and exit 1 with a report when it leaks.';

  static override description = `Starts the command with its inspector on a free loopback port (NODE_OPTIONS=--inspect=127.0.0.1:0, no change to
your start script), waits until it is ready, runs the --load command beside it, warms up (never judged), then takes
heap snapshots every --interval for --duration while sampling post-GC heap usage. It fails (exit 1) only when a
finding of a --fail-on kind rose at every snapshot and the heap slope is positive with 95% confidence, or when the
slope's lower bound exceeds --max-growth. Exit codes: 0 no leak, 1 leak, 2 usage or bad input, 3 the program (or the
load) failed to start or died. The program is stopped at the end (SIGTERM, then SIGKILL after --grace).`;

  static override examples = [
    '<%= config.bin %> run --quick -- node server.js',
    `<%= config.bin %> run --ready-url http://127.0.0.1:3000/health --load "npx autocannon -d 200 http://127.0.0.1:3000/" --warmup 30s --duration 3m -- node server.js`,
    '<%= config.bin %> run --format junit --output leakscope.xml --baseline leakscope-baseline.json -- npm start',
  ];

  static override strict = false;

  static override flags = {
    load: Flags.string({ description: 'a load generator (shell command) started once the program is ready; gets LEAKSCOPE_URL, LEAKSCOPE_READY_MATCH, LEAKSCOPE_PID' }),
    'load-restart': Flags.boolean({ description: 'restart the load command whenever it exits (default: run it once)', default: false }),
    'ready-url': Flags.string({ description: 'ready when this URL answers (also passed to --load as LEAKSCOPE_URL)' }),
    'ready-log': Flags.string({ description: 'ready when the program prints a line matching this regex (its first group -> LEAKSCOPE_READY_MATCH)' }),
    'ready-delay': Flags.string({ description: 'otherwise, ready this long after its inspector opens', default: '1s' }),
    'ready-timeout': Flags.string({ description: 'give up waiting for readiness after this long (exit 3)', default: '60s' }),
    warmup: Flags.string({ description: 'warm-up before measuring (never judged)', default: '30s' }),
    duration: Flags.string({ description: 'measuring time after the warm-up', default: '3m' }),
    interval: Flags.string({ description: 'time between heap snapshots', default: '30s' }),
    'usage-every': Flags.string({ description: 'time between post-GC heap usage samples', default: '2s' }),
    quick: Flags.boolean({ description: `short preset for tests and demos: --warmup ${QUICK.warmup} --duration ${QUICK.duration} --interval ${QUICK.interval} --usage-every ${QUICK['usage-every']}`, default: false }),
    'max-growth': Flags.string({ description: 'fail when the post-GC heap slope surely exceeds this (e.g. 1MB/min, 200kB/min)', default: '1MB/min' }),
    'min-heap-rate': rateFlag({ description: "the runtime's drift floor: a post-GC heap slope under this is not growth that matters", default: DEFAULT_HEAP_FLOOR.minRate }),
    'min-heap-share': percentFlag({ description: 'and under this share of the median heap per minute (e.g. 0.1%)', default: DEFAULT_HEAP_FLOOR.minShare }),
    ...significanceFlags,
    'fail-on': Flags.string({ description: `finding kinds that fail the run (comma-separated: ${ALL_KINDS.join(',')})`, default: ALL_KINDS.join(',') }),
    baseline: Flags.string({ description: 'JSON file of accepted findings: only new findings fail the run' }),
    'update-baseline': Flags.boolean({ description: 'write the findings of this run into --baseline and exit 0', default: false }),
    format: Flags.string({ description: 'report format', options: ['table', 'markdown', 'junit', 'sarif'], default: 'table' }),
    output: Flags.string({ char: 'o', description: 'write the report to this file instead of stdout (atomically)' }),
    verbose: Flags.boolean({ description: 'print the whole report even when there is no leak', default: false }),
    out: Flags.string({ description: 'folder for the snapshots (default: ./.leakscope/run-<time>/)' }),
    grace: Flags.string({ description: 'how long the program gets after SIGTERM before SIGKILL', default: '5s' }),
    top: Flags.integer({ description: 'how many findings and classes to list', default: 10, min: 1 }),
  };

  async run(): Promise<RunReport> {
    const { argv, flags, raw } = await this.parse(Run);
    const command = argv as string[];
    if (command.length === 0) throw new UserError('no program to run', { suggestion: 'leakscope run [flags] -- node server.js' });
    const given = (name: string) => raw.some((r) => r.type === 'flag' && r.flag === name);
    const pick = (name: keyof typeof QUICK) => (flags.quick && !given(name) ? QUICK[name] : (flags[name] as string));
    const warmupMs = pick('warmup') === '0' ? 0 : parseDuration(pick('warmup'), 'warmup');
    const durationMs = parseDuration(pick('duration'), 'duration');
    const intervalMs = Math.min(parseDuration(pick('interval'), 'interval'), durationMs);
    const usageEveryMs = parseDuration(pick('usage-every'), 'usage-every');
    const maxGrowth = parseRate(flags['max-growth']);
    if (maxGrowth === null) throw new UserError(`--max-growth "${flags['max-growth']}" is not a rate`, { suggestion: 'e.g. 1MB/min, 200kB/min, 10kB/s' });
    const failOn = new Set(flags['fail-on'].split(',').map((s) => s.trim()).filter(Boolean) as FindingKind[]);
    for (const k of failOn) if (!ALL_KINDS.includes(k)) throw new UserError(`--fail-on: unknown kind "${k}"`, { suggestion: `kinds: ${ALL_KINDS.join(', ')}` });
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
    const outDir = captureDir(flags.out ?? undefined, 'run');
    const snapshots = Math.max(2, Math.floor(durationMs / intervalMs) + 1);

    const live = createLiveView(this.showProgress, liveHeapChart);
    // signals stop the soak (the program and the load are stopped, the session let go) instead of killing leakscope
    const interrupts = new Interrupts((sig) => live.line(`${sig}: stopping the run; the program and the load are stopped...`));
    let soak;
    try {
      soak = await runSoak(
        {
          command,
          load: flags.load,
          loadRestart: flags['load-restart'],
          readiness: { url: flags['ready-url'], log: readyLog, delayMs: parseDuration(flags['ready-delay'], 'ready-delay'), timeoutMs: parseDuration(flags['ready-timeout'], 'ready-timeout') },
          warmupMs,
          graceMs: parseDuration(flags.grace, 'grace'),
          plan: { intervalMs, snapshots, usageEveryMs, outDir, prefix: 'run', gc: true, sampling: false, force: false, gcBeforeUsage: true },
        },
        {
          phase: (text) => live.line(text),
          usage: (u) => {
          live.sample(u.used);
          live.status(usageText(u));
        },
          waiting: (k, left) => live.status(`next snapshot (${k}/${snapshots}) in ${Math.ceil(left / 1000)} s`),
          snapshotDone: (k, file) => live.line(`snapshot ${k}/${snapshots}: ${file}`),
        },
        interrupts.signal,
      );
    } finally {
      interrupts.dispose();
      live.stop();
    }

    const files = soak.capture?.snapshots ?? [];
    let diff: DiffResult | null = null;
    if (files.length >= 2) diff = await diffFiles(files, { ...DEFAULT_DIFF_OPTIONS, top: flags.top, significance: significanceOptions(flags) });
    const floor = { minRate: flags['min-heap-rate'], minShare: flags['min-heap-share'] };
    const judgement: SoakJudgement = judgeSoak({ diff, usage: soak.capture?.usage ?? [], maxGrowth, floor, failOn, baseline });
    let exitCode: number = judgement.verdict === 'leak' ? ExitCode.leak : ExitCode.ok;
    if (soak.error) exitCode = soak.error.exitCode;
    // an interrupted run has no verdict: it says so, and exits 128 + the signal (130 for Ctrl-C)
    const interrupted = interrupts.interrupted ? `interrupted by ${interrupts.received} after ${files.length} of ${snapshots} snapshots: no verdict` : null;
    if (interrupted) exitCode = interrupts.exitCode;
    if (flags['update-baseline'] && flags.baseline && !soak.error && !interrupted) {
      writeBaseline(flags.baseline, diff?.findings ?? []);
      exitCode = ExitCode.ok;
    }
    const report: RunReport = {
      schema: 'leakscope.run/v1',
      command,
      verdict: soak.error || interrupted ? 'inconclusive' : judgement.verdict,
      reason: interrupted ?? (soak.error ? soak.error.message.split('\n')[0].replace(/; its (stderr|output) ended with:$/, '') : judgement.reason),
      exitCode,
      trend: judgement.trend,
      maxGrowth,
      failOn: [...failOn],
      failing: judgement.failing,
      accepted: judgement.accepted,
      ignored: judgement.ignored,
      watch: judgement.watch,
      heapFloor: judgement.floor,
      diff,
      snapshots: files,
      usage: soak.capture?.usage ?? [],
      warmup: soak.warmup.map((u) => ({ t: u.t, used: u.used })),
      program: {
        exit: soak.programExit,
        stoppedByUs: soak.programStoppedByUs,
        // the inspector's own messages are ours, not the program's
        stderrTail: soak.programOutput.stderr.split('\n').filter((l) => !/^(Debugger (listening|attached|ending)|For help, see: https:\/\/nodejs\.org)/.test(l)).slice(-30).join('\n'),
      },
      load: soak.load,
      error: soak.error?.message ?? null,
    };

    if (process.env.GITHUB_STEP_SUMMARY) {
      try {
        appendFileSync(process.env.GITHUB_STEP_SUMMARY, runMarkdown(printableDeep(report), flags.top));
      } catch {
        // a summary we cannot write must not change the verdict
      }
    }
    if (!this.jsonEnabled()) {
      const version = this.config.version;
      // heap strings are attacker-shaped: every human-readable format gets printable copies
      const shown = printableDeep(report);
      const judged = printableDeep(judgement);
      const text =
        flags.format === 'junit'
          ? junitReport(judged, failOn, maxGrowth, shown.command.join(' '))
          : flags.format === 'sarif'
            ? sarifReport(judged, version)
            : flags.format === 'markdown'
              ? runMarkdown(shown, flags.top)
              : report.verdict === 'no-leak' && !flags.verbose && !soak.error && !interrupted
                ? runOneLine(shown)
                : runTable(shown, flags.top);
      if (flags.output) {
        writeFileAtomic(flags.output, text.endsWith('\n') ? text : `${text}\n`);
        this.log(runOneLine(shown));
      } else {
        this.log(text);
      }
    }
    if (interrupted) process.stderr.write(`leakscope: ${interrupted}; the program was stopped\n`);
    else if (soak.error) process.stderr.write(`leakscope: ${soak.error.message}\n`);
    process.exitCode = exitCode;
    return report;
  }
}
