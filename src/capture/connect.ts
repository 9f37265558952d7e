/**
 * From what the user gave (a pid, --port, --ws, --host) to a connected inspector session.
 *
 * A pid without an inspector gets one with SIGUSR1, which always opens the default port 9229. So that any number of
 * leakscope commands (and DevTools sessions on other processes) can work side by side, the step runs under a lock
 * (withSigusr1Lock) and ends by moving the new inspector to a free ephemeral loopback port: a first short session
 * asks the target to close it and reopen on port 0 a moment after that session has gone (closing under a live
 * session can crash Node), and leakscope connects to the new port. 9229 is free again within a second.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError, InspectorError } from '../common/errors.js';
import { SocketChannel } from './channel.js';
import { InspectorSession } from './session.js';
import { lifelinePort, lifelineScript } from './lifeline.js';
import { acquireTargetLock, openInspector, withSigusr1Lock } from './sigusr1.js';
import {
  findInspector,
  listensOnAllInterfaces,
  inspectorClients,
  isLoopback,
  probeInspector,
  type InspectorAddress,
} from './inspector-probe.js';
import { inspectProcess, type TargetInfo } from './process.js';

export interface TargetSpec {
  pid?: number;
  port?: number;
  ws?: string;
  host: string;
}

export interface Connection {
  session: InspectorSession;
  target: TargetInfo | null;
  address: InspectorAddress;
  openedByUs: boolean;
  /** clients other than leakscope connected to the target's inspector when we came (DevTools, an IDE …) */
  otherClients: number;
  /** the target's own inspector listens on every interface (0.0.0.0): anyone who can reach the port controls it */
  exposed: boolean;
}

export interface ConnectEvents {
  /** another leakscope holds the SIGUSR1 lock */
  waitingForLock?(holder: number): void;
  /** another leakscope is attached to this target: this one waits until it lets go */
  waitingForTarget?(holder: number, pid: number): void;
}

/** How long after the first session has gone the target closes its inspector and reopens it on port 0. */
const MOVE_DELAY_MS = 250;

/**
 * Moves an inspector leakscope just opened (on 9229) to a free loopback port; returns the new address. If the
 * target does not reopen it, the old one is used when it still answers, and otherwise it is an error (the target is
 * left with no inspector: as found).
 */
async function moveInspector(address: InspectorAddress, pid: number): Promise<InspectorAddress> {
  let channel: SocketChannel;
  try {
    channel = await SocketChannel.open(address.webSocketDebuggerUrl);
  } catch (err) {
    throw new InspectorError(`cannot connect to the inspector at ${address.webSocketDebuggerUrl}: ${(err as Error).message}`);
  }
  try {
    // `inspector` is taken now: `require` exists only while the command line API evaluates. Nothing in the timer
    // may throw (an uncaught exception would end the target).
    // the dead man's switch first (lifeline.ts): from now on, if leakscope dies the target closes the inspector
    const { port, token } = await lifelinePort();
    await channel.send('Runtime.evaluate', {
      expression: lifelineScript(port, token, process.pid),
      includeCommandLineAPI: true,
      returnByValue: true,
      silent: true,
    });
    const expression =
      `((inspector) => { setTimeout(() => { try { process._debugEnd(); inspector.open(0, '127.0.0.1', false); ` +
      `} catch {} }, ${MOVE_DELAY_MS}).unref(); return 'moving'; })(require('node:inspector'))`;
    await channel.send('Runtime.evaluate', { expression, includeCommandLineAPI: true, returnByValue: true, silent: true });
  } finally {
    await channel.close();
  }
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    await sleep(100);
    const found = await findInspector(pid);
    if (found && found.port !== address.port) return found;
  }
  const old = await probeInspector(address.host, address.port, 500);
  if (old) return old;
  throw new InspectorError(`pid ${pid} did not reopen its inspector on a free port`, {
    suggestion: 'start the target with --inspect-port=0 and pass --port',
  });
}

