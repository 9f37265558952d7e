/**
 * `leakscope attach --no-snapshot`'s workflow: a leak verdict on a running process without a heap snapshot.
 *
 *   connect      as attach does (SIGUSR1 under the lock, or a given inspector), the main thread only;
 *   install      the census wrappers (capture/census.ts) and the sampling heap profiler;
 *   each round   the sampling profile and the census read, and at the first and the last round a forced GC (the
 *                heap's growth first -> last after GC is what the bytes are estimated from) — short calls, each
 *                timed: the target stops for one at a time. `--max-pause` leaves out a call whose last (or, for
 *                the first GC, estimated) duration exceeds the budget;
 *   let go       the census removed, the profiler stopped, the inspector closed if leakscope opened it — at the
 *                end, on Ctrl-C, and (the census's lease, the inspector's lifeline) by themselves if leakscope dies;
 *   judge        analysis/series/census.ts: the collections whose size rose at every round, named by the line
 *                that adds to them; the dictionaries through the allocation sites.
 */
import path from 'node:path';
import { compareProfiles } from '../analysis/findings/allocations.js';
import { NAMES } from '../analysis/heap/v8.js';
import type { FindingKind } from '../analysis/findings/kinds.js';
import type { SignificanceOptions } from '../analysis/findings/significance.js';
import { judgeCensus, NOT_KNOWN_WITHOUT_SNAPSHOT, type CensusRound } from '../analysis/series/census.js';
import { memoryTrends } from '../analysis/series/memory.js';
import { DEFAULT_HEAP_FLOOR, heapFloor } from '../analysis/series/soak.js';
import { installCensus, readCensus, removeCensus, type CensusInstall, type CensusRead } from '../capture/census.js';
import { connectToTarget, type Connection } from '../capture/connect.js';
import { checkHeadroom, expectedPauseMs } from '../capture/monitor.js';
import { processCwd } from '../capture/process.js';
import type { HeapUsage } from '../capture/session.js';
import type { SamplingProfile } from '../formats/heapprofile.js';
import { ExitCode, TargetError, UserError, InspectorError } from '../common/errors.js';
import { writeFileAtomic } from '../common/files.js';
import { formatBytes, setProjectRoot } from '../common/format.js';
import { addSourceRoots } from '../common/source-files.js';
import { SourceMapper } from '../common/sourcemaps.js';
import { WATCH_SCHEMA, type RoundPause, type WatchReport } from '../contracts/watch.js';
import type { Interrupts } from './interrupts.js';
import type { LiveOutput } from './attach.js';
import { captureDirName, makeCaptureDir } from './capture-dir.js';

export interface WatchOptions {
  pid: number | null;
  /** where evidence near the heap limit is written (default .leakscope/<pid>-<time>/) */
  dir: string | undefined;
  port?: number;
  ws?: string;
  host: string;
  intervalMs: number;
  rounds: number;
  usageEveryMs: number;
  gc: boolean;
  sampling: boolean;
  /** the longest a single call may stop the target (null: no budget) */
  maxPauseMs: number | null;
  top: number;
  significance: SignificanceOptions;
  sourceMaps: boolean;
  sourceRoots: string[];
  failOn: Set<FindingKind>;
}

export interface WatchOutcome {
  report: WatchReport;
  error: { message: string; exitCode: number } | null;
  interrupted: NodeJS.Signals | null;
  inspectorLeftOpen: string[];
}

/** A full GC's pause, estimated before the first one is measured: ~1 s per GB of heap on this 2-core machine. */
export function expectedGcMs(heapUsed: number): number {
  return Math.round(heapUsed / 1e6);
}

/**
 * The sampling profiler's interval (bytes between samples, on average): about a thousand live samples for the heap
 * at attach, 32 kB to 1 MB (V8's default is 512 kB). Reading a profile pauses the target in proportion to its live
 * samples — at 32 kB a 110 MB heap paused 170 ms per read, and the profiler cost a busy server several % of its
 * throughput (bench/pause.mjs) — while a small heap needs fine samples to see a leak of a few MB/min in a minute.
 */
export function samplingInterval(heapUsed: number): number {
  return Math.round(Math.min(1 << 20, Math.max(32 << 10, heapUsed / 1000)));
}

