import path from 'node:path';
import { Flags } from '@oclif/core';
import { connectToTarget } from '../capture/connect.js';
import { checkHeadroom, expectedPauseMs } from '../capture/monitor.js';
import { checkDestination } from '../files.js';
import { BaseCommand } from '../cli/base.js';
import { captureDirName, makeCaptureDir, targetArgs, targetFlags } from '../cli/targeting.js';
import { formatBytes } from '../reporters/format.js';
import { createLiveView } from '../reporters/live.js';

export interface SnapshotReport {
  schema: 'leakscope.snapshot/v1';
  file: string;
  bytes: number;
  seconds: number;
  heapUsed: number;
  heapLimit: number;
  gc: boolean;
  inspectorClosed: boolean | null;
}

export default class Snapshot extends BaseCommand {
  static override summary = 'Take one heap snapshot of a running Node.js process, streamed to a file (0600).';

  static override examples = ['<%= config.bin %> snapshot 12345', '<%= config.bin %> snapshot 12345 -o before.heapsnapshot --no-gc', '<%= config.bin %> snapshot --port 9229'];

  static override args = targetArgs;

  static override flags = {
    ...targetFlags,
    output: Flags.string({ char: 'o', description: 'snapshot file (default: ./.leakscope/<pid>-<time>/pid<pid>.heapsnapshot)' }),
    gc: Flags.boolean({ description: 'force a GC first (--no-gc to skip it)', default: true, allowNo: true }),
    force: Flags.boolean({ description: 'take it even when the target is close to its heap limit', default: false }),
  };

  async run(): Promise<SnapshotReport> {
    const { args, flags } = await this.parse(Snapshot);
    const file = flags.output ?? path.join(captureDirName(undefined, args.pid ?? null), `${args.pid !== undefined ? `pid${args.pid}` : 'heap'}.heapsnapshot`);
    checkDestination(file); // a directory, link, FIFO or device named by -o is refused before the target is touched
    const live = createLiveView(this.showProgress);
    const conn = await connectToTarget({ pid: args.pid, port: flags.port, ws: flags.ws, host: flags.host });
    const { session } = conn;
    let report: SnapshotReport;
    try {
      makeCaptureDir(path.dirname(file)); // only now: a refused target leaves no empty folder behind
      const u = await session.heapUsage();
      if (!flags.force) checkHeadroom(u, conn.target?.pid);
      live.line(`snapshot of ${formatBytes(u.used)} of heap: the target pauses for about ${(expectedPauseMs(u.used) / 1000).toFixed(1)} s`);
      if (flags.gc) await session.collectGarbage();
      const t0 = Date.now();
      const bytes = await session.takeSnapshot(file, (done, total) => live.status(`snapshot: ${total ? Math.round((done / total) * 100) : 0}%`));
      report = { schema: 'leakscope.snapshot/v1', file, bytes, seconds: (Date.now() - t0) / 1000, heapUsed: u.used, heapLimit: u.limit, gc: flags.gc, inspectorClosed: null };
    } finally {
      live.stop();
      const detach = await session.detach();
      if (detach.inspectorClosed === false) process.stderr.write(`leakscope: warning: ${detach.errors.join('; ')}\n`);
    }
    if (!this.jsonEnabled()) this.log(`${report.file} (${formatBytes(report.bytes)}, ${report.seconds.toFixed(1)} s)`);
    return report;
  }
}
