/**
 * leakscope as a library: `expectNoLeak` for test suites (node:test, Jest, Vitest). It runs a function in rounds
 * inside the test process, collects garbage and takes a heap snapshot after each round through the in-process
 * inspector (node:inspector — no --expose-gc, no flag at all), and runs the same diff and detectors as the CLI on
 * them. It resolves when nothing grows with the number of calls, and rejects with an AssertionError that names the
 * culprit the way the CLI does (holder, kind, counts per round, path, declaration, the line that adds, the fix).
 *
 * Growth that is not proportional to the calls does not fail it: a warm-up round comes before the first snapshot
 * (one-off caches, lazy initialisation, JIT), a finding must grow at every round (a cache that fills once and stops
 * does not), and it must be material by the CLI's rules (at least `minObjects` new objects retaining `minBytes`, and
 * 10 % more than at the first snapshot).
 *
 * This module loads no CLI code (no oclif): it is what `import { expectNoLeak } from 'leakscope'` gets.
 */
import { AssertionError } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffFiles } from '../analysis/diff/diff-files.js';
import { DEFAULT_DIFF_OPTIONS, type DiffResult } from '../analysis/diff/diff.js';
import type { Finding } from '../analysis/findings/findings.js';
import { addedAt, addingMethods } from '../analysis/findings/added.js';
import { KINDS } from '../analysis/findings/kinds.js';
import { collectTrace, combineOutcomes, installTrace, type TraceOutcome, type TraceRequest } from '../capture/growth-trace.js';
import { beginFile } from '../common/files.js';
import { addedAtLines, formatBytes, formatCount, formatLocation, shortLocation } from '../common/format.js';
import { printableDeep } from '../common/text.js';

export type { DiffResult } from '../analysis/diff/diff.js';
export type { Finding } from '../analysis/findings/findings.js';

export interface ExpectNoLeakOptions {
  /** calls of the function per round (default 100) */
  iterations?: number;
  /** measured rounds, each followed by a snapshot (default 3; at least 2): the first snapshot comes after the warm-up */
  rounds?: number;
  /** warm-up rounds before the first snapshot, never judged (default 1) */
  warmup?: number;
  /** least new objects a holder must keep to be reported (default: 50, or the iterations when fewer) */
  minObjects?: number;
  /** least bytes those objects must retain (default 16 KiB) */
  minBytes?: number;
  /** keep the snapshots in this folder (default: a temporary folder, removed at the end) */
  keepSnapshots?: string;
  /**
   * record allocation stacks while the function runs (default true), so a failure names the line that adds to the
   * holder, not only where the holder is declared; false makes the rounds faster
   */
  trackAllocations?: boolean;
  /**
   * the whole check may take at most this long, in ms (default 120000): a function that never settles (a promise
   * waiting on something that never comes) rejects it with a TimeoutError instead of hanging the test run; the
   * profiler and the temporary folder are cleaned up either way
   */
  timeout?: number;
}

export interface LeakCheck {
  /** 'no-leak' (resolved); a rejection carries 'leak' */
  verdict: DiffResult['verdict'];
  iterations: number;
  rounds: number;
  /** what grew, but not enough or not at every round to fail (watch items and suspects) */
  findings: Finding[];
  /** the snapshots, when kept */
  snapshots: string[];
}

/**
 * The rejection: an AssertionError whose message is short (one line saying how many holders grow, one per culprit
 * with its place), so that test runners print it whole; the full account is on `.details`, the findings on
 * `.findings` and the whole diff on `.report`. (Not `.diff`: Vitest and Jest read an error's `diff` as their own
 * assertion diff.)
 */
export class LeakError extends AssertionError {
  readonly findings: Finding[];
  readonly report: DiffResult;
  /** every culprit as the CLI names it: kind, counts by round, declared at, added at, held by, fix */
  readonly details: string;
  constructor(message: string, report: DiffResult, findings: Finding[], details = message) {
    super({ message });
    this.name = 'LeakError';
    this.report = report;
    this.findings = findings;
    this.details = details;
  }
}

/**
 * Runs `fn` (awaited; it gets the call's index) `iterations` times per round, for `warmup` + `rounds` rounds, with a
 * garbage collection and a heap snapshot after the warm-up and after every round; rejects with a LeakError when a
 * holder grows with the calls, resolves with what was seen otherwise.
 */
