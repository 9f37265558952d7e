/** Facts about a process from /proc: is it Node, its command line, working directory, descendants and memory limits. */
import { readFileSync, readlinkSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { UserError, PermissionError, TargetError, UsageError } from '../common/errors.js';

export interface TargetInfo {
  pid: number;
  executable: string;
  commandLine: string[];
}

export function readProc(pid: number, file: string): string {
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
