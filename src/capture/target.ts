/**
 * Finding a target: is this pid a Node.js process, which loopback port does its inspector listen on, and opening
 * the inspector with SIGUSR1 when it has none — only ever on a process confirmed to be Node (SIGUSR1 terminates
 * most other programs).
 */
import { closeSync, openSync, readFileSync, readlinkSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { UserError, InspectorError, PermissionError, TargetError, UsageError } from '../common/errors.js';

export interface TargetInfo {
  pid: number;
  executable: string;
  commandLine: string[];
}

export interface InspectorAddress {
  host: string;
  port: number;
  webSocketDebuggerUrl: string;
  /** the script the inspector reports (its `url`) */
  title: string;
}

function readProc(pid: number, file: string): string {
  return readFileSync(`/proc/${pid}/${file}`, 'utf8');
}

function looksLikeNode(executable: string, commandLine: string[]): boolean {
  const names = [executable, commandLine[0] ?? ''].map((p) => path.basename(p.replace(/ \(deleted\)$/, '')));
  return names.some((n) => /^(node|nodejs)(\d+(\.\d+)*)?$/.test(n));
}

/** The parent pid of every process this one can see (from /proc/<pid>/stat). */
function parentPids(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(rest[1]));
    } catch {
      // exited meanwhile
    }
  }
  return parents;
}

