/**
 * One inspector (CDP) session with one isolate of a target — its main thread, or a worker thread reached through
 * the main thread's NodeWorker domain: heap usage, forced GC, heap snapshots streamed to disk, the sampling heap
 * profiler, and a clean detach that leaves the target as it was found.
 */
import { CUT_LIFELINE, WHO_OPENED, lifelinePort, lifelineScript } from './lifeline.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { SocketChannel, WorkerGone, type Channel } from './channel.js';
import { beginFile } from '../common/files.js';
import { ExitCode, UserError, InspectorError } from '../common/errors.js';
import type { SamplingProfile } from '../formats/heapprofile.js';
import { probeInspector, type InspectorAddress } from './inspector-probe.js';

export interface HeapUsage {
  /** ms since the session started */
  t: number;
  used: number;
  total: number;
  external: number;
  /** ArrayBuffers and Buffers (included in external); absent from a Node that does not report it */
  arrayBuffers?: number;
  rss: number;
  limit: number;
  /** the old generation's limit when the process was started with --max-old-space-size (bytes), else null */
  oldLimit?: number | null;
  /** the old generation's use (the heap without the young generation) */
  oldUsed?: number;
  /** taken right after a full GC (a soak's samples, and a watch's sample before each snapshot) */
  afterGc?: boolean;
  /** heapUsed just before that GC: what the program allocated since the previous sample's GC is the difference */
  usedBeforeGc?: number;
}

/** Which isolate of the process a session is with: the main thread (id 0) or a worker (its threadId). */
export interface ThreadInfo {
  id: number;
  kind: 'main' | 'worker';
  /** the worker's title as Node gives it ("[worker 1] results-pool"); "main thread" for the main thread */
  title: string;
  /** the worker's script URL (empty for the main thread) */
  url: string;
}

export const MAIN_THREAD: ThreadInfo = { id: 0, kind: 'main', title: 'main thread', url: '' };

/** How long after our disconnect the target closes the inspector we opened. */
const CLOSE_DELAY_MS = 250;
/** How long a garbage collection may take before leakscope checks that the target runs at all. */
const GC_ANSWER_MS = 15_000;
/** How long a target has to run a zero-delay timer before it is taken as paused. */
const RUNNING_ANSWER_MS = 5_000;

/** How long detach waits for an inspector we opened to close. */
const CLOSE_WAIT_MS = 10_000;

/** A snapshot transfer that was read to its end but not kept, because leakscope was asked to stop. */
export class TransferAbandoned extends Error {
  constructor(readonly file: string) {
    super(`the snapshot was not kept (${file})`);
    this.name = 'TransferAbandoned';
  }
}

export class InspectorSession {
  private sampling = false;
  private heapProfilerEnabled = false;
  private closed = false;
  private readonly started: number;

  constructor(
    readonly channel: Channel,
    readonly address: InspectorAddress,
    private openedByUs: boolean,
    readonly thread: ThreadInfo = MAIN_THREAD,
    /** the time origin of heap-usage samples (a worker's session shares its process's) */
    started = Date.now(),
  ) {
    this.started = started;
  }

  static async connect(address: InspectorAddress, openedByUs: boolean): Promise<InspectorSession> {
    let channel: SocketChannel;
    try {
      channel = await SocketChannel.open(address.webSocketDebuggerUrl);
    } catch (err) {
      throw new InspectorError(`cannot connect to the inspector at ${address.webSocketDebuggerUrl}: ${(err as Error).message}`);
    }
    return new InspectorSession(channel, address, openedByUs);
  }

  /**
   * The inspector was left open by a leakscope that died before it could close it (its lifeline records the
   * opener's pid, and that process is gone): this session closes it at the end, as its own, and takes over the
   * lifeline. Main thread only.
   */
  async adoptOrphanedInspector(): Promise<boolean> {
    let pid: number | null = null;
    try {
      pid = await this.evaluate<number | null>(WHO_OPENED);
    } catch {
      return false;
    }
    if (pid === null || pid === process.pid || isRunning(pid)) return false;
    this.openedByUs = true;
    await this.installLifeline();
    return true;
  }

  /** The dead man's switch (lifeline.ts): the target closes the inspector we opened if leakscope dies. */
  async installLifeline(): Promise<void> {
    const { port, token } = await lifelinePort();
    await this.evaluate(lifelineScript(port, token, process.pid));
  }

  private readonly detachedHooks: Array<() => void> = [];

  /** Runs `fn` once this session has let go of the target (the per-target lock's release). */
  onDetached(fn: () => void): void {
    this.detachedHooks.push(fn);
  }

  /** Whether this session will close the inspector when it detaches (it opened it, or adopted an orphaned one). */
  get closesInspector(): boolean {
    return this.openedByUs;
  }

  get isDisconnected(): boolean {
    return this.channel.disconnected;
  }

