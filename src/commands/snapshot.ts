import path from 'node:path';
import { Flags } from '@oclif/core';
import { connectToTarget } from '../capture/connect.js';
import { checkHeadroom, expectedPauseMs } from '../capture/monitor.js';
import { checkDestination } from '../files.js';
import { Interrupts } from '../cli/interrupts.js';
import { TransferAbandoned } from '../capture/session.js';
import { detachText } from '../reporters/attach.js';
import { printable } from '../text.js';
import { BaseCommand } from '../cli/base.js';
import { captureDirName, makeCaptureDir, targetArgs, targetFlags } from '../cli/targeting.js';
import { formatBytes } from '../format.js';
import { createLiveView } from '../reporters/live.js';
import { SNAPSHOT_SCHEMA, type SnapshotReport } from '../reports/attach.js';

export default class Snapshot extends BaseCommand {
  static override summary = 'Take one heap snapshot of a running Node.js process, streamed to a file (0600).';

  static override examples = ['<%= config.bin %> snapshot 12345', '<%= config.bin %> snapshot 12345 -o before.heapsnapshot --no-gc', '<%= config.bin %> snapshot --port 9229'];

  static override args = targetArgs;

  static override flags = {
    ...targetFlags,
    output: Flags.string({ char: 'o', description: 'the snapshot file, written 0600 (default: ./.leakscope/<pid>-<time>/pid<pid>.heapsnapshot)' }),
    gc: Flags.boolean({ description: 'force a GC first (--no-gc to skip it)', default: true, allowNo: true }),
    force: Flags.boolean({ description: 'take it even when the target is close to its heap limit', default: false }),
  };

  async run(): Promise<SnapshotReport> {
    const { args, flags } = await this.parse(Snapshot);
    const file = flags.output ?? path.join(captureDirName(undefined, args.pid ?? null), `${args.pid !== undefined ? `pid${args.pid}` : 'heap'}.heapsnapshot`);
    checkDestination(file); // a directory, link, FIFO or device named by -o is refused before the target is touched
    const live = createLiveView(this.showProgress);
    // from here until the target is let go, signals abandon the snapshot instead of killing leakscope
    const interrupts = new Interrupts((sig) => live.line(`${sig}: abandoning the snapshot; reading the rest of the transfer so the target is not hurt...`));
    const conn = await interrupts.guard(connectToTarget({ pid: args.pid, port: flags.port, ws: flags.ws, host: flags.host }));
    const { session } = conn;
    let report: SnapshotReport | null = null;
    try {
      if (interrupts.interrupted) throw new TransferAbandoned(file);
      makeCaptureDir(path.dirname(file)); // only now: a refused target leaves no empty folder behind
      const u = await session.heapUsage();
      if (!flags.force) checkHeadroom(u, conn.target?.pid);
      live.line(`snapshot of ${formatBytes(u.used)} of heap: the target pauses for about ${(expectedPauseMs(u.used) / 1000).toFixed(1)} s`);
      if (interrupts.interrupted) throw new TransferAbandoned(file);
      if (flags.gc) await session.collectGarbage();
      if (interrupts.interrupted) throw new TransferAbandoned(file);
      const t0 = Date.now();
      const bytes = await session.takeSnapshot(file, (done, total) => live.status(`snapshot: ${total ? Math.round((done / total) * 100) : 0}%`), interrupts.signal);
      report = { schema: SNAPSHOT_SCHEMA, file, bytes, seconds: (Date.now() - t0) / 1000, heapUsed: u.used, heapLimit: u.limit, gc: flags.gc, inspectorClosed: null };
    } catch (err) {
      if (!(err instanceof TransferAbandoned)) throw err;
    } finally {
      live.stop();
      const detach = await session.detach();
      interrupts.dispose();
      if (interrupts.interrupted) {
        const kept = report ? `the snapshot was already whole and is kept: ${printable(file)}` : 'no snapshot written (the partial file is removed)';
        process.stderr.write(`leakscope: interrupted by ${interrupts.received}: ${kept}; ${detachText(detach, conn.openedByUs)}\n`);
        process.exitCode = interrupts.exitCode;
      } else if (detach.inspectorClosed === false) process.stderr.write(`leakscope: warning: ${detach.errors.join('; ')}\n`);
    }
    if (!report) return { schema: SNAPSHOT_SCHEMA, file: null, bytes: 0, seconds: 0, heapUsed: 0, heapLimit: 0, gc: flags.gc, inspectorClosed: null, interrupted: interrupts.received };
    if (!this.jsonEnabled()) this.log(`${report.file} (${formatBytes(report.bytes)}, ${report.seconds.toFixed(1)} s)`);
    return report;
  }
}
