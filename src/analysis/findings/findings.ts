/**
 * Findings: what every analysis (diff's holders, the detectors) reports, and the shared rules for confidence and
 * severity, so that all of them judge growth the same way.
 */
import type { SourceLocation } from '../heap/snapshot.js';
import { NAMES } from '../heap/v8.js';
import type { FindingKind } from './kinds.js';
import type { OffHeap } from './offheap.js';

export type Verdict = 'leak' | 'no-leak' | 'inconclusive';
export type FindingStatus = 'leak' | 'watch' | 'suspect';
export type Severity = 'high' | 'medium' | 'low';
export type { FindingKind } from './kinds.js';

export interface Finding {
  kind: FindingKind;
  /** the collection or holder, e.g. `sessions` (Map), or the class name */
  name: string;
  /** class of the holder, e.g. `Map` */
  holderClass: string;
  /** what piles up in it, e.g. `Session` */
  itemClass: string;
  retainerPath: string[];
  pathText: string;
  location: SourceLocation | null;
  /** where the holder is declared, when `location` is something else (a listener's callback: where it is added) */
  declaration?: SourceLocation | null;
  /** when `location` is in a dependency (node_modules): its npm package (the version from its package.json) */
  package?: { name: string; version: string | null };
  /** when `location` is in a dependency (node_modules): the application declaration that owns the leak */
  owner?: SourceLocation | null;
  countByStep: number[];
  bytesByStep: number[];
  /** new-and-alive objects charged to this holder in the last snapshot, and the bytes they retain */
  newObjects: number;
  newBytes: number;
  /**
   * how much of newBytes is outside the JS heap: ArrayBuffer backing stores (Buffers), and how many of them are
   * whole Buffer-pool blocks; null when it is not a material share
   */
  offHeap?: OffHeap | null;
  /**
   * a sharded holder (a Map of Maps, a Map of objects that each keep a Map): its inner collections, whose entries
   * `countByStep` adds up; absent for any other finding
   */
  shards?: ShardSummary;
  /** the holder's heap object id in the last snapshot (what a live trace resolves) */
  holderId?: number;
  /** which lines add to the holder: from a live trace (attach, run), else allocation sites; offline only when the
   * snapshots recorded allocation stacks (--track-heap-objects); absent otherwise */
  addedAt?: AddedAt | null;
  /**
   * the new objects its holder keeps reachable, those another holder keeps too included, when that is clearly more
   * than it dominates (newBytes): it is judged on these (growthBytes); absent otherwise
   */
  sharedBytes?: number;
  /** how many bytes the growth first -> last amounts to (for a detector: its retained bytes in the share the count grew) */
  growthBytes: number;
  /**
   * `leak`: grew at every one of 3+ snapshots and the growth is material (significance.ts); `watch`: grew at every
   * step but too little to matter; `suspect`: grew, but not at every step or between two snapshots only.
   */
  status: FindingStatus;
  /** why a steady finding is only a watch item ('' otherwise) */
  statusReason: string;
  /** what other detectors saw of the same root cause (one cause, one finding) */
  evidence: string[];
  severity: Severity;
  confidence: number;
  hint: string;
  summary: string;
}

export interface ShardSummary {
  /** how many inner collections, in the last snapshot */
  count: number;
  /** and in every snapshot */
  countByStep: number[];
  /** their class: `Map`, `Set`, `Array` */
  holderClass: string;
  /** the property of each entry that keeps its inner collection (`orders`), or null when the entries are the inner
   * collections */
  via: string | null;
  /** the keys whose inner collection grew most: `'t7'` (a Map key), `[3]`, `acme.orders` */
  top: Array<{ key: string; entries: number; growth: number }>;
  /** heap object ids (last snapshot) of the inner collections that grew most: what a live trace wraps */
  ids: number[];
  /** where an inner collection is made (`cache = new Map()`, `this.orders = new Map()`), when the source says */
  declaredAt?: SourceLocation & { text: string };
}

/** true when every value is above the highest before it (objgraph's peak trick: a sawtooth never qualifies) */
export function risesEveryStep(values: number[]): boolean {
  let peak = values[0];
  for (let k = 1; k < values.length; k++) {
    if (values[k] <= peak) return false;
    peak = values[k];
  }
  return values.length >= 2;
}

/**
 * How sure a series makes us: 0.9 when it rose at every one of 3+ snapshots; 0.5 when it rose between just two
 * (warm-up looks the same); 0.4 when it rose overall but not at every step; 0.2 otherwise. Findings below 0.5 are
 * not reported; a `leak` verdict needs 0.9.
 */
export function confidenceOf(values: number[]): number {
  if (values.length < 2) return 0.2;
  const grew = values[values.length - 1] > values[0];
  if (values.length >= 3) return risesEveryStep(values) ? 0.9 : grew ? 0.4 : 0.2;
  return grew ? 0.5 : 0.2;
}

export function severityOf(confidence: number, bytes: number): Severity {
  if (confidence >= 0.9 && bytes >= 1e6) return 'high';
  if (confidence >= 0.5 || bytes >= 1e6) return 'medium';
  return 'low';
}

/** The one-line fix hint, shared by the diff's holders and the detectors. */
export function hintFor(kind: FindingKind, holderClass: string, name: string): string {
  if (kind === 'growing-collection') {
    if (holderClass === NAMES.Array)
      return `${name} only grows: cap it (drop the oldest entries, or a ring buffer), or ship entries out instead of keeping them`;
    return `${name} only grows: bound it (an LRU with a max size), expire entries with an active sweeper, delete on every exit path, or key it with a WeakMap`;
  }
  return `objects of this kind are created and kept: find who holds them on the path above and release them when done`;
}

export interface AddedSite {
  /** the call that adds (the first frame of the stack) */
  file: string;
  line: number;
  column: number;
  function: string;
  /** the compiled position, when a source map moved it */
  compiled?: { file: string; line: number; column: number };
  /** calls attributed to this site (sampled share of all calls); 0 for an allocation site */
  calls: number;
  /** an allocation site's live bytes growth (first -> last profile) */
  bytes?: number;
  samples: number;
  /** the callers, nearest first: "handleQuote", "Server.<anonymous>" */
  from: string[];
  /** the source line, trimmed (when the file is readable here) */
  text: string | null;
  /**
   * when the call (or allocation) happened inside a dependency: its own line, and the package; `file`/`line` above
   * are then the program's frame that called into it (the line the user changes)
   */
  via?: { file: string; line: number; column: number; function: string; package: string | null; text: string | null };
  /** (allocation stacks only, while refining) the program's callers of the allocating function, innermost first */
  outer?: Array<{ file: string; line: number; function: string }>;
  /**
   * set when `line` was found in the source text: an allocation site names the function (where it is declared),
   * and the line inside it that adds to the holder (`sessions.set(…)`) was found by reading that function's body;
   * this is the function's declaration line
   */
  declaredAt?: number;
}

export interface AddedAt {
  /**
   * 'instrumentation': the instance's methods were wrapped for a window; 'allocation-sites': it could not be (see
   * `why`), so these are the sampling heap profiler's sites whose live memory grew most — where the growing memory
   * was allocated, not necessarily the line that adds it; 'allocation-tracking': offline, the allocation stacks the
   * snapshot recorded (a process started with --track-heap-objects): the functions that allocated the new objects
   * the holder keeps, at the line where each function is declared; 'none': see `why`
   */
  source: 'instrumentation' | 'allocation-sites' | 'allocation-tracking' | 'none';
  methods: string[];
  windowMs: number;
  calls: number;
  sites: AddedSite[];
  /** why there is no answer (source 'none') */
  why: string | null;
}
