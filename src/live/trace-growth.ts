/**
 * The growth trace as `attach` and `run` use it: after the last snapshot, while still attached, diff each isolate's
 * series (the main thread's and each worker's: diffed one after the other, so one whole snapshot is in memory at a
 * time, then traced at the same time), and for the holders it flags, wrap the methods that add to them for a window
 * (capture/growth-trace.ts) and turn the stacks into each finding's `addedAt` (analysis/findings/added.ts). The diffs are
 * kept, so the command does not compute them twice. Best effort: whatever fails is said in the report, never fails the capture.
 */
import { addedAt, addingMethods, notTraced, traceReport, type GrowthTraceReport } from '../analysis/findings/added.js';
import type { DiffResult } from '../analysis/diff/diff.js';
import { diffFiles, type DiffFilesOptions } from '../analysis/diff/diff-files.js';
import type { Finding } from '../analysis/findings/findings.js';
import type { LocationMapper } from '../analysis/heap/snapshot.js';
import { combineOutcomes, traceGrowth, type TraceOutcome, type TraceRequest } from '../capture/growth-trace.js';
import type { CaptureResult, IsolateCapture } from '../capture/monitor.js';
import type { InspectorSession } from '../capture/session.js';
import { threadLabel } from '../common/format.js';

/** At most this many holders are traced (the top findings). */
const MAX_TRACED = 5;
/** and of a sharded holder, its inner collections that grew most: finding each costs the target a heap walk */
const MAX_TRACED_SHARDS = 5;

export class GrowthTracer {
  /** the diffs computed for the trace, by thread id (the command reuses them) */
  readonly diffs = new Map<number, DiffResult>();
  report: GrowthTraceReport | null = null;

  constructor(
    private readonly o: {
      windowMs: number;
      diffOptions: DiffFilesOptions;
      mapper: LocationMapper | null;
      onPhase?: (text: string) => void;
    },
  ) {}

  /** CapturePlan.afterLast: every isolate with a series (the main thread and each worker) is traced at once. */
  readonly afterLast = async (sessions: InspectorSession[], result: CaptureResult, signal: AbortSignal): Promise<void> => {
    const jobs = result.isolates.flatMap((c) => {
      const session = sessions.find((s) => s.thread.id === c.thread.id);
      return session && c.snapshots.length >= 2 ? [{ session, c }] : [];
    });
    if (jobs.length === 0) return;
    // diffs one at a time (memory), then every window at once (time)
    const prepared = [];
    for (const { session, c } of jobs) prepared.push(await this.prepare(c).then((p) => ({ ...p, session, c })));
    const parts = await Promise.all(prepared.map((p) => this.traceIsolate(p.session, p.c, p, signal)));
    const failed = parts.map((p) => p.failed).filter((x): x is string => x !== null);
    const holders = parts.flatMap((p) => p.holders);
    if (holders.length > 0) {
      this.report = traceReport(this.o.windowMs, holders);
      if (failed.length) this.report.text += `; ${failed.join('; ')}`;
    } else if (failed.length) {
      this.report = { windowMs: this.o.windowMs, holders: [], undone: false, text: failed.join('; ') };
    }
  };