export async function watchWorkflow(o: WatchOptions, out: LiveOutput, interrupts: Interrupts): Promise<WatchOutcome> {
  const spec = o.pid !== null ? { pid: o.pid, host: o.host } : { port: o.port, ws: o.ws, host: o.host };
  const conn: Connection = await interrupts.guard(
    connectToTarget(spec, {
      waitingForLock: (holder) => out.line(`waiting for another leakscope (pid ${holder}) to finish opening an inspector...`),
      waitingForTarget: (holder, pid) => out.line(`waiting for another leakscope (pid ${holder}) to let go of pid ${pid}...`),
    }),
  );
  const session = conn.session;
  const cwd = conn.target ? processCwd(conn.target.pid) : null;
  if (cwd) setProjectRoot(cwd);
  addSourceRoots([...o.sourceRoots, ...(cwd ? [cwd] : [])]);
  const mapper = o.sourceMaps ? new SourceMapper() : null;
  // the census lives two rounds and a grace without a read: then the target removes it by itself
  const leaseMs = 2 * o.intervalMs + 30_000;
  const rounds: CensusRound[] = [];
  const profiles: SamplingProfile[] = [];
  const usage: HeapUsage[] = [];
  const pauses: RoundPause[] = [];
  let install: CensusInstall = { wrapped: [], skipped: [] };
  let removal = { removed: false, passThrough: 0 };
  let full = false;
  let error: UserError | null = null;
  let lastGcMs: number | null = null;
  let lastProfileMs: number | null = null;
  let evidence: WatchReport['evidence'] = null;
  /** how much had been gathered when the evidence was written */
  let atEvidence: { rounds: number; profiles: number } | null = null;
  const where = conn.target ? `pid ${conn.target.pid}` : `${conn.address.host}:${conn.address.port}`;
  out.line(`watching ${where} without heap snapshots: ${o.rounds} rounds, every ${Math.round(o.intervalMs / 1000)} s`);
  const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const t0 = performance.now();
    const v = await fn();
    return [v, Math.round(performance.now() - t0)];
  };
  /** The profile (within --max-pause) and the census, each timed; the round recorded. Null: the census is gone. */
  const readRound = async (pause: RoundPause, heapUsed: number): Promise<CensusRead | null> => {
    if (o.sampling) {
      if (o.maxPauseMs !== null && lastProfileMs !== null && lastProfileMs > o.maxPauseMs) {
        pause.skipped.push(`sampling profile (last ${lastProfileMs} ms > --max-pause ${o.maxPauseMs} ms)`);
      } else {
        const [p, ms] = await timed(() => session.samplingProfile());
        profiles.push(p);
        pause.profileMs = lastProfileMs = ms;
      }
    }
    const [read, censusMs] = await timed(() => readCensus(session, leaseMs));
    pause.censusMs = censusMs;
    pause.longestMs = Math.max(pause.gcMs ?? 0, pause.profileMs ?? 0, censusMs);
    pauses.push(pause);
    if (read) {
      full ||= read.full;
      rounds.push({ t: Date.now() - session.startedAt, read: trimmed(read), heapUsed });
    }
    return read;
  };
  const events = out.capture(o.rounds, { chart: true, who: '' });
  try {
    install = await installCensus(session, leaseMs, { timerCleared: NAMES.timeoutDestroyed });
    if (o.sampling) await session.startSampling(samplingInterval((await session.heapUsage()).used));
    for (let k = 1; k <= o.rounds; k++) {
      const until = Date.now() + o.intervalMs;
      while (Date.now() < until && !interrupts.signal.aborted) {
        await new Promise((r) => setTimeout(r, Math.min(o.usageEveryMs, Math.max(0, until - Date.now()))));
        if (interrupts.signal.aborted) break;
        const u = await session.heapUsage();
        usage.push(u);
        events.usage?.(u, session.thread);
        if (evidence === null && nearLimit(u)) {
          // close to its heap limit: what is known now is written down before the target can die of it
          await readRound({ round: k, gcMs: null, profileMs: null, censusMs: 0, longestMs: 0, skipped: [], nearLimit: true }, u.used);
          atEvidence = { rounds: rounds.length, profiles: profiles.length };
          const written = writeEvidence(o, conn, u, () =>
            buildWatchReport(o, conn, { rounds, profiles, usage, pauses, install, removal, full, mapper, interrupted: false }),
          );
          evidence = written;
          const share = Math.round((written.heapUsed / written.limit) * 100);
          out.line(
            written.error
              ? `the target is at ${share} % of its heap limit: the evidence could not be written (${written.error})`
              : `the target is at ${share} % of its heap limit: evidence written to ${written.file}`,
          );
        }
      }
      if (interrupts.signal.aborted) break;
      const pause: RoundPause = { round: k, gcMs: null, profileMs: null, censusMs: 0, longestMs: 0, skipped: [] };
      const before = await session.heapUsage();
      let heapUsed = before.used;
      // a forced GC at the first and the last round only: the judgement uses the heap's growth first -> last,
      // and every GC is a pause of the whole heap (the rounds between read the heap as it is)
      if (o.gc && (k === 1 || k === o.rounds)) {
        const expected = lastGcMs ?? expectedGcMs(before.used);
        if (o.maxPauseMs !== null && expected > o.maxPauseMs) {
          pause.skipped.push(`GC (${lastGcMs === null ? 'estimated' : 'last'} ${expected} ms > --max-pause ${o.maxPauseMs} ms)`);
        } else {
          [, pause.gcMs] = await timed(() => session.collectGarbage());
          lastGcMs = pause.gcMs;
          const after = await session.heapUsage();
          usage.push({ ...after, afterGc: true });
          heapUsed = after.used;
        }
      }
      const read = await readRound(pause, heapUsed);
      if (!read) throw new InspectorError('the census is gone from the target (its lease ran out: was leakscope stopped for long?)');
      const skipped = pause.skipped.length ? ` (skipped: ${pause.skipped.join(', ')})` : '';
      out.line(
        `round ${k}/${o.rounds}: heap ${formatBytes(heapUsed)}, ${read.entries.length} collection${read.entries.length === 1 ? '' : 's'} followed, longest pause ${pause.longestMs} ms${skipped}`,
      );
    }
  } catch (err) {
    error = session.isDisconnected
      ? new TargetError(`the target went away during the watch (after ${rounds.length} rounds)`)
      : err instanceof UserError
        ? err
        : new InspectorError(`the inspector session failed: ${(err as Error).message}`);
  } finally {
    out.stop();
  }
  const detach = await session.detach(async (step) => {
    await step('remove the census', async () => {
      const r = await removeCensus(session);
      removal = { removed: true, passThrough: r.passThrough };
    });
  });
  interrupts.dispose();
  // a target that died after the evidence was written spent its last rounds thrashing near its heap limit (adding
  // little between reads): it is judged on what was gathered up to the evidence, as the evidence file was
  const gone = error instanceof TargetError;
  const upTo = gone && atEvidence && evidence && !evidence.error ? atEvidence : null;
  const report = buildWatchReport(o, conn, {
    rounds: upTo ? rounds.slice(0, upTo.rounds) : rounds,
    profiles: upTo ? profiles.slice(0, upTo.profiles) : profiles,
    usage,
    pauses,
    install,
    removal,
    full,
    mapper,
    interrupted: interrupts.interrupted,
  });
  if (upTo) report.reason += ' (judged on the rounds up to the evidence: the target then thrashed near its heap limit and died)';
  report.evidence = evidence;
  report.targetGone = gone;
  let exitCode: number = ExitCode.ok;
  if (error) exitCode = error.exitCode;
  else if (interrupts.interrupted) exitCode = interrupts.exitCode;
  else if (report.verdict === 'leak' && report.findings.some((f) => f.status === 'leak' && o.failOn.has(f.kind))) exitCode = ExitCode.leak;
  else if (report.verdict === 'inconclusive' && o.failOn.size > 0) exitCode = ExitCode.inconclusive;
  report.exitCode = exitCode;
  return {
    report,
    error: error ? { message: error.message, exitCode: error.exitCode } : null,
    interrupted: interrupts.interrupted ? (interrupts.received as NodeJS.Signals) : null,
    inspectorLeftOpen: detach.inspectorClosed === false ? detach.errors : [],
  };
}