export async function expectNoLeak(fn: (i: number) => unknown, options: ExpectNoLeakOptions = {}): Promise<LeakCheck> {
  const iterations = positive(options.iterations ?? 100, 'iterations');
  const rounds = Math.max(2, positive(options.rounds ?? 3, 'rounds'));
  const warmup = Math.max(0, Math.floor(options.warmup ?? 1));
  const timeout = positive(options.timeout ?? DEFAULT_TIMEOUT_MS, 'timeout');
  if (typeof fn !== 'function') throw new TypeError('expectNoLeak(fn, options): fn must be a function');
  const deadline = Date.now() + timeout;
  const dir = options.keepSnapshots ?? mkdtempSync(path.join(tmpdir(), 'leakscope-expect-'));
  const session = new Session();
  session.connect();
  const files: string[] = [];
  let i = 0;
  const round = async () => {
    for (let k = 0; k < iterations; k++) {
      // a synchronous function is not awaited: no promise per call
      const r = fn(i++) as { then?: unknown } | undefined;
      if (r && typeof r.then === 'function') await beforeDeadline(r as Promise<unknown>, deadline, timeout, i - 1);
      else if (Date.now() > deadline) throw timedOut(timeout, i - 1);
    }
  };
  const tracking = options.trackAllocations !== false;
  let tracked = false;
  let enabled = false;
  try {
    await post(session, 'HeapProfiler.enable');
    enabled = true;
    if (tracking) {
      await post(session, 'HeapProfiler.startTrackingHeapObjects', { trackAllocations: true });
      tracked = true;
    }
    for (let k = 0; k < warmup; k++) await round();
    for (let k = 0; k <= rounds; k++) {
      if (k > 0) await round();
      files.push(await snapshot(session, path.join(dir, `round-${k}.heapsnapshot`)));
    }
    // stopping streams one more snapshot: nobody listens to it, it is dropped
    if (tracked) await post(session, 'HeapProfiler.stopTrackingHeapObjects', { reportProgress: false });
    tracked = false;
    const diff = await diffFiles(files, {
      ...DEFAULT_DIFF_OPTIONS,
      minObjects: options.minObjects ?? Math.min(DEFAULT_DIFF_OPTIONS.minObjects, iterations),
      minBytes: options.minBytes ?? DEFAULT_DIFF_OPTIONS.minBytes,
      // rounds are calls, not minutes: growth is judged per round (no rate per minute)
      times: files.map(() => null),
    });
    // the test runner's own bookkeeping while a test runs (node:test keeps a Test per async resource until it ends)
    const leaks = diff.findings.filter((f) => f.status === 'leak' && !isTestRunner(f));
    // the line that adds, as attach and run name it: one more round with the leaking holders' adding methods
    // wrapped (the allocation stacks recorded meanwhile can be wrong when the GC moved objects under load)
    if (leaks.length > 0) await traceAdds(session, leaks, round);
    await post(session, 'HeapProfiler.disable');
    enabled = false;
    if (leaks.length > 0) {
      const shown = printableDeep(leaks);
      throw new LeakError(shortMessage(shown, iterations, warmup), diff, leaks, leakMessage(shown, iterations, warmup));
    }
    return { verdict: 'no-leak', iterations, rounds, findings: diff.findings, snapshots: options.keepSnapshots ? files : [] };
  } finally {
    // on every path (a leak, a timeout, a throwing function): allocation tracking off, the profiler off, the
    // session closed, the temporary snapshots gone
    if (tracked) await post(session, 'HeapProfiler.stopTrackingHeapObjects', { reportProgress: false }).catch(() => {});
    if (enabled) await post(session, 'HeapProfiler.disable').catch(() => {});
    session.disconnect(); // a no-op when it is not connected
    if (!options.keepSnapshots) rmSync(dir, { recursive: true, force: true });
  }
}

/** leakscope's own code (this file's folder's parent: dist/ when installed, src/ under tsx): not the program's */
const OWN_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..') + path.sep;

/** How long the wrappers of the adding trace stay at most (they are collected after one round). */
const TRACE_WINDOW_MS = 60_000;

/**
 * Wraps the adding methods of each leaking holder (by its id in the last snapshot: the same process, the same ids),
 * runs one more round, and names the calls that added: `f.addedAt` becomes the traced call sites when there are
 * any. The wrappers are removed after the round, whatever it did.
 */
async function traceAdds(session: Session, leaks: Finding[], round: () => Promise<void>): Promise<void> {
  const channel = { send: (method: string, params?: object) => post<Record<string, never>>(session, method, params ?? {}) };
  const requests: Array<{ finding: Finding; request: TraceRequest }> = [];
  for (const f of leaks) {
    const methods = addingMethods(f.shards ? { kind: f.kind, holderClass: f.shards.holderClass } : f);
    if (typeof methods === 'string' || f.holderId === undefined) continue;
    const ids = f.shards ? f.shards.ids.slice(0, 5) : [f.holderId];
    for (const nodeId of ids) requests.push({ finding: f, request: { nodeId, methods } });
  }
  if (requests.length === 0) return;
  const installed = await installTrace(
    { channel },
    requests.map((r) => r.request),
    TRACE_WINDOW_MS,
  );
  const t0 = Date.now();
  try {
    await round();
  } finally {
    const outcomes = await collectTrace({ channel }, installed);
    const byFinding = new Map<Finding, TraceOutcome[]>();
    outcomes.forEach((o, k) => byFinding.set(requests[k].finding, [...(byFinding.get(requests[k].finding) ?? []), o]));
    for (const [f, list] of byFinding) {
      const o = combineOutcomes(list);
      if (!o.traced || o.calls === 0) continue;
      // the callers stop at leakscope's own frames (the round that called the function under test)
      const traced = addedAt(o, Date.now() - t0, null, (file) => file.startsWith(OWN_ROOT));
      if (traced.sites.length) f.addedAt = traced;
    }
  }
}