  /** One isolate's diff, and what to wrap: its flagged holders that have adding methods (the others are said why). */
  private async prepare(c: IsolateCapture): Promise<Prepared> {
    const holders: GrowthTraceReport['holders'] = [];
    const requests: Prepared['requests'] = [];
    try {
      const diff = await diffFiles(c.snapshots, this.o.diffOptions);
      this.diffs.set(c.thread.id, diff);
      const flagged = diff.findings
        .filter((f) => f.holderId !== undefined && (f.status === 'leak' || f.confidence >= 0.5))
        .slice(0, MAX_TRACED);
      // what cannot be wrapped is said in the report too (and falls back to allocation sites in the command)
      for (const f of flagged) {
        // a sharded holder (a Map of Maps): what adds entries is a call on its inner collections, the ones that grew most
        const methods = addingMethods(f.shards ? { kind: f.kind, holderClass: f.shards.holderClass } : f);
        if (typeof methods === 'string') {
          // allocation stacks recorded in the snapshots (--track-allocations) already answered: kept
          if (!f.addedAt?.sites.length) f.addedAt = notTraced([], methods);
          holders.push({
            name: labelled(f.name, c),
            holderClass: f.holderClass,
            kind: f.kind,
            methods: [],
            installed: false,
            traced: false,
            calls: 0,
            restored: true,
            why: methods,
          });
        } else {
          const ids = f.shards ? f.shards.ids.slice(0, MAX_TRACED_SHARDS) : [f.holderId as number];
          for (const nodeId of ids) requests.push({ finding: f, request: { nodeId, methods } });
        }
      }
      return { holders, requests, failed: null };
    } catch (err) {
      return { holders, requests: [], failed: failure(c, err) };
    }
  }

  /** One isolate's window: wrap what adds to its holders, turn the stacks into addedAt. */
  private async traceIsolate(
    session: InspectorSession,
    c: IsolateCapture,
    p: Prepared,
    signal: AbortSignal,
  ): Promise<{ holders: GrowthTraceReport['holders']; failed: string | null }> {
    const { holders, requests } = p;
    if (p.failed || requests.length === 0) return { holders, failed: p.failed };
    try {
      this.o.onPhase?.(
        `tracing which lines add to ${requests.map((r) => labelled(r.finding.name, c)).join(', ')} for ${Math.round(this.o.windowMs / 1000)} s`,
      );
      const outcomes = await traceGrowth(
        session,
        requests.map((r) => r.request),
        this.o.windowMs,
        signal,
      );
      // one outcome per finding: a sharded holder's inner collections are traced together
      const byFinding = new Map<Finding, TraceOutcome[]>();
      outcomes.forEach((o, k) => byFinding.set(requests[k].finding, [...(byFinding.get(requests[k].finding) ?? []), o]));
      byFinding.forEach((list, f) => {
        const o = combineOutcomes(list);
        const traced = o.traced ? addedAt(o, this.o.windowMs, this.o.mapper) : notTraced(o.methods, o.why ?? 'not traced');
        // no call seen in the window: what the recorded allocation stacks said, if they said something, stays
        f.addedAt = traced.sites.length === 0 && f.addedAt?.sites.length ? f.addedAt : traced;
        holders.push({
          name: labelled(f.name, c),
          holderClass: f.holderClass,
          kind: f.kind,
          methods: o.methods,
          installed: o.installed,
          traced: o.traced,
          calls: o.calls,
          restored: o.restored,
          why: o.why,
        });
      });
      return { holders, failed: null };
    } catch (err) {
      return { holders, failed: failure(c, err) };
    }
  }

  /** The isolate's diff: the one the trace computed, or a new one. */
  async diffOf(c: IsolateCapture, options: DiffFilesOptions): Promise<DiffResult | null> {
    return this.diffs.get(c.thread.id) ?? (c.snapshots.length >= 2 ? await diffFiles(c.snapshots, options) : null);
  }
}

interface Prepared {
  holders: GrowthTraceReport['holders'];
  requests: Array<{ finding: Finding; request: TraceRequest }>;
  failed: string | null;
}

/** A worker's holders are named with their thread in the report line. */
function labelled(name: string, c: IsolateCapture): string {
  return c.thread.kind === 'main' ? name : `${name} in ${threadLabel(c.thread)}`;
}

function failure(c: IsolateCapture, err: unknown): string {
  const where = c.thread.kind === 'main' ? '' : ` in ${threadLabel(c.thread)}`;
  return `the growth trace${where} failed: ${(err as Error).message} (wrappers, if any were installed, remove themselves at their deadline)`;
}