  /** ms since the session (of the process) started: the time origin of usage samples */
  get startedAt(): number {
    return this.started;
  }

  /** Evaluates an expression in the target (with the command line API's `require`) and returns its value. */
  async evaluateInTarget<T>(expression: string): Promise<T> {
    return this.evaluate<T>(expression);
  }

  private async evaluate<T>(expression: string): Promise<T> {
    const r = await this.channel.send('Runtime.evaluate', { expression, returnByValue: true, includeCommandLineAPI: true, silent: true });
    if (r.exceptionDetails) throw new Error(`evaluation failed in the target: ${r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /**
   * The old generation's own limit, when the process was given one (--max-old-space-size): read once, it does not
   * change. Asked apart from the usage probe because the probe runs after every forced GC, which flushes compiled
   * regular expressions: recompiling this one cost the target ~240 kB of heap per sample, enough to make an idle
   * program look busy.
   */
  private oldLimit: Promise<number | null> | null = null;

  async heapUsage(): Promise<HeapUsage> {
    this.oldLimit ??= this.evaluate<number | null>(
      `(() => { const flag = process.execArgv.concat(String(process.env.NODE_OPTIONS || '').split(/\\s+/)).map((a) ` +
        `=> /^--max[-_]old[-_]space[-_]size=(\\d+)$/.exec(a)).filter(Boolean).pop(); return flag ? Number(flag[1]) ` +
        `* 1048576 : null; })()`,
    );
    const oldLimit = await this.oldLimit;
    // the probe itself: what it allocates in the target is counted as the program's work (see allocationRate)
    const v = await this.evaluate<{
      used: number;
      total: number;
      external: number;
      arrayBuffers?: number;
      rss: number;
      limit: number;
      oldUsed: number;
    }>(
      `(() => { const v8 = require('v8'); const m = process.memoryUsage(); const h = v8.getHeapStatistics(); let young = 0;` +
        ` for (const s of v8.getHeapSpaceStatistics()) if (s.space_name.startsWith('new_')) young += s.space_used_size;` +
        ` return { used: m.heapUsed, total: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss, limit: h.heap_size_limit, oldUsed: h.used_heap_size - young }; })()`,
    );
    return { t: Date.now() - this.started, ...v, oldLimit };
  }

  async collectGarbage(): Promise<void> {
    await this.enableHeapProfiler();
    // V8 runs the collection on the target's event loop: a target paused at a breakpoint never answers
    const done = this.channel.send('HeapProfiler.collectGarbage');
    const late = !(await answersWithin(done, GC_ANSWER_MS));
    if (late) {
      done.catch(() => {});
      await this.assertRunning();
      await done;
    }
  }

  /**
   * Fails (exit 5) when the target's event loop does not run: paused at a breakpoint by another inspector client
   * (DevTools, an IDE), or blocked. The inspector still answers an evaluation then, but nothing that needs the loop
   * (a timer, a garbage collection, leakscope's own probes) ever completes.
   */
  async assertRunning(timeoutMs = RUNNING_ANSWER_MS): Promise<void> {
    const tick = this.channel.send('Runtime.evaluate', {
      expression: 'new Promise((r) => setTimeout(() => r(1), 0))',
      awaitPromise: true,
      returnByValue: true,
      silent: true,
    });
    if (await answersWithin(tick, timeoutMs)) return;
    tick.catch(() => {});
    const where = this.thread.kind === 'main' ? 'the target' : `worker ${this.thread.id}`;
    throw new InspectorError(
      `${where} does not run its event loop: it is paused in a debugger (another inspector client — DevTools, an IDE — stopped it at a breakpoint) or blocked; leakscope lets it go`,
      {
        suggestion: 'resume it in that debugger (or close it) and try again',
      },
    );
  }

  private async enableHeapProfiler(): Promise<void> {
    if (this.heapProfilerEnabled) return;
    await this.channel.send('HeapProfiler.enable');
    this.heapProfilerEnabled = true;
  }

  /**
   * Streams a heap snapshot into `file`: written to `<file>.partial` (mode 0600: a snapshot holds every secret the
   * process holds) chunk by chunk with synchronous writes — the socket is not read while a chunk is written, so a
   * 1 GB snapshot never sits in memory — and renamed when whole. A broken transfer leaves no file under `file`.
   */
  async takeSnapshot(file: string, onProgress?: (done: number, total: number) => void, abandonOn?: AbortSignal): Promise<number> {
    await this.enableHeapProfiler();
    const out = beginFile(file);
    // asked to stop mid-transfer: the file is dropped at once, but the target's chunks are still read to the end
    // (V8 serialises the snapshot whatever we do; a session closed under it has crashed targets)
    let abandoned = false;
    const abandon = () => {
      abandoned = true;
      out.abandon();
    };
    abandonOn?.addEventListener('abort', abandon, { once: true });
    if (abandonOn?.aborted) abandon();
    let bytes = 0;
    let failed: Error | null = null;
    const onChunk = (params: { chunk: string }) => {
      if (failed || abandoned) return;
      try {
        bytes += out.write(params.chunk);
      } catch (err) {
        failed = err as Error;
      }
    };
    const onProgressEvent = (params: { done: number; total: number }) => onProgress?.(params.done, params.total);
    this.channel.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
    this.channel.on('HeapProfiler.reportHeapSnapshotProgress', onProgressEvent);
    try {
      await this.channel.send('HeapProfiler.takeHeapSnapshot', { reportProgress: Boolean(onProgress) });
      if (failed) throw failed;
      if (abandoned) throw new TransferAbandoned(file);
      out.commit();
      return bytes;
    } catch (err) {
      out.abandon();
      if (err instanceof UserError || err instanceof TransferAbandoned || err instanceof WorkerGone) throw err;
      throw new UserError(`the snapshot transfer broke: ${(err as Error).message}`, {
        exitCode: this.isDisconnected ? ExitCode.targetFailed : ExitCode.transfer,
      });
    } finally {
      this.channel.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
      this.channel.off('HeapProfiler.reportHeapSnapshotProgress', onProgressEvent);
      abandonOn?.removeEventListener('abort', abandon);
    }
  }

  async startSampling(samplingInterval = 32768): Promise<void> {
    await this.enableHeapProfiler();
    await this.channel.send('HeapProfiler.startSampling', { samplingInterval });
    this.sampling = true;
  }

  /** The sampled allocations still alive now, by call stack (tracemalloc's snapshot). */
  async samplingProfile(): Promise<SamplingProfile> {
    const { profile } = await this.channel.send('HeapProfiler.getSamplingProfile');
    return profile as unknown as SamplingProfile;
  }

  /**
   * Leaves the target as found: stops the sampling profiler, disables the domain, closes the inspector if we opened
   * it and checks that its port no longer listens. Never throws: the target may already be gone. `before` runs
   * first, while the session is still up (the process's workers are let go there).
   */
  async detach(
    before?: (step: (what: string, fn: () => Promise<unknown>) => Promise<void>) => Promise<void>,
  ): Promise<{ inspectorClosed: boolean | null; errors: string[] }> {
    if (this.closed) return { inspectorClosed: null, errors: [] };
    this.closed = true;
    const errors: string[] = [];
    const step = async (what: string, fn: () => Promise<unknown>) => {
      if (this.isDisconnected) return;
      try {
        await Promise.race([fn(), sleep(3000).then(() => Promise.reject(new Error('timed out')))]);
      } catch (err) {
        errors.push(`${what}: ${(err as Error).message}`);
      }
    };
    await before?.(step);
    const where = this.thread.kind === 'main' ? '' : ` in worker ${this.thread.id}`;
    if (this.sampling) await step(`stop the sampling profiler${where}`, () => this.channel.send('HeapProfiler.stopSampling'));
    if (this.heapProfilerEnabled) await step(`disable HeapProfiler${where}`, () => this.channel.send('HeapProfiler.disable'));
    // Closing the inspector while our session is still attached can crash Node (seen: SIGSEGV in the target), so
    // the target is asked to close it a moment later, after this session has disconnected.
    // the lifeline is cut first: the close below is ours, not the dead man's switch's
    if (this.openedByUs) await step('cut the lifeline', () => this.evaluate(CUT_LIFELINE));
    if (this.openedByUs)
      await step('close the inspector', () => this.evaluate(`setTimeout(() => process._debugEnd(), ${CLOSE_DELAY_MS}).unref(), 'closing'`));
    const wasConnected = !this.isDisconnected;
    await this.channel.close();
    let inspectorClosed: boolean | null = null;
    if (this.openedByUs && wasConnected) {
      inspectorClosed = false;
      // the close runs on the target's event loop: after a snapshot interrupted mid-transfer, a big heap keeps that
      // loop busy for seconds (more on a loaded machine), so the wait is by time, up to 10 s
      const until = Date.now() + CLOSE_WAIT_MS;
      while (!inspectorClosed && Date.now() < until) {
        await sleep(100);
        inspectorClosed = (await probeInspector(this.address.host, this.address.port, 300)) === null;
      }
      if (!inspectorClosed) errors.push(`the inspector still listens on ${this.address.host}:${this.address.port}`);
    }
    for (const fn of this.detachedHooks.splice(0)) fn();
    return { inspectorClosed, errors };
  }
}

/** Is this pid a live process (one we may signal or not)? */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `p` settles (either way) within `ms`; the timer is cancelled as soon as it does (it must not keep
 * leakscope running). A rejection is left for the caller to observe on `p`. */
async function answersWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      p.then(
        () => true,
        () => true,
      ),
      sleep(ms, false, { signal: timer.signal }).catch(() => false),
    ]);
  } finally {
    timer.abort();
  }
}