async function openByPid(
  target: TargetInfo,
  events: ConnectEvents,
): Promise<{ address: InspectorAddress; openedByUs: boolean; otherClients: number }> {
  const existing = await findInspector(target.pid);
  if (existing) return { address: existing, openedByUs: false, otherClients: inspectorClients(target.pid, existing.port) };
  return withSigusr1Lock(async () => {
    // another leakscope may have opened it while we waited for the lock: then it is theirs, not ours
    const meanwhile = await findInspector(target.pid);
    if (meanwhile) return { address: meanwhile, openedByUs: false, otherClients: inspectorClients(target.pid, meanwhile.port) };
    const opened = await openInspector(target);
    return { address: await moveInspector(opened, target.pid), openedByUs: true, otherClients: 0 };
  }, events.waitingForLock);
}

export async function connectToTarget(spec: TargetSpec, events: ConnectEvents = {}): Promise<Connection> {
  if (spec.pid === undefined && spec.port === undefined && spec.ws === undefined) {
    throw new UserError('give a pid, or --port / --ws for a process started with --inspect');
  }
  const target = spec.pid !== undefined ? inspectProcess(spec.pid) : null;
  let address: InspectorAddress;
  let openedByUs = false;
  let otherClients = 0;
  if (spec.ws !== undefined) {
    let url: URL;
    try {
      url = new URL(spec.ws);
    } catch {
      throw new UserError(`--ws "${spec.ws}" is not a URL (expected ws://127.0.0.1:9229/<id>)`);
    }
    if (url.protocol !== 'ws:') throw new UserError(`--ws must be a ws:// URL, got ${url.protocol}`);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!isLoopback(host) && host !== spec.host) {
      throw new UserError(
        `${host} is not a loopback address: inspectors give full control of a process, so leakscope connects to loopback only`,
        { suggestion: `pass --host ${host} to allow it explicitly` },
      );
    }
    address = { host, port: Number(url.port || 80), webSocketDebuggerUrl: spec.ws, title: '' };
  } else if (spec.port !== undefined) {
    // --host defaults to 127.0.0.1; any other host was given explicitly by the user
    const found = await probeInspector(spec.host, spec.port, 2000);
    if (!found) {
      throw new InspectorError(`no inspector answers on ${spec.host}:${spec.port}`, {
        suggestion: 'start the target with --inspect=127.0.0.1:<port>, or give its pid instead',
      });
    }
    address = found;
    if (target) otherClients = inspectorClients(target.pid, found.port);
  } else {
    const t = target as TargetInfo;
    // one leakscope per target for the whole stay (released when the session detaches)
    const release = await acquireTargetLock(t.pid, (holder) => events.waitingForTarget?.(holder, t.pid));
    try {
      ({ address, openedByUs, otherClients } = await openByPid(t, events));
      const session = await InspectorSession.connect(address, openedByUs);
      session.onDetached(release);
      return await finishConnect(session, target, address, openedByUs, otherClients);
    } catch (err) {
      release();
      throw err;
    }
  }
  const session = await InspectorSession.connect(address, openedByUs);
  return finishConnect(session, target, address, openedByUs, otherClients);
}

async function finishConnect(
  session: InspectorSession,
  target: TargetInfo | null,
  address: InspectorAddress,
  openedByUs: boolean,
  otherClients: number,
): Promise<Connection> {
  // an inspector a dead leakscope opened (and its lifeline could not close) is ours to close now
  if (!openedByUs && target && (await session.adoptOrphanedInspector())) openedByUs = true;
  const exposed = target !== null && !openedByUs && listensOnAllInterfaces(target.pid, address.port);
  try {
    // a target paused in another client's debugger answers evaluations but never runs a timer: say so at once
    await session.assertRunning();
  } catch (err) {
    await session.detach();
    throw err;
  }
  return { session, target, address, openedByUs, otherClients, exposed };
}
