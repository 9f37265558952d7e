/**
 * The program under a soak test, and its load generator: started as child processes, their output kept (the last
 * 64 kB of each stream) to show on failure, stopped with SIGTERM then SIGKILL after a grace period.
 *
 * The program gets NODE_OPTIONS="--inspect=127.0.0.1:0": every Node process in its tree opens an inspector on a
 * free loopback port and says where on stderr ("Debugger listening on ws://..."); the one that is not a package
 * manager's own process (npm, npx, yarn, pnpm) is the program.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import vm from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { type UserError, TargetError, UsageError } from '../common/errors.js';
import { descendants } from './process.js';
import { probeInspector, type InspectorAddress } from './inspector-probe.js';

const KEEP = 64 * 1024;

export class OutputTail {
  private text = '';
  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > KEEP * 2) this.text = this.text.slice(-KEEP);
  }
  get value(): string {
    return this.text.length > KEEP ? this.text.slice(-KEEP) : this.text;
  }
  lastLines(n: number): string {
    return this.value.trimEnd().split('\n').slice(-n).join('\n');
  }
}

/** The program's stderr without the lines Node's inspector prints because we opened it (they are ours, not its). */
export function withoutInspectorBanner(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !/^(Debugger (listening|attached|ending)|For help, see: https:\/\/nodejs\.org)/.test(l))
    .join('\n');
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function describeExit(s: ExitStatus | null): string {
  if (!s) return 'still running';
  return s.signal ? `killed by ${s.signal}` : `exit code ${s.code}`;
}

export class ManagedProcess {
  readonly stdout = new OutputTail();
  readonly stderr = new OutputTail();
  exit: ExitStatus | null = null;
  /**
   * the program has ended (its code threw, or it returned) and Node only waits for our inspector session to go
   * before it exits ("Waiting for the debugger to disconnect...")
   */
  ended = false;
  readonly exited: Promise<ExitStatus>;
  private readonly listeners: Array<(text: string) => void> = [];

  constructor(
    readonly child: ChildProcess,
    readonly label: string,
  ) {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => {
      this.stdout.push(d);
      for (const l of this.listeners) l(d);
    });
    child.stderr?.on('data', (d: string) => {
      this.stderr.push(d);
      if (!this.ended && /Waiting for the debugger to disconnect/.test(this.stderr.lastLines(3))) this.ended = true;
      for (const l of this.listeners) l(d);
    });
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      child.on('error', () => {
        this.exit ??= { code: 127, signal: null };
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  onOutput(listener: (text: string) => void): void {
    this.listeners.push(listener);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; to the whole process group (the command may be a shell or npm). */
  async stop(graceMs: number): Promise<ExitStatus> {
    // its whole tree, taken before anything is signalled (an orphan loses its link to us): a grandchild started
    // `detached` has a process group of its own and would outlive the run
    const tree = this.exit ? [] : descendants(this.pid);
    try {
      return await this.stopSelf(graceMs);
    } finally {
      await stopStragglers(tree, graceMs);
    }
  }

  private async stopSelf(graceMs: number): Promise<ExitStatus> {
    if (this.exit) return this.exit;
    if (this.ended) {
      // it ended by itself and waited for our session to go: it exits now, with its own code
      const grace = new AbortController();
      const done = await Promise.race([this.exited, sleep(graceMs, null, { signal: grace.signal }).catch(() => null)]);
      grace.abort();
      if (done) return done;
    }
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-this.pid, sig);
      } catch {
        try {
          this.child.kill(sig);
        } catch {
          // gone
        }
      }
    };
    signal('SIGTERM');
    // the grace timer is cancelled as soon as the program exits: a pending timer would keep leakscope itself
    // waiting out the whole grace period after a prompt exit
    const grace = new AbortController();
    const done = await Promise.race([this.exited, sleep(graceMs, null, { signal: grace.signal }).catch(() => null)]);
    grace.abort();
    if (done) return done;
    signal('SIGKILL');
    return this.exited;
  }
}

