import { Flags } from '@oclif/core';
import { compareProfiles } from '../analysis/allocations.js';
import { DEFAULT_DIFF_OPTIONS, type DiffResult } from '../analysis/diff.js';
import { diffFiles } from '../analysis/diff-files.js';
import { connectToTarget } from '../capture/connect.js';
import { runCapture } from '../capture/monitor.js';
import { significanceFlags, significanceOptions } from '../cli/significance-flags.js';
import { printableDeep } from '../text.js';
import { Interrupts } from '../cli/interrupts.js';
import { BaseCommand } from '../cli/base.js';
import { captureDirName, makeCaptureDir, parseDuration, targetArgs, targetFlags } from '../cli/targeting.js';
import { ExitCode, UserError } from '../errors.js';
import { attachMarkdown, attachTable, detachText, liveHeapChart, type AttachReport } from '../reporters/attach.js';
import { formatBytes } from '../format.js';
import { createLiveView, usageText } from '../reporters/live.js';

export default class Attach extends BaseCommand {
  static override summary = 'Attach to a running Node.js process, watch its heap over time, and report what leaks.';

  static override description = `No restart, no code change: confirms the pid runs Node.js, opens its inspector with SIGUSR1 (loopback only), and
every --interval forces a GC and streams a heap snapshot to disk, while the sampling heap profiler records which
lines allocate the memory that stays. Then it reports the verdict, the leaking collections with their retainer path
and declaration, the allocation sites whose live memory grew, and a chart of the heap. The target is left as found:
profiler stopped, inspector closed if leakscope opened it. Ctrl-C stops early and still reports.`;

  static override examples = [
    '<%= config.bin %> attach 12345',
    '<%= config.bin %> attach 12345 --interval 1m --snapshots 4 --out ./snapshots',
    '<%= config.bin %> attach --port 9229 --duration 5m --json',
  ];

  static override args = targetArgs;

  static override flags = {
    ...targetFlags,
    interval: Flags.string({ description: 'time between snapshots', default: '30s' }),
    snapshots: Flags.integer({ description: 'number of snapshots (3+ for a leak verdict)', default: 3, min: 1, max: 100 }),
    duration: Flags.string({ description: 'total duration; sets the interval to duration / (snapshots - 1)' }),
    'usage-every': Flags.string({ description: 'how often to sample heap usage between snapshots', default: '2s' }),
    out: Flags.string({ description: 'folder for the .heapsnapshot and .heapprofile files (default: ./.leakscope/<pid>-<time>/)' }),
    gc: Flags.boolean({ description: 'force a GC before each snapshot', default: true, allowNo: true }),
    sampling: Flags.boolean({ description: 'run the sampling heap profiler between snapshots', default: true, allowNo: true }),
    force: Flags.boolean({ description: 'take snapshots even when the target is close to its heap limit', default: false }),
    'fail-on-leak': Flags.boolean({ description: 'exit with code 1 when the verdict is leak', default: false }),
    top: Flags.integer({ description: 'how many findings, classes and sites to list', default: 10, min: 1 }),
    format: Flags.string({ description: 'output format', options: ['table', 'markdown'], default: 'table' }),
    ...significanceFlags,
  };

  async run(): Promise<AttachReport> {
    const { args, flags } = await this.parse(Attach);
    let intervalMs = parseDuration(flags.interval, 'interval');
    if (flags.duration !== undefined) {
      const total = parseDuration(flags.duration, 'duration');
      intervalMs = flags.snapshots > 1 ? total / (flags.snapshots - 1) : total;
    }
    const usageEveryMs = Math.min(parseDuration(flags['usage-every'], 'usage-every'), Math.max(250, intervalMs / 2));
    const live = createLiveView(this.showProgress, liveHeapChart);
    const outDir = captureDirName(flags.out, args.pid ?? null);
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
    const plan = { intervalMs, snapshots: flags.snapshots, usageEveryMs, outDir, prefix: args.pid !== undefined ? `pid${args.pid}` : 'heap', gc: flags.gc, sampling: flags.sampling, force: flags.force, pid: conn.target?.pid };

    let capture;
    try {
      live.line(`attached to ${conn.target ? `pid ${conn.target.pid}` : conn.address.host}:${conn.address.port}; ${plan.snapshots} snapshots, every ${Math.round(intervalMs / 1000)} s, into ${outDir}`);
      capture = await runCapture(conn.session, plan, {
        usage: (u) => {
          live.sample(u.used);
          live.status(usageText(u));
        },
        waiting: (k, left) => live.status(`next snapshot (${k}/${plan.snapshots}) in ${Math.ceil(left / 1000)} s`),
        snapshotStart: (k, pause) => live.status(`snapshot ${k}/${plan.snapshots}: the target pauses for about ${(pause / 1000).toFixed(1)} s...`),
        snapshotProgress: (k, done, total) => live.status(`snapshot ${k}/${plan.snapshots}: ${total ? Math.round((done / total) * 100) : 0}%`),
        snapshotDone: (k, file, bytes, ms) => live.line(`snapshot ${k}/${plan.snapshots}: ${file} (${formatBytes(bytes)}, ${(ms / 1000).toFixed(1)} s)`),
      }, interrupts.signal);
    } finally {
      interrupts.dispose();
      live.stop();
    }

    let diff: DiffResult | null = null;
    let verdict: AttachReport['verdict'] = 'inconclusive';
    let reason = `only ${capture.snapshots.length} snapshot${capture.snapshots.length === 1 ? '' : 's'} taken: at least 2 are needed to compare`;
    if (capture.snapshots.length >= 2) {
      diff = await diffFiles(capture.snapshots, { ...DEFAULT_DIFF_OPTIONS, top: flags.top, significance: significanceOptions(flags) });
      verdict = diff.verdict;
      reason = diff.reason;
    }
    const report: AttachReport = {
      schema: 'leakscope.attach/v1',
      target: { pid: conn.target?.pid ?? null, command: conn.target ? conn.target.commandLine.join(' ').slice(0, 200) : null, inspector: `${conn.address.host}:${conn.address.port}`, openedByUs: conn.openedByUs },
      plan: { intervalMs, snapshots: plan.snapshots, outDir, gc: plan.gc, sampling: plan.sampling },
      snapshots: capture.snapshots,
      profiles: capture.profiles,
      snapshotMs: capture.snapshotMs,
      usage: capture.usage,
      verdict,
      reason,
      diff,
      allocationSites: compareProfiles(capture.profileData, flags.top),
      interrupted: capture.interrupted,
      error: capture.error?.message ?? null,
      detach: capture.detach,
    };
    if (!this.jsonEnabled()) this.log(flags.format === 'markdown' ? attachMarkdown(printableDeep(report), flags.top) : attachTable(printableDeep(report), flags.top));
    if (capture.error) {
      // the report above keeps what was gathered; the error still decides the exit code
      process.stderr.write(`leakscope: ${capture.error.message}\n`);
      process.exitCode = capture.error.exitCode;
    } else if (interrupts.interrupted) {
      process.stderr.write(`leakscope: interrupted by ${interrupts.received} after ${capture.snapshots.length} of ${plan.snapshots} snapshots; ${detachText(capture.detach, conn.openedByUs)}; report from what was gathered${capture.snapshots.length ? ` (files in ${outDir})` : ''}\n`);
      process.exitCode = interrupts.exitCode;
    } else if (flags['fail-on-leak'] && verdict === 'leak') {
      process.exitCode = ExitCode.leak;
    }
    if (capture.detach.inspectorClosed === false) throw new UserError(capture.detach.errors.join('; '), { exitCode: ExitCode.inspector });
    return report;
  }
}

