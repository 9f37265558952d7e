/**
 * The growth trace as `attach` and `run` use it: after the last snapshot, while still attached, diff the main
 * thread's series, and for the holders it flags, wrap the methods that add to them for a window (capture/
 * growth-trace.ts) and turn the stacks into each finding's `addedAt` (analysis/added.ts). The diff is kept, so
 * the command does not compute it twice. Best effort: whatever fails is said in the report, never fails the capture.
 */
import { addedAt, addingMethods, notTraced, traceReport, type GrowthTraceReport } from '../analysis/added.js';
import type { DiffResult } from '../analysis/diff.js';
import { diffFiles, type DiffFilesOptions } from '../analysis/diff-files.js';
import type { Finding } from '../analysis/findings.js';
import type { LocationMapper } from '../analysis/heap/snapshot.js';
import { traceGrowth, type TraceRequest } from '../capture/growth-trace.js';
import type { CaptureResult, IsolateCapture } from '../capture/monitor.js';
import type { InspectorSession } from '../capture/session.js';

/** At most this many holders are traced (the top findings). */
const MAX_TRACED = 5;

export class GrowthTracer {
  /** the diffs computed for the trace, by thread id (the command reuses them) */
  readonly diffs = new Map<number, DiffResult>();
  report: GrowthTraceReport | null = null;

  constructor(private readonly o: { windowMs: number; diffOptions: DiffFilesOptions; mapper: LocationMapper | null; onPhase?: (text: string) => void }) {}

  /** CapturePlan.afterLast */
  readonly afterLast = async (sessions: InspectorSession[], result: CaptureResult, signal: AbortSignal): Promise<void> => {
    const session = sessions.find((s) => s.thread.kind === 'main');
    const c = result.isolates.find((i) => i.thread.kind === 'main');
    if (!session || !c || c.snapshots.length < 2) return;
    try {
      const diff = await diffFiles(c.snapshots, this.o.diffOptions);
      this.diffs.set(c.thread.id, diff);
      const flagged = diff.findings.filter((f) => f.holderId !== undefined && (f.status === 'leak' || f.confidence >= 0.5)).slice(0, MAX_TRACED);
      const requests: Array<{ finding: Finding; request: TraceRequest }> = [];
      // what cannot be wrapped is said in the report too (and falls back to allocation sites in the command)
      const holders: GrowthTraceReport['holders'] = [];
      for (const f of flagged) {
        const methods = addingMethods(f);
        if (typeof methods === 'string') {
          // allocation stacks recorded in the snapshots (--track-allocations) already answered: kept
          if (!f.addedAt?.sites.length) f.addedAt = notTraced([], methods);
          holders.push({ name: f.name, holderClass: f.holderClass, kind: f.kind, methods: [], installed: false, traced: false, calls: 0, restored: true, why: methods });
        } else requests.push({ finding: f, request: { nodeId: f.holderId as number, methods } });
      }
      if (requests.length === 0) {
        if (holders.length > 0) this.report = traceReport(this.o.windowMs, holders);
        return;
      }
      this.o.onPhase?.(`tracing which lines add to ${requests.map((r) => r.finding.name).join(', ')} for ${Math.round(this.o.windowMs / 1000)} s`);
      const outcomes = await traceGrowth(session, requests.map((r) => r.request), this.o.windowMs, signal);
      outcomes.forEach((o, k) => {
        const f = requests[k].finding;
        const traced = o.traced ? addedAt(o, this.o.windowMs, this.o.mapper) : notTraced(o.methods, o.why ?? 'not traced');
        // no call seen in the window: what the recorded allocation stacks said, if they said something, stays
        f.addedAt = traced.sites.length === 0 && f.addedAt?.sites.length ? f.addedAt : traced;
        holders.push({ name: f.name, holderClass: f.holderClass, kind: f.kind, methods: o.methods, installed: o.installed, traced: o.traced, calls: o.calls, restored: o.restored, why: o.why });
      });
      this.report = traceReport(this.o.windowMs, holders);
    } catch (err) {
      this.report = { windowMs: this.o.windowMs, holders: [], undone: false, text: `the growth trace failed: ${(err as Error).message} (wrappers, if any were installed, remove themselves at their deadline)` };
    }
  };

  /** The isolate's diff: the one the trace computed, or a new one. */
  async diffOf(c: IsolateCapture, options: DiffFilesOptions): Promise<DiffResult | null> {
    return this.diffs.get(c.thread.id) ?? (c.snapshots.length >= 2 ? await diffFiles(c.snapshots, options) : null);
  }
}
