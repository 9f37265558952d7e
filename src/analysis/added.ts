/**
 * Which line adds the entries: what to trace for a finding (the holder and the methods that add to it), and what
 * the traced call stacks say (the call site, its callers, the source line), as data on the finding (`addedAt`).
 */
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AllocationSite } from './allocations.js';
import type { Finding } from './findings.js';
import type { LocationMapper } from './heap/snapshot.js';
import { NAMES } from './heap/v8.js';
import { printable } from '../text.js';
import { formatCount } from '../format.js';

/** The methods that add to a holder of this class (an instance's own methods shadow them while traced). */
export function addingMethods(f: Pick<Finding, 'kind' | 'holderClass'>): string[] | string {
  if (f.kind === 'listener') {
    return EVENT_TARGETS.has(f.holderClass) ? ['addEventListener'] : ['on', 'addListener', 'prependListener'];
  }
  switch (f.holderClass) {
    case NAMES.Map:
    case 'WeakMap':
      return ['set'];
    case NAMES.Set:
    case 'WeakSet':
      return ['add'];
    case NAMES.Array:
      return ['push', 'unshift', 'splice'];
    case NAMES.Object:
      return "a plain object's key writes cannot be observed without replacing the object";
    default:
      return f.kind === 'timer' || f.kind === 'closure' ? 'its growth is not calls on one object' : `a ${f.holderClass} has no method that adds entries to wrap`;
  }
}

const EVENT_TARGETS: ReadonlySet<string> = new Set(['EventTarget', NAMES.AbortSignal, 'MessagePort', 'BroadcastChannel', 'Worker']);

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
}

export interface AddedAt {
  /**
   * 'instrumentation': the instance's methods were wrapped for a window; 'allocation-sites': it could not be (see
   * `why`), so these are the sampling heap profiler's sites whose live memory grew most — where the growing memory
   * was allocated, not necessarily the line that adds it; 'none': see `why`
   */
  source: 'instrumentation' | 'allocation-sites' | 'none';
  methods: string[];
  windowMs: number;
  calls: number;
  sites: AddedSite[];
  /** why there is no answer (source 'none') */
  why: string | null;
}

interface Frame {
  fn: string;
  file: string;
  line: number;
  column: number;
}

const FRAME = /^\s*at (?:(.*?) \()?(.+?):(\d+):(\d+)\)?$/;

/** V8's stack text -> frames (the first line, "Error", skipped; frames without a position dropped). */
export function parseStack(stack: string): Frame[] {
  const out: Frame[] = [];
  for (const line of stack.split('\n').slice(1)) {
    const m = FRAME.exec(line);
    if (!m) continue;
    let file = m[2];
    if (file.startsWith('file://')) {
      try {
        file = fileURLToPath(file);
      } catch {
        // keep the URL
      }
    }
    out.push({ fn: (m[1] ?? '').replace(/^async /, '') || '(anonymous)', file, line: Number(m[3]), column: Number(m[4]) });
  }
  return out;
}

const lines = new Map<string, string[] | null>();
function sourceLine(file: string, line: number): string | null {
  if (!lines.has(file)) {
    let text: string[] | null = null;
    try {
      if (statSync(file).size < 8e6) text = readFileSync(file, 'utf8').split('\n');
    } catch {
      text = null;
    }
    lines.set(file, text);
  }
  const l = lines.get(file)?.[line - 1];
  return l === undefined ? null : printable(l.trim().slice(0, 160));
}

/** The traced stacks of one holder, grouped by call site (the first frame), the busiest first. */
export function addedAt(o: { methods: string[]; calls: number; sampled: number; sites: Array<{ stack: string; samples: number }> }, windowMs: number, mapper?: LocationMapper | null): AddedAt {
  const bySite = new Map<string, AddedSite>();
  for (const s of o.sites) {
    const frames = parseStack(s.stack);
    if (frames.length === 0) continue;
    const top = frames[0];
    const key = `${top.file}:${top.line}:${top.column}`;
    let site = bySite.get(key);
    if (!site) {
      const mapped = mapper ? mapper.map({ file: top.file, line: top.line, column: top.column }) : { file: top.file, line: top.line, column: top.column };
      site = {
        file: mapped.file,
        line: mapped.line,
        column: mapped.column,
        function: top.fn,
        ...('compiled' in mapped && mapped.compiled ? { compiled: mapped.compiled as AddedSite['compiled'] } : {}),
        calls: 0,
        samples: 0,
        from: frames.slice(1, 4).map((f) => f.fn),
        text: sourceLine(mapped.file, mapped.line),
      };
      bySite.set(key, site);
    }
    site.samples += s.samples;
  }
  const sites = [...bySite.values()].sort((a, b) => b.samples - a.samples);
  for (const s of sites) s.calls = o.sampled > 0 ? Math.round((o.calls * s.samples) / o.sampled) : 0;
  return { source: 'instrumentation', methods: o.methods, windowMs, calls: o.calls, sites, why: o.calls === 0 ? `no call to ${o.methods.join('/')} in ${Math.round(windowMs / 1000)} s` : null };
}

/** No trace for this finding (why), but growing allocation sites from the sampling profiler: the busiest three. */
export function fromAllocationSites(methods: string[], why: string, sites: AllocationSite[]): AddedAt {
  const grown = sites.filter((x) => x.deltaBytes > 0).slice(0, 3);
  if (grown.length === 0) return notTraced(methods, why);
  return {
    source: 'allocation-sites',
    methods,
    windowMs: 0,
    calls: 0,
    sites: grown.map((x) => ({ file: x.file, line: x.line, column: x.column, function: x.functionName, ...(x.compiled ? { compiled: x.compiled } : {}), calls: 0, samples: 0, bytes: x.deltaBytes, from: x.stack.slice(0, 3).map((f) => f.split(' ')[0]), text: sourceLine(x.file, x.line) })),
    why: `${why}; instead, the sampling profiler's allocation sites whose live memory grew most`,
  };
}

/** A finding with no trace: why. */
export function notTraced(methods: string[], why: string): AddedAt {
  return { source: 'none', methods, windowMs: 0, calls: 0, sites: [], why };
}

/** What the growth trace did to the target: per holder, and one line saying it was undone. */
export interface GrowthTraceReport {
  windowMs: number;
  holders: Array<{ name: string; holderClass: string; kind: Finding['kind']; methods: string[]; installed: boolean; traced: boolean; calls: number; restored: boolean; why: string | null }>;
  /** every wrapper installed was removed before detaching */
  undone: boolean;
  /** one line: what was done to the target, and that it was undone */
  text: string;
}

export function traceReport(windowMs: number, holders: GrowthTraceReport['holders']): GrowthTraceReport {
  const installed = holders.filter((h) => h.installed);
  const undone = installed.every((h) => h.restored);
  const what = holders.map((h) => `${h.name} (${h.holderClass}.${h.methods.join('/')}${h.traced ? `: ${formatCount(h.calls)} calls` : `: not traced, ${h.why}`})`).join('; ');
  const tail = installed.length === 0 ? 'nothing was installed' : undone ? 'the wrappers were on those instances only, and are removed' : 'some wrappers could not be removed now: they remove themselves 5 s after the window';
  return { windowMs, holders, undone, text: `growth trace for ${Math.round(windowMs / 1000)} s: ${what}; ${tail}` };
}