/** Every process descended from `pid` (children before grandchildren), whatever its process group. */
export function descendants(pid: number): number[] {
  const parents = parentPids();
  const children = new Map<number, number[]>();
  for (const [child, parent] of parents) children.set(parent, [...(children.get(parent) ?? []), child]);
  const out: number[] = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    out.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/**
 * The Node.js processes descended from `pid` (a cluster primary's workers, a PM2 daemon's apps, the node under an
 * `npm start`), children before grandchildren; processes that are not Node (a shell in between) are walked through,
 * not listed.
 */
export function nodeDescendants(pid: number): number[] {
  const parents = parentPids();
  const children = new Map<number, number[]>();
  for (const [child, parent] of parents) {
    const list = children.get(parent) ?? [];
    list.push(child);
    children.set(parent, list);
  }
  const out: number[] = [];
  const queue = [...(children.get(pid) ?? [])].sort((a, b) => a - b);
  while (queue.length) {
    const p = queue.shift() as number;
    try {
      const commandLine = readProc(p, 'cmdline').split('\0').filter(Boolean);
      let executable = commandLine[0] ?? '';
      try {
        executable = readlinkSync(`/proc/${p}/exe`);
      } catch {
        // another user's process: judge by its command line
      }
      if (looksLikeNode(executable, commandLine)) out.push(p);
    } catch {
      // exited meanwhile
    }
    queue.push(...[...(children.get(p) ?? [])].sort((a, b) => a - b));
  }
  return out;
}

/**
 * The order in which to open several processes' inspectors: descendants before their ancestors. A cluster
 * primary whose inspector opens sends SIGUSR1 to every cluster worker itself (Node's NODE_DEBUG_ENABLED), and they
 * all race for 9229 outside leakscope's lock; workers whose inspector leakscope already opened and moved are not
 * disturbed by that.
 */
export function connectOrder(pids: number[]): number[] {
  const parents = parentPids();
  const depth = (pid: number) => {
    let d = 0;
    for (let p = parents.get(pid); p !== undefined && p > 1 && d < 64; p = parents.get(p)) d++;
    return d;
  };
  const depths = new Map(pids.map((p) => [p, depth(p)]));
  return [...pids].sort((a, b) => (depths.get(b) as number) - (depths.get(a) as number));
}

/** Confirms that `pid` exists and runs Node.js; throws a UserError with a distinct exit code otherwise. */
export function inspectProcess(pid: number): TargetInfo {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new UserError(`"${pid}" is not a process id`);
  try {
    process.kill(pid, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') throw new UsageError(`no process with pid ${pid}`);
    if (code !== 'EPERM') throw err;
  }
  // a process that has exited but that its parent has not reaped yet (a zombie) has no command line left
  try {
    if (/^State:\s+Z/m.test(readProc(pid, 'status')))
      throw new TargetError(`process ${pid} has exited (a zombie its parent has not reaped)`);
  } catch (err) {
    if (err instanceof UserError) throw err;
  }
  let commandLine: string[] = [];
  let executable = '';
  try {
    commandLine = readProc(pid, 'cmdline').split('\0').filter(Boolean);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`no process with pid ${pid}`);
    if (code === 'EACCES' || code === 'EPERM')
      throw new PermissionError(`permission denied reading process ${pid}`, {
        suggestion: 'run as the same user as the target, or as root',
      });
    throw err;
  }
  try {
    executable = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    executable = commandLine[0] ?? '';
  }
  if (!looksLikeNode(executable, commandLine)) {
    const what = commandLine.length ? commandLine.join(' ').slice(0, 80) : executable;
    throw new UsageError(`pid ${pid} is not a Node.js process (${what}): not sending SIGUSR1, which would terminate it`);
  }
  return { pid, executable, commandLine };
}

/** The working directory of `pid` (its project, usually), or null when it cannot be read. */
export function processCwd(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
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

export interface OpenedInspector {
  address: InspectorAddress;
  /** true when leakscope opened it (SIGUSR1), so it must close it when done */
  openedByUs: boolean;
}

/**
 * One leakscope at a time per target: two sessions on one process get in each other's way (one closes the inspector
 * the other uses, or moves it under it). The whole stay — connect to let-go — runs under a lock file per target
 * process (its pid and start time, so a reused pid is another target), created exclusively in the temp folder and
 * holding the owner's pid; another leakscope waits for it (however long the capture), and a lock whose owner is
 * gone is stale and removed. Returns the release.
 */
export async function acquireTargetLock(pid: number, onWait?: (holder: number) => void, dir = tmpdir()): Promise<() => void> {
  let start = '0';
  try {
    start =
      readProc(pid, 'stat')
        .replace(/^.*\) /s, '')
        .split(' ')[19] ?? '0';
  } catch {
    // unreadable: the pid alone names it
  }
  const lockFile = path.join(dir, `leakscope-target-${pid}-${start}.lock`);
  let told = false;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (Number(readFileSync(lockFile, 'utf8').trim()) === process.pid) unlinkSync(lockFile);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new InspectorError(`cannot create the lock ${lockFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let holder = 0;
    try {
      holder = Number(readFileSync(lockFile, 'utf8').trim()) || 0;
    } catch {
      continue; // released meanwhile
    }
    let alive = holder > 0 && holder !== process.pid;
    if (alive) {
      try {
        process.kill(holder, 0);
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    }
    if (!alive) {
      try {
        unlinkSync(lockFile);
      } catch {
        // removed by someone else meanwhile
      }
      continue;
    }
    if (!told) {
      onWait?.(holder);
      told = true;
    }
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH')
        throw new TargetError(`process ${pid} exited while waiting for another leakscope to let it go`);
    }
    await sleep(200);
  }
}

/**
 * SIGUSR1 opens a target's inspector on its default port (9229) whatever else listens there, so two leakscope
 * commands (or one attaching to several pids) must not send it at the same moment: the step from SIGUSR1 to the
 * inspector moved off 9229 runs under a lock file, created exclusively (O_EXCL, so never through a link) in the
 * temp folder, holding the owner's pid. A lock whose owner is gone, or older than a minute, is stale and removed.
 */
export const SIGUSR1_LOCK = path.join(tmpdir(), 'leakscope-sigusr1.lock');
const LOCK_STALE_MS = 60_000;

export async function withSigusr1Lock<T>(
  fn: () => Promise<T>,
  onWait?: (holder: number) => void,
  timeoutMs = 30_000,
  lockFile = SIGUSR1_LOCK,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  let fd = -1;
  for (;;) {
    try {
      fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new InspectorError(`cannot create the lock ${lockFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let holder = 0;
    let age = 0;
    try {
      holder = Number(readFileSync(lockFile, 'utf8').trim()) || 0;
      age = Date.now() - statSync(lockFile).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    let alive = holder > 0;
    if (alive) {
      try {
        process.kill(holder, 0);
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    }
    if (!alive || age > LOCK_STALE_MS) {
      try {
        unlinkSync(lockFile);
      } catch {
        // someone else removed it, or it is not ours to remove (another user's, in a sticky folder)
      }
    }
    if (Date.now() > deadline) {
      throw new InspectorError(
        `another leakscope (pid ${holder}) has been opening an inspector for ${Math.round(age / 1000)} s (lock ${lockFile})`,
        { suggestion: `remove ${lockFile} if no other leakscope runs` },
      );
    }
    if (!told && holder !== process.pid) {
      onWait?.(holder);
      told = true;
    }
    await sleep(50 + Math.random() * 100);
  }
  try {
    return await fn();
  } finally {
    closeSync(fd);
    try {
      unlinkSync(lockFile);
    } catch {
      // removed as stale by someone else: nothing to release
    }
  }
}

const SIGUSR1 = 10;

/**
 * Whether `pid` catches SIGUSR1 (`SigCgt` in /proc/<pid>/status; Node installs a handler when its inspector can be
 * opened that way) and whether it ignores it (`SigIgn`). SIGUSR1's default action terminates a process: a process
 * that does not catch it must never get it, whatever its name says. Null when the status cannot be read.
 */
export function sigusr1Disposition(pid: number, procRoot = '/proc'): { caught: boolean; ignored: boolean } | null {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const mask = (field: string): bigint | null => {
    const m = new RegExp(`^${field}:\\s*([0-9a-fA-F]+)$`, 'm').exec(text);
    return m ? BigInt(`0x${m[1]}`) : null;
  };
  const caught = mask('SigCgt');
  const ignored = mask('SigIgn');
  if (caught === null || ignored === null) return null;
  const bit = 1n << BigInt(SIGUSR1 - 1);
  return { caught: (caught & bit) !== 0n, ignored: (ignored & bit) !== 0n };
}

/**
 * Opens the target's inspector with SIGUSR1 (Node only, and only when it catches SIGUSR1) and waits for it to
 * listen. Call it under withSigusr1Lock, after findInspector found none.
 */
export async function openInspector(target: TargetInfo, timeoutMs = 5000): Promise<InspectorAddress> {
  const usr1 = sigusr1Disposition(target.pid);
  const ask = 'start it with --inspect-port=0 (or --inspect) and pass --port, or use --ws';
  if (!usr1)
    throw new UsageError(`cannot read /proc/${target.pid}/status to check that pid ${target.pid} handles SIGUSR1: not sending it`, {
      suggestion: ask,
    });
  if (!usr1.caught) {
    const why = usr1.ignored
      ? 'ignores SIGUSR1, so it cannot open its inspector that way'
      : 'does not handle SIGUSR1 (no handler in SigCgt), so SIGUSR1 would terminate it';
    throw new UsageError(`pid ${target.pid} ${why}: not sending it`, { suggestion: ask });
  }
  try {
    process.kill(target.pid, 'SIGUSR1');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM')
      throw new PermissionError(`permission denied sending SIGUSR1 to pid ${target.pid}`, {
        suggestion: 'run as the same user as the target, or as root',
      });
    if (code === 'ESRCH') throw new TargetError(`process ${target.pid} exited`);
    throw err;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(100);
    const found = await findInspector(target.pid);
    if (found) return found;
    try {
      process.kill(target.pid, 0);
    } catch {
      throw new TargetError(`process ${target.pid} exited after SIGUSR1`);
    }
  }
  const taken = await probeInspector('127.0.0.1', 9229, 500);
  const why = taken ? ': port 9229 is already taken by another inspector, so the target could not open its own' : '';
  throw new InspectorError(`the inspector of pid ${target.pid} did not open within ${timeoutMs / 1000} s${why}`, {
    suggestion: 'start the target with --inspect-port=0 (or another free port), or pass --port if it already listens',
  });
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

export interface MemoryLimit {
  limit: number;
  current: number;
  source: string;
}

/**
 * The memory limit of the target's cgroup (what a container's OOM killer enforces), v2 or v1; null when there is
 * none or it cannot be read. A heap snapshot makes the target build its graph in native memory, about as big as
 * its heap again (nodejs/node#50711: processes killed mid-snapshot).
 */
/** A process's address-space limit (RLIMIT_AS, `ulimit -v`) and its size now (VmSize), bytes. */
export interface AddressSpace {
  limit: number;
  size: number;
}

/** `pid`'s address-space limit and size, from /proc; null when unlimited or unreadable. */
export function addressSpace(pid: number, procRoot = '/proc'): AddressSpace | null {
  try {
    const limits = readFileSync(`${procRoot}/${pid}/limits`, 'utf8');
    const m = /^Max address space\s+(\S+)/m.exec(limits);
    if (!m || m[1] === 'unlimited') return null;
    const limit = Number(m[1]);
    const vm = /^VmSize:\s+(\d+)\s+kB/m.exec(readFileSync(`${procRoot}/${pid}/status`, 'utf8'));
    if (!Number.isFinite(limit) || !vm) return null;
    return { limit, size: Number(vm[1]) * 1024 };
  } catch {
    return null;
  }
}

export function cgroupMemory(pid: number, root = '/sys/fs/cgroup', procRoot = '/proc'): MemoryLimit | null {
  let lines: string[];
  try {
    lines = readFileSync(`${procRoot}/${pid}/cgroup`, 'utf8').trim().split('\n');
  } catch {
    return null;
  }
  const read = (file: string): number | null => {
    try {
      const text = readFileSync(file, 'utf8').trim();
      const n = Number(text);
      return text === 'max' || !Number.isFinite(n) || n >= 2 ** 62 ? null : n;
    } catch {
      return null;
    }
  };
  for (const line of lines) {
    const [, controllers, p] = line.split(':');
    if (controllers === '' && p !== undefined) {
      const dir = path.join(root, p);
      const limit = read(path.join(dir, 'memory.max'));
      const current = read(path.join(dir, 'memory.current'));
      if (limit !== null && current !== null) return { limit, current, source: `${dir}/memory.max` };
    } else if (controllers?.split(',').includes('memory') && p !== undefined) {
      const dir = path.join(root, 'memory', p);
      const limit = read(path.join(dir, 'memory.limit_in_bytes'));
      const current = read(path.join(dir, 'memory.usage_in_bytes'));
      if (limit !== null && current !== null) return { limit, current, source: `${dir}/memory.limit_in_bytes` };
    }
  }
  return null;
}
