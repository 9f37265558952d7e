import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base.js';
import { grouped } from '../cli/flags.js';
import { targetArgs, targetFlags, threadFlag } from '../cli/targeting.js';
import { formatBytes } from '../common/format.js';
import { printable } from '../common/text.js';
import type { SnapshotReport } from '../contracts/attach.js';
import { Interrupts } from '../live/interrupts.js';
import { snapshotWorkflow } from '../live/snapshot.js';
import { detachText } from '../reporters/attach.js';
import { createLiveView } from '../reporters/live.js';

export default class Snapshot extends BaseCommand {
  static override summary = 'Take one heap snapshot of a running Node.js process, streamed to a file (0600).';

  static override examples = [
    '<%= config.bin %> snapshot 12345',
    '<%= config.bin %> snapshot 12345 -o before.heapsnapshot --no-gc',
    '<%= config.bin %> snapshot --port 9229',
  ];

  static override args = targetArgs;

  static override flags = grouped({
    ...targetFlags,
    output: Flags.string({
      char: 'o',
      description:
        "the main thread's snapshot file, written 0600; a worker's goes beside it as <name>-t<threadId>.heapsnapshot (default: ./.leakscope/<pid>-<time>/pid<pid>.heapsnapshot)",
    }),
    thread: threadFlag(),
    gc: Flags.boolean({ description: 'force a GC first (--no-gc to skip it)', default: true, allowNo: true }),
    force: Flags.boolean({ description: 'take it even when the target is close to its heap limit', default: false }),
  });

  async run(): Promise<SnapshotReport> {
    const { args, flags } = await this.parse(Snapshot);
    const live = createLiveView(this.viewMode);
    // from here until the target is let go, signals abandon the snapshot instead of killing leakscope
    const interrupts = new Interrupts((sig) =>
      live.line(`${sig}: abandoning the snapshot; reading the rest of the transfer so the target is not hurt...`),
    );
    const options = {
      pid: args.pid,
      port: flags.port,
      ws: flags.ws,
      host: flags.host,
      thread: flags.thread,
      output: flags.output,
      gc: flags.gc,
      force: flags.force,
    };
    const { report, detach, openedByUs } = await snapshotWorkflow(options, live, interrupts);
    const { files, exited } = report;
    if (interrupts.interrupted) {
      // a snapshot already whole is kept; the one in flight is dropped
      const kept = files.length
        ? `the snapshot${files.length === 1 ? ' was' : 's were'} already whole and ${files.length === 1 ? 'is' : 'are'} kept: ${files.map((f) => printable(f.file)).join(', ')}`
        : 'no snapshot written (the partial file is removed)';
      process.stderr.write(`leakscope: interrupted by ${interrupts.received}: ${kept}; ${detachText(detach, openedByUs)}\n`);
      process.exitCode = interrupts.exitCode;
    } else if (detach.inspectorClosed === false) process.stderr.write(`leakscope: warning: ${detach.errors.join('; ')}\n`);
    if (!this.jsonEnabled()) {
      for (const f of files)
        this.log(
          `${printable(f.file)} (${f.thread.kind === 'main' ? '' : `${printable(f.label)}, `}${formatBytes(f.bytes)}, ${f.seconds.toFixed(1)} s)`,
        );
      for (const e of exited) this.log(`${printable(e)} exited before its snapshot (not an error)`);
    }
    return report;
  }
}
