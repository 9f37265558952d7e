/**
 * Real target processes for capture tests: a fixture program started as a Node child process on loopback, bounded
 * in time, always killed by pid in `finally` (see withTarget).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './fixtures.js';
import { targetNode } from './nodes.js';

export interface Target {
  child: ChildProcess;
  pid: number;
  stderr: () => string;
  stdout: () => string;
  /** the inspector port, when started with --inspect */
  inspectPort: number | null;
}

/**
 * Every target a test file starts, killed by pid when the file's process ends — normally, or because the test
 * runner stopped it at its timeout (SIGTERM, SIGINT). A target whose test process is killed outright (SIGKILL) ends
 * by itself: it watches its parent (LEAKSCOPE_PARENT_PID, see fixtures/programs/harness.mjs).
 */
const started = new Set<number>();
function killStarted(): void {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  started.clear();
}
process.on('exit', killStarted);
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(sig, () => {
    killStarted();
    process.kill(process.pid, sig);
  });
}

export async function startTarget(program: string, nodeArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Target> {
  const child = spawn(targetNode, [...nodeArgs, path.join(repoRoot, 'fixtures', 'programs', `${program}.mjs`)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LEAKSCOPE_PARENT_PID: String(process.pid), ...env },
  });
  if (child.pid) started.add(child.pid);
  child.on('exit', () => started.delete(child.pid as number));
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${program} did not start: ${err}`)), 15_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${program} exited with ${code}: ${err}`));
    });
  });
  const m = /Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
  return { child, pid: child.pid as number, stderr: () => err, stdout: () => out, inspectPort: m ? Number(m[1]) : null };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function withTarget<T>(
  program: string,
  nodeArgs: string[],
  fn: (t: Target) => Promise<T>,
  env: NodeJS.ProcessEnv = {},
): Promise<T> {
  const t = await startTarget(program, nodeArgs, env);
  try {
    return await fn(t);
  } finally {
    try {
      process.kill(t.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
