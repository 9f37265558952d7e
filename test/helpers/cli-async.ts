import { spawn } from 'node:child_process';
import path from 'node:path';
import type { CliResult } from './cli.js';
import { repoRoot } from './fixtures.js';

/** Runs bin/run.js without blocking the test process (so the test can act on the target meanwhile). */
export function cliAsync(args: string[], timeoutMs = 120_000): { done: Promise<CliResult>; pid: number } {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'run.js'), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
  return { done, pid: child.pid as number };
}
