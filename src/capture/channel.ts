/**
 * How a session talks to one isolate: the process's main thread over the inspector's WebSocket
 * (chrome-remote-interface), or a worker thread through the NodeWorker domain of its parent — each command wrapped
 * in `NodeWorker.sendMessageToWorker`, each answer and event unwrapped from `NodeWorker.receivedMessageFromWorker`.
 * A worker's channel can carry a worker of its own (nested workers) since both are Channels.
 */
import { EventEmitter } from 'node:events';
import CDP from 'chrome-remote-interface';

type Client = Awaited<ReturnType<typeof CDP>>;
// biome-ignore lint/suspicious/noExplicitAny: the protocol's parameters are checked by the domains that send them
type Params = any;

export interface Channel {
  send(method: string, params?: object): Promise<Params>;
  on(event: string, listener: (params: Params) => void): void;
  off(event: string, listener: (params: Params) => void): void;
  /** the isolate (or the whole connection) is gone */
  readonly disconnected: boolean;
  onDisconnect(listener: () => void): void;
  close(): Promise<void>;
}

export class SocketChannel implements Channel {
  disconnected = false;
  private readonly emitter: NodeJS.EventEmitter;
  private readonly gone = new EventEmitter();

  constructor(private readonly client: Client) {
    this.emitter = client as unknown as NodeJS.EventEmitter;
    this.emitter.on('disconnect', () => {
      this.disconnected = true;
      this.gone.emit('gone');
    });
  }

  static async open(url: string): Promise<SocketChannel> {
    return new SocketChannel(await CDP({ target: url, local: true }));
  }

  send(method: string, params: object = {}): Promise<Params> {
    return (this.client as unknown as { send(m: string, p: object): Promise<Params> }).send(method, params);
  }

  on(event: string, listener: (params: Params) => void): void {
    this.emitter.on(event, listener);
  }

  off(event: string, listener: (params: Params) => void): void {
    this.emitter.removeListener(event, listener);
  }

  onDisconnect(listener: () => void): void {
    if (this.disconnected) listener();
    else this.gone.once('gone', listener);
  }

  async close(): Promise<void> {
    try {
      await this.client.close();
    } catch {
      // already gone
    }
  }
}

/** The error a command to a worker fails with when the worker exits (or its parent's connection goes) meanwhile. */
export class WorkerGone extends Error {
  constructor(what: string) {
    super(`${what} exited`);
    this.name = 'WorkerGone';
  }
}

export class WorkerChannel implements Channel {
  disconnected = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: Params) => void; reject: (e: Error) => void }>();
  private readonly events = new EventEmitter();
  private readonly onMessage = (p: { sessionId: string; message: string }) => {
    if (p.sessionId !== this.sessionId) return;
    let m: { id?: number; method?: string; params?: Params; result?: Params; error?: { message: string } };
    try {
      m = JSON.parse(p.message);
    } catch {
      return;
    }
    if (m.id !== undefined) {
      const waiter = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) waiter?.reject(new Error(m.error.message));
      else waiter?.resolve(m.result ?? {});
    } else if (m.method) {
      this.events.emit(m.method, m.params ?? {});
    }
  };
  private readonly onDetached = (p: { sessionId: string }) => {
    if (p.sessionId === this.sessionId) this.lose();
  };

  constructor(
    private readonly parent: Channel,
    readonly sessionId: string,
    private readonly label: string,
  ) {
    this.events.setMaxListeners(0);
    parent.on('NodeWorker.receivedMessageFromWorker', this.onMessage);
    parent.on('NodeWorker.detachedFromWorker', this.onDetached);
    parent.onDisconnect(() => this.lose());
  }

  private lose(): void {
    if (this.disconnected) return;
    this.disconnected = true;
    this.parent.off('NodeWorker.receivedMessageFromWorker', this.onMessage);
    this.parent.off('NodeWorker.detachedFromWorker', this.onDetached);
    for (const w of this.pending.values()) w.reject(new WorkerGone(this.label));
    this.pending.clear();
    this.events.emit('\0gone');
  }

  send(method: string, params: object = {}): Promise<Params> {
    if (this.disconnected) return Promise.reject(new WorkerGone(this.label));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.parent
        .send('NodeWorker.sendMessageToWorker', { sessionId: this.sessionId, message: JSON.stringify({ id, method, params }) })
        .catch((err: Error) => {
          this.pending.delete(id);
          reject(this.disconnected ? new WorkerGone(this.label) : err);
        });
    });
  }

  on(event: string, listener: (params: Params) => void): void {
    this.events.on(event, listener);
  }

  off(event: string, listener: (params: Params) => void): void {
    this.events.removeListener(event, listener);
  }

  onDisconnect(listener: () => void): void {
    if (this.disconnected) listener();
    else this.events.once('\0gone', listener);
  }

  /** Detaches from the worker (it goes on running). */
  async close(): Promise<void> {
    if (this.disconnected) return;
    try {
      await this.parent.send('NodeWorker.detach', { sessionId: this.sessionId });
    } catch {
      // the worker or the parent went away meanwhile
    }
    this.lose();
  }
}