/** Evidence is written when the heap passes this share of its limit (the old generation's, when it has its own). */
export const NEAR_LIMIT = 0.8;

function nearLimit(u: HeapUsage): boolean {
  if (u.oldLimit && u.oldUsed !== undefined && u.oldUsed / u.oldLimit > NEAR_LIMIT) return true;
  return u.used / u.limit > NEAR_LIMIT;
}

/**
 * The report as it stands, written (0600, atomically) into the capture folder: if the target dies of its heap, this
 * is what names the culprit. Never throws: a write that fails is said in the report instead.
 */
function writeEvidence(o: WatchOptions, conn: Connection, u: HeapUsage, build: () => WatchReport): NonNullable<WatchReport['evidence']> {
  const dir = captureDirName(o.dir, conn.target?.pid ?? null);
  const file = path.join(dir, `evidence-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const old = u.oldLimit && u.oldUsed !== undefined;
  const at = { heapUsed: old ? (u.oldUsed as number) : u.used, limit: old ? (u.oldLimit as number) : u.limit, t: u.t };
  try {
    makeCaptureDir(dir);
    const report = build();
    report.evidence = { file, ...at, error: null };
    writeFileAtomic(file, JSON.stringify(report, null, 2));
    return { file, ...at, error: null };
  } catch (err) {
    return { file, ...at, error: (err as Error).message };
  }
}

/** Only what the judgement uses: the stacks of the busiest few sites per entry (reads can be large). */
function trimmed(read: CensusRead): CensusRead {
  return { ...read, entries: read.entries.map((e) => ({ ...e, stacks: e.stacks.slice(0, 4) })) };
}

function buildWatchReport(
  o: WatchOptions,
  conn: Connection,
  g: {
    rounds: CensusRound[];
    profiles: SamplingProfile[];
    usage: HeapUsage[];
    pauses: RoundPause[];
    install: CensusInstall;
    removal: { removed: boolean; passThrough: number };
    full: boolean;
    mapper: SourceMapper | null;
    interrupted: boolean;
  },
): WatchReport {
  const sites = g.profiles.length >= 2 ? compareProfiles(g.profiles, 50, g.mapper) : [];
  const findings = judgeCensus(g.rounds, sites, {
    significance: o.significance,
    mapper: g.mapper,
    windowMs: o.intervalMs * Math.max(0, g.rounds.length),
  });
  const postGc = g.usage.filter((u) => u.afterGc);
  const series = postGc.length >= 3 ? postGc : g.usage;
  const memory =
    series.length >= 3 ? memoryTrends(series, heapFloor(series, DEFAULT_HEAP_FLOOR), Number.POSITIVE_INFINITY, { native: true }) : null;
  const leaks = findings.filter((f) => f.status === 'leak');
  let verdict: WatchReport['verdict'];
  let reason: string;
  if (leaks.length) {
    verdict = 'leak';
    const f = leaks[0];
    reason = `${f.name} (${f.holderClass}${f.kind === 'listener' ? ' listeners' : ''}) grows at every round${leaks.length > 1 ? `, and ${leaks.length - 1} more` : ''}`;
  } else if (g.rounds.length < 3) {
    verdict = 'inconclusive';
    reason = `${g.rounds.length} round${g.rounds.length === 1 ? '' : 's'} only: a verdict needs 3 (a growth seen at every round)`;
  } else {
    verdict = 'no-leak';
    const watch = findings.filter((f) => f.status === 'watch').length;
    reason = `no collection, listener or timer grew at every round by a material amount${watch ? ` (${watch} to watch)` : ''}`;
  }
  const last = g.usage[g.usage.length - 1];
  let affordable = true;
  try {
    if (last) checkHeadroom(last, conn.target?.pid);
  } catch {
    affordable = false;
  }
  const longest = Math.max(0, ...g.pauses.map((p) => p.longestMs));
  return {
    schema: WATCH_SCHEMA,
    kind: 'watch',
    target: {
      pid: conn.target?.pid ?? null,
      command: conn.target ? conn.target.commandLine.join(' ') : null,
      inspector: `${conn.address.host}:${conn.address.port}`,
      openedByUs: conn.openedByUs,
    },
    intervalMs: o.intervalMs,
    rounds: g.rounds.length,
    roundsPlanned: o.rounds,
    verdict,
    reason,
    findings: findings.slice(0, Math.max(o.top, leaks.length)),
    allocationSites: sites.slice(0, o.top),
    memory,
    usage: g.usage,
    pauses: {
      longestMs: longest,
      totalMs: g.pauses.reduce((a, p) => a + (p.gcMs ?? 0) + (p.profileMs ?? 0) + p.censusMs, 0),
      maxPauseMs: o.maxPauseMs,
      rounds: g.pauses,
    },
    census: {
      wrapped: g.install.wrapped,
      skipped: g.install.skipped,
      removed: g.removal.removed,
      passThrough: g.removal.passThrough,
      full: g.full,
    },
    notKnown: NOT_KNOWN_WITHOUT_SNAPSHOT,
    snapshotHint: {
      command: `leakscope attach ${conn.target?.pid ?? `--port ${conn.address.port}`}`,
      heapUsed: last?.used ?? 0,
      expectedPauseMs: expectedPauseMs(last?.used ?? 0),
      affordable,
    },
    interrupted: g.interrupted,
    evidence: null,
    targetGone: false,
    exitCode: 0,
  };
}
