import { Flags } from '@oclif/core';
import { compareProfiles } from '../analysis/allocations.js';
import { DEFAULT_DIFF_OPTIONS, failsOn } from '../analysis/diff.js';
import { diffFiles } from '../analysis/diff-files.js';
import { connectToTarget } from '../capture/connect.js';
import { runCapture, type CapturePlan } from '../capture/monitor.js';
import { captureDirFlag, duration, durationFlag, failingKinds, formatFlag, outputFlag, reportFailFlags, significanceFlags, significanceOptions, topFlag } from '../cli/flags.js';
import { printableDeep } from '../text.js';
import { Interrupts } from '../cli/interrupts.js';
import { BaseCommand } from '../cli/base.js';
import { captureDirName, makeCaptureDir, targetArgs, targetFlags } from '../cli/targeting.js';
import { ExitCode, UserError } from '../errors.js';
import { checkDestination } from '../files.js';
import { buildAttachReport, type AttachReport } from '../reports/attach.js';
import { attachMarkdown, attachTable, detachText, liveHeapChart } from '../reporters/attach.js';
import { verdictLine } from '../reporters/diff.js';
import { captureEvents, createLiveView } from '../reporters/live.js';

export default class Attach extends BaseCommand {
  static override summary = 'Attach to a running Node.js process, watch its heap over time, and report what leaks.';

  static override description = `No restart, no code change: confirms the pid runs Node.js, opens its inspector with SIGUSR1 (loopback only), and
every --interval forces a GC and streams a heap snapshot to disk, while the sampling heap profiler records which
lines allocate the memory that stays. Then it reports the verdict, the leaking collections with their retainer path
and declaration, the allocation sites whose live memory grew, and a chart of the heap. The target is left as found:
profiler stopped, inspector closed if leakscope opened it. Ctrl-C stops early and still reports.`;

  static override examples = [
    '<%= config.bin %> attach 12345',
    '<%= config.bin %> attach 12345 --interval 1m --snapshots 4 --dir ./snapshots',
    '<%= config.bin %> attach --port 9229 --duration 5m --json',
  ];

  static override args = targetArgs;

  static override flags = {
    ...targetFlags,
    interval: duration('time between snapshots', '30s'),
    snapshots: Flags.integer({ description: 'number of snapshots (3+ for a leak verdict)', default: 3, min: 1, max: 100 }),
    duration: durationFlag({ description: 'total duration; sets the interval to duration / (snapshots - 1)' }),
    'usage-every': duration('how often to sample heap usage between snapshots', '2s'),
    dir: captureDirFlag('./.leakscope/<pid>-<time>/'),
    gc: Flags.boolean({ description: 'force a GC before each snapshot', default: true, allowNo: true }),
    sampling: Flags.boolean({ description: 'run the sampling heap profiler between snapshots', default: true, allowNo: true }),
    force: Flags.boolean({ description: 'take snapshots even when the target is close to its heap limit', default: false }),
    ...reportFailFlags,
    top: topFlag('findings, classes and sites'),
    format: formatFlag(['table', 'markdown'] as const),
    output: outputFlag,
    ...significanceFlags,
  };

  async run(): Promise<AttachReport> {
    const { args, flags } = await this.parse(Attach);
    let intervalMs = flags.interval;
    if (flags.duration !== undefined) intervalMs = flags.snapshots > 1 ? flags.duration / (flags.snapshots - 1) : flags.duration;
    const usageEveryMs = Math.min(flags['usage-every'], Math.max(250, intervalMs / 2));
    if (flags.output) checkDestination(flags.output);
    const live = createLiveView(this.showProgress, liveHeapChart);
    const outDir = captureDirName(flags.dir, args.pid ?? null);
    // from here until the target is let go, signals abort the work instead of killing leakscope
    const interrupts = new Interrupts(() => live.line('stopping: detaching from the target and writing the report from what was gathered...'));
    const conn = await interrupts.guard(connectToTarget({ pid: args.pid, port: flags.port, ws: flags.ws, host: flags.host }));
    try {
      makeCaptureDir(outDir); // only now: a refused target leaves no empty folder behind
    } catch (err) {
      await conn.session.detach();
      interrupts.dispose();
      throw err;
    }
    const plan: CapturePlan = { intervalMs, snapshots: flags.snapshots, usageEveryMs, outDir, prefix: args.pid !== undefined ? `pid${args.pid}` : 'heap', gc: flags.gc, sampling: flags.sampling, force: flags.force, pid: conn.target?.pid };

    let capture;
    try {
      live.line(`attached to ${conn.target ? `pid ${conn.target.pid}` : conn.address.host}:${conn.address.port}; ${plan.snapshots} snapshots, every ${Math.round(intervalMs / 1000)} s, into ${outDir}`);
      capture = await runCapture(conn.session, plan, captureEvents(live, plan.snapshots), interrupts.signal);
    } finally {
      interrupts.dispose();
      live.stop();
    }

    const diff = capture.snapshots.length >= 2 ? await diffFiles(capture.snapshots, { ...DEFAULT_DIFF_OPTIONS, top: flags.top, significance: significanceOptions(flags) }) : null;
    const report = buildAttachReport(conn, plan, capture, diff, compareProfiles(capture.profileData, flags.top));
    if (!this.jsonEnabled()) {
      const shown = printableDeep(report);
      this.emit(flags.format === 'markdown' ? attachMarkdown(shown, flags.top) : attachTable(shown, flags.top), flags.output, verdictLine(shown));
    }
    if (capture.error) {
      // the report above keeps what was gathered; the error still decides the exit code
      process.stderr.write(`leakscope: ${capture.error.message}\n`);
      process.exitCode = capture.error.exitCode;
    } else if (interrupts.interrupted) {
      process.stderr.write(`leakscope: interrupted by ${interrupts.received} after ${capture.snapshots.length} of ${plan.snapshots} snapshots; ${detachText(capture.detach, conn.openedByUs)}; report from what was gathered${capture.snapshots.length ? ` (files in ${outDir})` : ''}\n`);
      process.exitCode = interrupts.exitCode;
    } else if (diff && failsOn(diff, failingKinds(flags))) {
      process.exitCode = ExitCode.leak;
    }
    if (capture.detach.inspectorClosed === false) throw new UserError(capture.detach.errors.join('; '), { exitCode: ExitCode.inspector });
    return report;
  }
}
