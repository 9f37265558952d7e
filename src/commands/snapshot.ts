import { grouped } from '../cli/flags.js';
import path from 'node:path';
import { Flags } from '@oclif/core';
import { connectToTarget } from '../capture/connect.js';
import { checkHeadroom, expectedPauseMs } from '../capture/monitor.js';
import { checkDestination } from '../files.js';
import { Interrupts } from '../cli/interrupts.js';
import { TransferAbandoned, type ThreadInfo } from '../capture/session.js';
import { Isolates, workerExited } from '../capture/threads.js';
import { UserError } from '../errors.js';
import { detachText } from '../reporters/attach.js';
import { printable } from '../text.js';
import { BaseCommand } from '../cli/base.js';
import { captureDirName, makeCaptureDir, targetArgs, targetFlags, threadFlag } from '../cli/targeting.js';
import { formatBytes, threadLabel } from '../format.js';
import { createLiveView } from '../reporters/live.js';
import { SNAPSHOT_SCHEMA, type SnapshotReport } from '../reports/attach.js';

export default class Snapshot extends BaseCommand {
  static override summary = 'Take one heap snapshot of a running Node.js process, streamed to a file (0600).';

  static override examples = ['<%= config.bin %> snapshot 12345', '<%= config.bin %> snapshot 12345 -o before.heapsnapshot --no-gc', '<%= config.bin %> snapshot --port 9229'];

  static override args = targetArgs;

  static override flags = grouped({
    ...targetFlags,
    output: Flags.string({ char: 'o', description: "the main thread's snapshot file, written 0600; a worker's goes beside it as <name>-t<threadId>.heapsnapshot (default: ./.leakscope/<pid>-<time>/pid<pid>.heapsnapshot)" }),
    thread: threadFlag(),
    gc: Flags.boolean({ description: 'force a GC first (--no-gc to skip it)', default: true, allowNo: true }),
    force: Flags.boolean({ description: 'take it even when the target is close to its heap limit', default: false }),
  });

  async run(): Promise<SnapshotReport> {
    const { args, flags } = await this.parse(Snapshot);
    const main = flags.output ?? path.join(captureDirName(undefined, args.pid ?? null), `${args.pid !== undefined ? `pid${args.pid}` : 'heap'}.heapsnapshot`);
    const fileOf = (t: ThreadInfo) => (t.kind === 'main' ? main : main.replace(/(\.heapsnapshot)?$/, `-t${t.id}$1`));
    checkDestination(main); // a directory, link, FIFO or device named by -o is refused before the target is touched
    const live = createLiveView(this.viewMode);
    // from here until the target is let go, signals abandon the snapshot instead of killing leakscope
    const interrupts = new Interrupts((sig) => live.line(`${sig}: abandoning the snapshot; reading the rest of the transfer so the target is not hurt...`));
    const conn = await interrupts.guard(connectToTarget({ pid: args.pid, port: flags.port, ws: flags.ws, host: flags.host }, { waitingForLock: (holder) => live.line(`waiting for another leakscope (pid ${holder}) to finish opening an inspector...`), waitingForTarget: (holder, pid) => process.stderr.write(`leakscope: waiting for another leakscope (pid ${holder}) to let go of pid ${pid}...\n`) }));
    const { session } = conn;
    if (conn.exposed) process.stderr.write(`leakscope: warning: pid ${args.pid}'s inspector listens on every interface (port ${conn.address.port}): anyone who can reach that port can run code in it; start it with --inspect=127.0.0.1\n`);
    const files: SnapshotReport['files'] = [];
    const exited: string[] = [];
    let isolates: Isolates | null = null;
    let detach = { inspectorClosed: null as boolean | null, errors: [] as string[] };
    try {
      if (interrupts.interrupted) throw new TransferAbandoned(main);
      isolates = await Isolates.watch(session, flags.thread);
      const sessions = isolates.current();
      if (typeof flags.thread === 'number' && sessions.length === 0) throw new UserError(`pid ${conn.target?.pid ?? ''} has no worker with thread id ${flags.thread} (its workers: ${isolates.threads.filter((t) => t.kind === 'worker').map((t) => t.id).join(', ') || 'none'})`);
      for (const s of sessions) checkDestination(fileOf(s.thread));
      makeCaptureDir(path.dirname(main)); // only now: a refused target leaves no empty folder behind
      for (const s of sessions) {
        const label = threadLabel(s.thread);
        const file = fileOf(s.thread);
        try {
          const u = await s.heapUsage();
          if (!flags.force) checkHeadroom(u, conn.target?.pid);
          live.line(`snapshot of ${label}, ${formatBytes(u.used)} of heap: it pauses for about ${(expectedPauseMs(u.used) / 1000).toFixed(1)} s`);
          if (interrupts.interrupted) throw new TransferAbandoned(file);
          if (flags.gc) await s.collectGarbage();
          if (interrupts.interrupted) throw new TransferAbandoned(file);
          const t0 = Date.now();
          const bytes = await s.takeSnapshot(file, (done, total) => live.status(`snapshot of ${label}: ${total ? Math.round((done / total) * 100) : 0}%`), interrupts.signal);
          files.push({ thread: s.thread, label, file, bytes, seconds: (Date.now() - t0) / 1000, heapUsed: u.used, heapLimit: u.limit });
        } catch (err) {
          if (workerExited(s, err)) exited.push(label);
          else throw err;
        }
      }
    } catch (err) {
      if (!(err instanceof TransferAbandoned)) throw err; // after the finally below has let the target go
    } finally {
      live.stop();
      detach = isolates ? await isolates.detach() : await session.detach();
      interrupts.dispose();
    }
    if (interrupts.interrupted) {
      // a snapshot already whole is kept; the one in flight is dropped
      const kept = files.length ? `the snapshot${files.length === 1 ? ' was' : 's were'} already whole and ${files.length === 1 ? 'is' : 'are'} kept: ${files.map((f) => printable(f.file)).join(', ')}` : 'no snapshot written (the partial file is removed)';
      process.stderr.write(`leakscope: interrupted by ${interrupts.received}: ${kept}; ${detachText(detach, conn.openedByUs)}\n`);
      process.exitCode = interrupts.exitCode;
    } else if (detach.inspectorClosed === false) process.stderr.write(`leakscope: warning: ${detach.errors.join('; ')}\n`);
    const report: SnapshotReport = { schema: SNAPSHOT_SCHEMA, files, gc: flags.gc, inspectorClosed: detach.inspectorClosed, exited, ...(interrupts.interrupted ? { interrupted: interrupts.received } : {}) };
    if (!this.jsonEnabled()) {
      for (const f of files) this.log(`${printable(f.file)} (${f.thread.kind === 'main' ? '' : `${printable(f.label)}, `}${formatBytes(f.bytes)}, ${f.seconds.toFixed(1)} s)`);
      for (const e of exited) this.log(`${printable(e)} exited before its snapshot (not an error)`);
    }
    return report;
  }
}
