/**
 * `leakscope attach --no-snapshot`'s report (schema leakscope.watch/v1): a verdict on a running process from the
 * census of its growing collections and the sampling heap profiler, with every pause it cost the target.
 */
import type { AllocationSite } from '../analysis/findings/allocations.js';
import type { Verdict } from '../analysis/findings/findings.js';
import type { WatchFinding } from '../analysis/series/census.js';
import type { MemoryTrends } from '../analysis/series/memory.js';
import type { HeapUsage } from '../capture/session.js';

export const WATCH_SCHEMA = 'leakscope.watch/v1';

/** What one round cost the target: each call that runs on its main thread, timed from leakscope (an upper bound). */
export interface RoundPause {
  round: number;
  /** the forced GC (null: skipped, see skipped) */
  gcMs: number | null;
  /** reading the sampling heap profile */
  profileMs: number | null;
  /** reading the census */
  censusMs: number;
  /** the longest of the three: the target stops for one call at a time */
  longestMs: number;
  /** what --max-pause left out of this round, and why */
  skipped: string[];
  /** an extra read when the heap neared its limit (the evidence) */
  nearLimit?: boolean;
}

export interface WatchReport {
  schema: typeof WATCH_SCHEMA;
  kind: 'watch';
  target: { pid: number | null; command: string | null; inspector: string; openedByUs: boolean };
  intervalMs: number;
  rounds: number;
  /** the rounds asked for (fewer were done when interrupted) */
  roundsPlanned: number;
  verdict: Verdict;
  reason: string;
  findings: WatchFinding[];
  allocationSites: AllocationSite[];
  memory: MemoryTrends | null;
  usage: HeapUsage[];
  pauses: { longestMs: number; totalMs: number; maxPauseMs: number | null; rounds: RoundPause[] };
  /** what was installed in the target, what could not be, and that it was all removed */
  census: { wrapped: string[]; skipped: string[]; removed: boolean; passThrough: number; full: boolean };
  /** what a watch without a snapshot cannot know, and the command that gets it */
  notKnown: string;
  snapshotHint: { command: string; heapUsed: number; expectedPauseMs: number; affordable: boolean };
  interrupted: boolean;
  /** the target went away during the watch (it died: of its heap, say) */
  targetGone: boolean;
  /**
   * the report as it stood when the heap passed 80 % of its limit, written to `file` (the culprit named before the
   * target could die of it); null when the heap stayed below
   */
  evidence: { file: string; heapUsed: number; limit: number; t: number; error: string | null } | null;
  exitCode: number;
}
