/**
 * `leakscope snapshot`'s workflow: connect, then stream one heap snapshot of each isolate asked for (the main thread,
 * a worker, or all) into 0600 files, checking the headroom before each, and let the target go as found.
 */
import path from 'node:path';
import { connectToTarget } from '../capture/connect.js';
import { checkHeadroom, expectedPauseMs } from '../capture/monitor.js';
import { TransferAbandoned, type ThreadInfo } from '../capture/session.js';
import { Isolates, workerExited, type ThreadSelection } from '../capture/threads.js';
import { UserError } from '../common/errors.js';
import { checkDestination } from '../common/files.js';
import { formatBytes, threadLabel } from '../common/format.js';
import { SNAPSHOT_SCHEMA, type SnapshotReport } from '../contracts/attach.js';
import { captureDirName, makeCaptureDir } from './capture-dir.js';
import type { Interrupts } from './interrupts.js';

export interface SnapshotOptions {
  pid?: number;
  port?: number;
  ws?: string;
  host: string;
  thread: ThreadSelection;
  /** the main thread's file (default: ./.leakscope/<pid>-<time>/pid<pid>.heapsnapshot) */
  output?: string;
  gc: boolean;
  force: boolean;
}

export interface SnapshotOutput {
  line(text: string): void;
  status(text: string): void;
  stop(): void;
}

export interface SnapshotOutcome {
  report: SnapshotReport;
  detach: { inspectorClosed: boolean | null; errors: string[] };
  openedByUs: boolean;
}

export async function snapshotWorkflow(o: SnapshotOptions, out: SnapshotOutput, interrupts: Interrupts): Promise<SnapshotOutcome> {
  const main =
    o.output ?? path.join(captureDirName(undefined, o.pid ?? null), `${o.pid !== undefined ? `pid${o.pid}` : 'heap'}.heapsnapshot`);
  const fileOf = (t: ThreadInfo) => (t.kind === 'main' ? main : main.replace(/(\.heapsnapshot)?$/, `-t${t.id}$1`));
  try {
    checkDestination(main); // a directory, link, FIFO or device named by -o is refused before the target is touched
  } catch (err) {
    interrupts.dispose();
    throw err;
  }
  const conn = await interrupts.guard(
    connectToTarget(
      { pid: o.pid, port: o.port, ws: o.ws, host: o.host },
      {
        waitingForLock: (holder) => out.line(`waiting for another leakscope (pid ${holder}) to finish opening an inspector...`),
        waitingForTarget: (holder, pid) =>
          process.stderr.write(`leakscope: waiting for another leakscope (pid ${holder}) to let go of pid ${pid}...\n`),
      },
    ),
  );
  const { session } = conn;
  if (conn.exposed)
    process.stderr.write(
      `leakscope: warning: pid ${o.pid}'s inspector listens on every interface (port ${conn.address.port}): anyone who can reach that port can run code in it; start it with --inspect=127.0.0.1\n`,
    );
  const files: SnapshotReport['files'] = [];
  const exited: string[] = [];
  let isolates: Isolates | null = null;
  let detach = { inspectorClosed: null as boolean | null, errors: [] as string[] };
  try {
    if (interrupts.interrupted) throw new TransferAbandoned(main);
    isolates = await Isolates.watch(session, o.thread);
    const sessions = isolates.current();
    if (typeof o.thread === 'number' && sessions.length === 0)
      throw new UserError(
        `pid ${conn.target?.pid ?? ''} has no worker with thread id ${o.thread} (its workers: ${
          isolates.threads
            .filter((t) => t.kind === 'worker')
            .map((t) => t.id)
            .join(', ') || 'none'
        })`,
      );
    for (const s of sessions) checkDestination(fileOf(s.thread));
    makeCaptureDir(path.dirname(main)); // only now: a refused target leaves no empty folder behind
    for (const s of sessions) {
      const label = threadLabel(s.thread);
      const file = fileOf(s.thread);
      try {
        const u = await s.heapUsage();
        if (!o.force) checkHeadroom(u, conn.target?.pid);
        out.line(
          `snapshot of ${label}, ${formatBytes(u.used)} of heap: it pauses for about ${(expectedPauseMs(u.used) / 1000).toFixed(1)} s`,
        );
        if (interrupts.interrupted) throw new TransferAbandoned(file);
        if (o.gc) await s.collectGarbage();
        if (interrupts.interrupted) throw new TransferAbandoned(file);
        const t0 = Date.now();
        const bytes = await s.takeSnapshot(
          file,
          (done, total) => out.status(`snapshot of ${label}: ${total ? Math.round((done / total) * 100) : 0}%`),
          interrupts.signal,
        );
        files.push({ thread: s.thread, label, file, bytes, seconds: (Date.now() - t0) / 1000, heapUsed: u.used, heapLimit: u.limit });
      } catch (err) {
        if (workerExited(s, err)) exited.push(label);
        else throw err;
      }
    }
  } catch (err) {
    if (!(err instanceof TransferAbandoned)) throw err; // after the finally below has let the target go
  } finally {
    out.stop();
    detach = isolates ? await isolates.detach() : await session.detach();
    interrupts.dispose();
  }
  const report: SnapshotReport = {
    schema: SNAPSHOT_SCHEMA,
    files,
    gc: o.gc,
    inspectorClosed: detach.inspectorClosed,
    exited,
    ...(interrupts.interrupted ? { interrupted: interrupts.received } : {}),
  };
  return { report, detach, openedByUs: conn.openedByUs };
}
