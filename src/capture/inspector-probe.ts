/** Where an inspector listens: a process's loopback sockets (/proc), its clients, and a probe of /json/version. */
import { readFileSync, readlinkSync, readdirSync } from 'node:fs';
import { PermissionError } from '../common/errors.js';

export interface InspectorAddress {
  host: string;
  port: number;
  webSocketDebuggerUrl: string;
  /** the script the inspector reports (its `url`) */
  title: string;
}

/** The inodes of the sockets `pid` has open (from /proc/<pid>/fd). */
function socketInodes(pid: number | 'self'): Set<string> {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m) inodes.add(m[1]);
      } catch {
        // the fd closed meanwhile
      }
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM')
      throw new PermissionError(`permission denied reading process ${pid}'s sockets`, {
        suggestion: 'run as the same user as the target, or as root',
      });
  }
  return inodes;
}

interface TcpSocket {
  local: string;
  localPort: number;
  remotePort: number;
  /** /proc/net/tcp's state: 0A listen, 01 established */
  state: string;
  inode: string;
}

/** The TCP sockets of `pid`'s network namespace (/proc/<pid>/net/tcp and tcp6). */
function tcpSockets(pid: number | 'self'): TcpSocket[] {
  const out: TcpSocket[] = [];
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [local, localPort] = f[1].split(':');
      const remotePort = f[2].split(':')[1];
      out.push({ local, localPort: parseInt(localPort, 16), remotePort: parseInt(remotePort, 16), state: f[3], inode: f[9] });
    }
  }
  return out;
}

/** Loopback TCP ports on which `pid` listens (from /proc: its socket inodes matched against the TCP tables). */
export function listeningPorts(pid: number): number[] {
  const inodes = socketInodes(pid);
  const ports = new Set<number>();
  for (const s of tcpSockets(pid)) {
    if (s.state !== '0A' || !inodes.has(s.inode)) continue; // 0A = LISTEN
    const loopback = s.local === '0100007F' || s.local === '00000000000000000000000001000000' || /^0+$/.test(s.local);
    if (loopback) ports.add(s.localPort);
  }
  return [...ports].sort((a, b) => a - b);
}

/**
 * How many clients other than this process are connected to `pid`'s inspector on `port` (DevTools, an IDE, another
 * leakscope): established connections on that port owned by the target whose other end is not one of ours.
 */
export function inspectorClients(pid: number, port: number): number {
  let theirs: Set<string>;
  try {
    theirs = socketInodes(pid);
  } catch {
    return 0;
  }
  const sockets = tcpSockets(pid);
  const ours = socketInodes('self');
  const ourPorts = new Set(sockets.filter((s) => ours.has(s.inode)).map((s) => s.localPort));
  return sockets.filter((s) => s.state === '01' && s.localPort === port && theirs.has(s.inode) && !ourPorts.has(s.remotePort)).length;
}

/** Asks http://host:port/json/list whether an inspector answers there. */
export async function probeInspector(host: string, port: number, timeoutMs = 1000): Promise<InspectorAddress | null> {
  try {
    const res = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}/json/list`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) return null;
    const list = (await res.json()) as Array<{ webSocketDebuggerUrl?: string; url?: string; title?: string }>;
    const target = Array.isArray(list) ? list.find((t) => typeof t.webSocketDebuggerUrl === 'string') : undefined;
    if (!target?.webSocketDebuggerUrl) return null;
    return { host, port, webSocketDebuggerUrl: target.webSocketDebuggerUrl, title: target.url ?? target.title ?? '' };
  } catch {
    return null;
  }
}

/** The inspector `pid` is listening with, if any (looks only at the pid's own loopback listening sockets). */
/** Does `pid` listen on `port` on every interface (0.0.0.0 or ::), so that other hosts can reach it? */
export function listensOnAllInterfaces(pid: number, port: number): boolean {
  const inodes = socketInodes(pid);
  return tcpSockets(pid).some((s) => s.state === '0A' && inodes.has(s.inode) && s.localPort === port && /^0+$/.test(s.local));
}

export async function findInspector(pid: number): Promise<InspectorAddress | null> {
  for (const port of listeningPorts(pid)) {
    const found = await probeInspector('127.0.0.1', port);
    if (found) return found;
  }
  return null;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}
