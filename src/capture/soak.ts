/**
 * A soak test's live side: start the program with its inspector on a free loopback port, wait until it is ready,
 * start the load, warm up (sampled, never judged), then the same sampling plan as `attach`, with post-GC heap
 * usage; finally stop the load and the program (SIGTERM, then SIGKILL) and report how each ended.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { runCapture, type CaptureEvents, type CapturePlan, type CaptureResult } from './monitor.js';
import {
  describeExit,
  programDied,
  withoutInspectorBanner,
  programInspector,
  startLoad,
  startProgram,
  waitReady,
  type ExitStatus,
  type ManagedProcess,
  type Readiness,
} from './program.js';
import { InspectorSession, MAIN_THREAD, type HeapUsage } from './session.js';
import { UserError, TargetError } from '../common/errors.js';

export interface SoakOptions {
  command: string[];
  load?: string;
  /** restart the load command whenever it exits (until the run ends); else it runs once */
  loadRestart: boolean;
  readiness: Readiness;
  warmupMs: number;
  plan: CapturePlan;
  graceMs: number;
  /** start the program with --track-heap-objects (its snapshots record allocation stacks) */
  trackAllocations?: boolean;
}

export interface SoakEvents extends CaptureEvents {
  phase?(text: string): void;
}

export interface SoakResult {
  capture: CaptureResult | null;
  /** usage samples of the warm-up (not judged) */
  warmup: HeapUsage[];
  programExit: ExitStatus | null;
  /** how the program ended: stopped by us at the end, or on its own during the run */
  programStoppedByUs: boolean;
  programOutput: { stdout: string; stderr: string };
  load: { command: string; runs: number; exits: ExitStatus[]; failed: boolean; output: string } | null;
  error: UserError | null;
}

export async function runSoak(opts: SoakOptions, events: SoakEvents, signal: AbortSignal): Promise<SoakResult> {
  const program = startProgram(opts.command, {}, { trackAllocations: opts.trackAllocations === true });
  let load: ManagedProcess | null = null;
  const loadInfo = opts.load ? { command: opts.load, runs: 0, exits: [] as ExitStatus[], failed: false, output: '' } : null;
  const result: SoakResult = {
    capture: null,
    warmup: [],
    programExit: null,
    programStoppedByUs: false,
    programOutput: { stdout: '', stderr: '' },
    load: loadInfo,
    error: null,
  };
  const controller = new AbortController();
  const stopAll = () => controller.abort();
  signal.addEventListener('abort', stopAll, { once: true });
  let runEnded = false;
  void program.exited.then(() => {
    if (!runEnded) controller.abort();
  });
  // a program whose code threw (or returned) with our session attached does not exit: Node waits for the debugger
  // to disconnect, and we would wait for the program. Its end is its exit: stop watching and let go at once
  program.onOutput(() => {
    if (program.ended && !runEnded) controller.abort();
  });
  let session: InspectorSession | null = null;
  try {
    events.phase?.(`starting: ${opts.command.join(' ')}`);
    const address = await programInspector(program, opts.readiness.timeoutMs);
    const ready = await waitReady(program, opts.readiness);
    session = await InspectorSession.connect(address, false);
    if (opts.load && loadInfo) {
      const env = {
        LEAKSCOPE_PID: String(program.pid),
        ...(ready.url ? { LEAKSCOPE_URL: ready.url } : {}),
        ...(ready.match ? { LEAKSCOPE_READY_MATCH: ready.match } : {}),
      };
      const launch = () => {
        load = startLoad(opts.load as string, env);
        loadInfo.runs++;
        void load.exited.then((s) => {
          loadInfo.exits.push(s);
          loadInfo.output = `${load?.stdout.lastLines(20) ?? ''}\n${load?.stderr.lastLines(20) ?? ''}`.trim();
          if (runEnded) return;
          if (s.code !== 0 && !s.signal) {
            loadInfo.failed = true;
            controller.abort();
          } else if (opts.loadRestart) {
            launch();
          }
        });
      };
      launch();
    }
    if (opts.warmupMs > 0) {
      events.phase?.(`warming up for ${Math.round(opts.warmupMs / 1000)} s (not judged)`);
      const until = Date.now() + opts.warmupMs;
      while (Date.now() < until && !controller.signal.aborted) {
        await sleep(Math.min(opts.plan.usageEveryMs, until - Date.now()), undefined, { signal: controller.signal }).catch(() => {});
        if (!controller.signal.aborted) {
          const u = await session.heapUsage();
          result.warmup.push(u);
          events.usage?.(u, MAIN_THREAD);
        }
      }
    }
    if (!controller.signal.aborted) {
      events.phase?.('measuring');
      result.capture = await runCapture(session, opts.plan, events, controller.signal);
      session = null; // runCapture detached it
    }
  } catch (err) {
    result.error = err instanceof UserError ? err : new TargetError(`the soak test failed: ${(err as Error).message}`);
  } finally {
    runEnded = true;
    signal.removeEventListener('abort', stopAll);
    if (session) await session.detach();
    if (load) await (load as ManagedProcess).stop(opts.graceMs);
    const diedOnItsOwn = program.exit !== null || program.ended;
    result.programExit = await program.stop(opts.graceMs);
    result.programStoppedByUs = !diedOnItsOwn;
    result.programOutput = { stdout: program.stdout.value, stderr: withoutInspectorBanner(program.stderr.value) };
    if (diedOnItsOwn && !result.error) result.error = programDied(program, 'during the run');
    if (loadInfo?.failed && !result.error) {
      const last = loadInfo.exits[loadInfo.exits.length - 1];
      result.error = new TargetError(
        `the --load command failed (${describeExit(last)})${loadInfo.output ? `; its output ended with:\n${loadInfo.output}` : ''}`,
      );
    }
    if (result.capture?.error && !result.error) result.error = result.capture.error;
  }
  return result;
}
