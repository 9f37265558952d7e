/**
 * A process's isolates: its main thread and its worker threads, found through the inspector's NodeWorker domain
 * (enabled on the main thread's session; every worker already running is reported at once, later ones as they
 * start, and nested workers through their parent worker's session). Each worker gets its own InspectorSession over
 * a WorkerChannel. Workers that exit are remembered as exited, not as errors.
 */
import { WorkerChannel, WorkerGone, type Channel } from './channel.js';
import { InspectorSession, MAIN_THREAD, type ThreadInfo } from './session.js';

/** `--thread`: every isolate (the default), the main thread only, or one worker by its thread id. */
export type ThreadSelection = 'all' | 'main' | number;

export interface IsolateEvents {
  started?(thread: ThreadInfo): void;
  exited?(thread: ThreadInfo): void;
}

interface AttachedToWorker {
  sessionId: string;
  workerInfo: { workerId: string; type: string; title: string; url: string };
}

export class Isolates {
  private readonly workers = new Map<number, InspectorSession>();
  private readonly exitedIds = new Set<number>();
  private readonly enabledOn: Channel[] = [];

  private constructor(
    readonly main: InspectorSession,
    private readonly selection: ThreadSelection,
    private readonly events: IsolateEvents,
  ) {}

  /** Starts watching `main`'s workers (none when the selection is the main thread only). */
  static async watch(main: InspectorSession, selection: ThreadSelection, events: IsolateEvents = {}): Promise<Isolates> {
    const iso = new Isolates(main, selection, events);
    if (selection !== 'main') await iso.enable(main.channel);
    return iso;
  }

  private async enable(channel: Channel): Promise<void> {
    channel.on('NodeWorker.attachedToWorker', (p: AttachedToWorker) => this.attached(channel, p));
    this.enabledOn.push(channel);
    // existing workers are reported (attachedToWorker) before this answers
    await channel.send('NodeWorker.enable', { waitForDebuggerOnStart: false });
  }

  private attached(parent: Channel, p: AttachedToWorker): void {
    const id = Number(p.workerInfo.workerId);
    if (!Number.isSafeInteger(id) || this.workers.has(id)) return;
    const thread: ThreadInfo = { id, kind: 'worker', title: p.workerInfo.title ?? '', url: p.workerInfo.url ?? '' };
    const channel = new WorkerChannel(parent, p.sessionId, `worker ${id}`);
    const session = new InspectorSession(channel, this.main.address, false, thread, this.main.startedAt);
    this.workers.set(id, session);
    channel.onDisconnect(() => {
      if (this.exitedIds.has(id)) return;
      this.exitedIds.add(id);
      if (this.selected(thread)) this.events.exited?.(thread);
    });
    if (this.selected(thread)) this.events.started?.(thread);
    // its own workers (nested), if it has any
    void this.enable(channel).catch(() => {});
  }

  private selected(t: ThreadInfo): boolean {
    if (this.selection === 'all') return true;
    if (this.selection === 'main') return t.kind === 'main';
    return t.kind === 'worker' && t.id === this.selection;
  }

  /** The sessions to watch now: the selected isolates that are still there. */
  current(): InspectorSession[] {
    return [this.main, ...this.workers.values()].filter((s) => this.selected(s.thread) && (s === this.main || !s.isDisconnected));
  }

  /** Every worker seen (alive or exited). */
  get threads(): ThreadInfo[] {
    return [MAIN_THREAD, ...[...this.workers.values()].map((s) => s.thread)];
  }

  /**
   * Leaves the process as found: every worker let go first (profiler stopped, domain disabled, NodeWorker.detach),
   * NodeWorker disabled, then the main thread's session detached (which closes an inspector we opened). Never
   * throws; the workers' errors come first.
   */
  async detach(): Promise<{ inspectorClosed: boolean | null; errors: string[] }> {
    const workerErrors: string[] = [];
    const result = await this.main.detach(async (step) => {
      for (const s of [...this.workers.values()].reverse()) workerErrors.push(...(await s.detach()).errors);
      for (const c of this.enabledOn.slice(0, 1)) await step('disable NodeWorker', () => c.send('NodeWorker.disable'));
    });
    return { inspectorClosed: result.inspectorClosed, errors: [...workerErrors, ...result.errors] };
  }
}

/** Did this step fail because the worker it was for exited (not an error: the worker is reported as exited)? */
export function workerExited(s: InspectorSession, err: unknown): boolean {
  return s.thread.kind === 'worker' && (err instanceof WorkerGone || s.isDisconnected);
}