/** Processes of the program's tree still running after it stopped: SIGTERM, then SIGKILL after `graceMs`. */
async function stopStragglers(pids: number[], graceMs: number): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const left = pids.filter(alive);
  if (left.length === 0) return;
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone
    }
  }
  const until = Date.now() + graceMs;
  while (Date.now() < until && left.some(alive)) await sleep(100);
  for (const pid of left.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/**
 * trackAllocations: V8 records every object's allocation stack from the start (--track-heap-objects), so the
 * snapshots carry them; it slows allocation-heavy code, so it is asked for, never on by default.
 */
export function startProgram(command: string[], env: NodeJS.ProcessEnv, o: { trackAllocations?: boolean } = {}): ManagedProcess {
  const nodeOptions = [process.env.NODE_OPTIONS, '--inspect=127.0.0.1:0', o.trackAllocations ? '--track-heap-objects' : '']
    .filter(Boolean)
    .join(' ');
  const child = spawn(command[0], command.slice(1), {
    env: { ...process.env, ...env, NODE_OPTIONS: nodeOptions },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so stop() reaches the whole tree
  });
  return new ManagedProcess(child, command.join(' '));
}

export function startLoad(command: string, env: NodeJS.ProcessEnv): ManagedProcess {
  // the load generator must not get the program's inspector option
  const child = spawn('sh', ['-c', command], {
    env: { ...process.env, ...env, NODE_OPTIONS: process.env.NODE_OPTIONS ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  return new ManagedProcess(child, command);
}

const PACKAGE_MANAGER = /\/(npm|npx|yarn|pnpm|corepack)([-/]|$)|npm-cli|npx-cli/;

/** Waits for the program's inspector (see the file comment); fails with exit code 3 if it dies first. */
export async function programInspector(p: ManagedProcess, timeoutMs: number): Promise<InspectorAddress> {
  const seen: number[] = [];
  const scan = (text: string) => {
    for (const m of text.matchAll(/Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//g)) {
      const port = Number(m[1]);
      if (!seen.includes(port)) seen.push(port);
    }
  };
  scan(p.stderr.value);
  p.onOutput(scan);
  const deadline = Date.now() + timeoutMs;
  let fallback: InspectorAddress | null = null;
  while (Date.now() < deadline) {
    if (p.exit) break;
    for (const port of [...seen].reverse()) {
      const found = await probeInspector('127.0.0.1', port, 500);
      if (!found) continue;
      if (!PACKAGE_MANAGER.test(found.title)) return found;
      fallback ??= found;
    }
    await sleep(100);
  }
  if (p.exit && seen.length === 0) {
    // Node prints "Debugger listening" before it runs a line of the program: no such line, no Node ran at all
    const died = programDied(p, 'before it was ready');
    throw new UsageError(
      `${p.label.split(' ')[0]} is not a Node.js program, or starts none: no process of it opened an inspector ` +
        `(leakscope run starts Node programs: node app.js, npm start, npx tsx app.ts; something may strip NODE_OPTIONS). ` +
        `${died.message}`,
    );
  }
  if (p.exit) throw programDied(p, 'before it was ready');
  if (fallback) return fallback;
  throw new TargetError(
    `the program did not open an inspector within ${timeoutMs / 1000} s (is it a Node.js program? does something strip NODE_OPTIONS?)`,
  );
}

export function programDied(p: ManagedProcess, when: string): UserError {
  const tail = p.stderr
    .lastLines(20)
    .replace(
      /^Debugger listening on .*\n?|^For help, see: .*\n?|^Waiting for the debugger to disconnect\.*\n?|^Debugger ending on .*\n?/gm,
      '',
    )
    .trim();
  return new TargetError(`the program exited (${describeExit(p.exit)}) ${when}${tail ? `; its stderr ended with:\n${tail}` : ''}`);
}

export interface Readiness {
  url?: string;
  log?: RegExp;
  delayMs: number;
  timeoutMs: number;
}

/**
 * `re.exec(text)`, but never past `deadline`: a --ready-log pattern with catastrophic backtracking (`^(a+)+$`) would
 * otherwise block leakscope itself, far beyond --ready-timeout. The match runs under a watchdog that stops it.
 */
export function boundedExec(re: RegExp, text: string, deadline: number): RegExpExecArray | null {
  const timeout = Math.max(50, Math.min(READY_MATCH_MS, deadline - Date.now()));
  try {
    return vm.runInNewContext('re.exec(text)', { re, text }, { timeout }) as RegExpExecArray | null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw err;
    throw new UsageError(
      `--ready-log /${re.source}/ took more than ${timeout} ms to match the program's output (it backtracks catastrophically): simplify it`,
    );
  }
}

/** One match of the --ready-log pattern may take at most this long. */
const READY_MATCH_MS = 2000;

/** Waits until the program is ready; returns what the load command gets as LEAKSCOPE_URL / LEAKSCOPE_READY_MATCH. */
export async function waitReady(p: ManagedProcess, r: Readiness): Promise<{ url?: string; match?: string }> {
  const deadline = Date.now() + r.timeoutMs;
  if (r.log) {
    const re = r.log;
    for (;;) {
      const m = boundedExec(re, p.stdout.value, deadline) ?? boundedExec(re, p.stderr.value, deadline);
      if (m) return { match: m[1] ?? m[0], url: r.url ?? (/^https?:\/\//.test(m[1] ?? '') ? m[1] : undefined) };
      if (p.exit) throw programDied(p, 'before it logged that it was ready');
      if (Date.now() > deadline) throw new TargetError(`the program did not log /${re.source}/ within ${r.timeoutMs / 1000} s`);
      await sleep(50);
    }
  }
  if (r.url) {
    for (;;) {
      try {
        await fetch(r.url, { signal: AbortSignal.timeout(1000) });
        return { url: r.url };
      } catch {
        if (p.exit) throw programDied(p, `before ${r.url} answered`);
        if (Date.now() > deadline) throw new TargetError(`${r.url} did not answer within ${r.timeoutMs / 1000} s`);
        await sleep(100);
      }
    }
  }
  await sleep(r.delayMs);
  if (p.exit) throw programDied(p, 'during its start-up delay');
  return {};
}
