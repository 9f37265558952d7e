/**
 * From what the user gave (a pid, --port, --ws, --host) to a connected inspector session.
 */
import { ExitCode, UserError } from '../errors.js';
import { InspectorSession } from './session.js';
import { inspectProcess, isLoopback, openInspector, probeInspector, type InspectorAddress, type TargetInfo } from './target.js';

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
}

export async function connectToTarget(spec: TargetSpec): Promise<Connection> {
  if (spec.pid === undefined && spec.port === undefined && spec.ws === undefined) {
    throw new UserError('give a pid, or --port / --ws for a process started with --inspect');
  }
  const target = spec.pid !== undefined ? inspectProcess(spec.pid) : null;
  let address: InspectorAddress;
  let openedByUs = false;
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
      throw new UserError(`${host} is not a loopback address: inspectors give full control of a process, so leakscope connects to loopback only`, { suggestion: `pass --host ${host} to allow it explicitly` });
    }
    address = { host, port: Number(url.port || 80), webSocketDebuggerUrl: spec.ws, title: '' };
  } else if (spec.port !== undefined) {
    // --host defaults to 127.0.0.1; any other host was given explicitly by the user
    const found = await probeInspector(spec.host, spec.port, 2000);
    if (!found) {
      throw new UserError(`no inspector answers on ${spec.host}:${spec.port}`, { exitCode: ExitCode.inspector, suggestion: 'start the target with --inspect=127.0.0.1:<port>, or give its pid instead' });
    }
    address = found;
  } else {
    const opened = await openInspector(target as TargetInfo);
    address = opened.address;
    openedByUs = opened.openedByUs;
  }
  const session = await InspectorSession.connect(address, openedByUs);
  return { session, target, address, openedByUs };
}