/** expectNoLeak's default timeout for the whole check (ms). */
const DEFAULT_TIMEOUT_MS = 120_000;

function timedOut(timeout: number, call: number): Error {
  const err = new Error(
    `expectNoLeak: the check did not finish within ${timeout} ms (call ${call} had not settled): the function never resolves, or raise the timeout option`,
  );
  err.name = 'TimeoutError';
  return err;
}

/** Awaits a call's promise, but not past the deadline (the promise itself cannot be cancelled: it is let go). */
async function beforeDeadline(p: Promise<unknown>, deadline: number, timeout: number, call: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut(timeout, call)), Math.max(0, deadline - Date.now()));
  });
  try {
    await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A holder that belongs to the test runner running this test (node:test's harness, Vitest's or Jest's runtime). */
function isTestRunner(f: Finding): boolean {
  const file = f.location?.file ?? '';
  return file.startsWith('node:internal/test_runner/') || /[\\/]node_modules[\\/](?:vitest|@vitest|jest-[\w-]+|@jest)[\\/]/.test(file);
}

function positive(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`expectNoLeak: ${name} must be a positive integer (got ${n})`);
  return n;
}

function post<T = unknown>(session: Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T)));
  });
}

/** Two full collections, then a snapshot streamed into a 0600 file created without following links. */
async function snapshot(session: Session, file: string): Promise<string> {
  await post(session, 'HeapProfiler.collectGarbage');
  await post(session, 'HeapProfiler.collectGarbage');
  const out = beginFile(file);
  const onChunk = (m: { params: { chunk: string } }) => out.write(m.params.chunk);
  session.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  try {
    await post(session, 'HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: false });
    out.commit();
  } catch (err) {
    out.abandon();
    throw err;
  } finally {
    session.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  }
  return file;
}

/** The CLI's words for a finding, for an assertion message. */
/** The message: how many holders grow, then one line per culprit (at most 3) with its counts and its place. */
function shortMessage(leaks: Finding[], iterations: number, warmup: number): string {
  const out = [
    `expected no leak, but ${leaks.length === 1 ? 'one holder grows' : `${leaks.length} holders grow`} with ` +
      `the calls (${iterations} calls per round, after ${warmup} warm-up round${warmup === 1 ? '' : 's'}; the ` +
      `full account is on err.details):`,
  ];
  for (const f of leaks.slice(0, 3)) {
    // a line that adds: traced calls, or the line found in the allocating function (not a bare declaration line)
    const first = f.addedAt?.sites[0];
    const site =
      f.addedAt?.source === 'instrumentation' || (f.addedAt?.source === 'allocation-tracking' && first?.declaredAt) ? first : undefined;
    const place = site
      ? `added at ${shortLocation(site)}`
      : f.location
        ? `declared at ${formatLocation(f.location)}`
        : f.pathText
          ? `held by ${f.pathText}`
          : '';
    out.push(
      `  ${f.name} (${f.holderClass}${f.itemClass ? ` of ${f.itemClass}` : ''}): ${f.countByStep.map((c) => formatCount(c)).join(' → ')} by round${place ? `, ${place}` : ''}`,
    );
  }
  if (leaks.length > 3) out.push(`  and ${leaks.length - 3} more`);
  return out.join('\n');
}

/** `.details`: every culprit as the CLI names it. */
function leakMessage(leaks: Finding[], iterations: number, warmup: number): string {
  const out = [
    `expected no leak, but ${leaks.length === 1 ? 'one holder grows' : `${leaks.length} holders grow`} with ` +
      `the calls (${iterations} calls per round, after ${warmup} warm-up round${warmup === 1 ? '' : 's'}):`,
  ];
  leaks.forEach((f, k) => {
    out.push(
      `  ${k + 1}. [${KINDS[f.kind].title}] ${f.name} (${f.holderClass}${f.itemClass ? ` of ${f.itemClass}` : ''}): ` +
        `${f.countByStep.map((c) => formatCount(c)).join(' → ')} by round, retaining ${formatBytes(f.newBytes)} ` +
        `new`,
    );
    if (f.location) out.push(`     declared at: ${formatLocation(f.location)}`);
    if (f.addedAt) addedAtLines(f.addedAt).forEach((l, j) => out.push(`     ${j === 0 ? 'added at:' : '         '} ${l}`));
    if (f.pathText) out.push(`     held by:     ${f.pathText}`);
    out.push(`     fix:         ${f.hint}`);
  });
  return out.join('\n');
}
