/**
 * Which line adds the entries: what to trace for a finding (the holder and the methods that add to it), and what
 * the traced call stacks say (the call site, its callers, the source line), as data on the finding (`addedAt`).
 */
import type { AllocationSite } from './allocations.js';
import type { AddedAt, AddedSite, Finding } from './findings.js';

export type { AddedAt, AddedSite } from './findings.js';
import type { LocationMapper } from '../heap/snapshot.js';
import type { HeapGraph } from '../graph/heap-graph.js';
import { AllocationTraces, type TraceFunction } from '../heap/traces.js';
import { NAMES } from '../heap/v8.js';
import { printable } from '../../common/text.js';
import { readSourceFile } from '../../common/source-files.js';
import { packageOf, packageText } from '../places/source.js';
import { formatCount } from '../../common/format.js';
import { scriptPath } from '../../common/paths.js';

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
      return f.kind === 'timer' || f.kind === 'closure'
        ? 'its growth is not calls on one object'
        : `a ${f.holderClass} has no method that adds entries to wrap`;
  }
}

const EVENT_TARGETS: ReadonlySet<string> = new Set(['EventTarget', NAMES.AbortSignal, 'MessagePort', 'BroadcastChannel', 'Worker']);

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
    const file = scriptPath(m[2]);
    out.push({ fn: (m[1] ?? '').replace(/^async /, '') || '(anonymous)', file, line: Number(m[3]), column: Number(m[4]) });
  }
  return out;
}

const lines = new Map<string, string[] | null>();
/** A source file's lines, read only under source-files.ts's rules (the path comes from a snapshot: untrusted). */
function fileLines(file: string): string[] | null {
  if (!lines.has(file)) lines.set(file, readSourceFile(file).text?.split('\n') ?? null);
  return lines.get(file) ?? null;
}
function sourceLine(file: string, line: number): string | null {
  const l = fileLines(file)?.[line - 1];
  return l === undefined ? null : printable(l.trim().slice(0, 160));
}

/** The traced stacks of one holder, grouped by call site (the first frame), the busiest first. */
export function addedAt(
  o: { methods: string[]; calls: number; sampled: number; sites: Array<{ stack: string; samples: number }> },
  windowMs: number,
  mapper?: LocationMapper | null,
  /** the caller's own files (expectNoLeak's): the callers list stops at the first frame in one of them */
  ownFile?: (file: string) => boolean,
): AddedAt {
  const bySite = new Map<string, AddedSite>();
  const map = (f: Frame) =>
    mapper ? mapper.map({ file: f.file, line: f.line, column: f.column }) : { file: f.file, line: f.line, column: f.column };
  for (const s of o.sites) {
    const all = parseStack(s.stack);
    const own = ownFile ? all.findIndex((f) => ownFile(f.file)) : -1;
    const frames = own > 0 ? all.slice(0, own) : all;
    if (frames.length === 0) continue;
    // a call inside a dependency (a memoizer's cache.set) is placed at the program's own frame that called into it:
    // that is the line the user changes; the dependency's line is kept beside it
    const k = isDependencyPath(frames[0].file) ? frames.findIndex((f) => isProgramFile(f.file) && !isDependencyPath(f.file)) : 0;
    const top = frames[k < 0 ? 0 : k];
    const key = `${top.file}:${top.line}:${top.column}`;
    let site = bySite.get(key);
    if (!site) {
      const mapped = map(top);
      const dep = k > 0 ? map(frames[0]) : null;
      site = {
        file: mapped.file,
        line: mapped.line,
        column: mapped.column,
        function: top.fn,
        ...('compiled' in mapped && mapped.compiled ? { compiled: mapped.compiled as AddedSite['compiled'] } : {}),
        calls: 0,
        samples: 0,
        from: frames.slice((k < 0 ? 0 : k) + 1, (k < 0 ? 0 : k) + 4).map((f) => f.fn),
        text: sourceLine(mapped.file, mapped.line),
        ...(dep ? { via: viaOf(dep.file, dep.line, dep.column, frames[0].fn) } : {}),
      };
      bySite.set(key, site);
    }
    site.samples += s.samples;
  }
  const sites = [...bySite.values()].sort((a, b) => b.samples - a.samples);
  for (const s of sites) s.calls = o.sampled > 0 ? Math.round((o.calls * s.samples) / o.sampled) : 0;
  return {
    source: 'instrumentation',
    methods: o.methods,
    windowMs,
    calls: o.calls,
    sites,
    why: o.calls === 0 ? `no call to ${o.methods.join('/')} in ${Math.round(windowMs / 1000)} s` : null,
  };
}

/** No trace for this finding (why), but growing allocation sites from the sampling profiler: the busiest three. */
export function fromAllocationSites(methods: string[], why: string, sites: AllocationSite[], variable: string | null = null): AddedAt {
  // the program's own sites first: a site with no program frame on its stack (Node's async_hooks, timers
  // bookkeeping) is allocation noise the user cannot change, shown only when nothing else grew
  const grownAll = sites.filter((x) => x.deltaBytes > 0);
  const own = grownAll.filter((x) => isProgramFile(x.file));
  const grown = own.length ? own : grownAll;
  if (grown.length === 0) return notTraced(methods, why);
  return {
    source: 'allocation-sites',
    methods,
    windowMs: 0,
    calls: 0,
    sites: refineSites(
      grown.map((x) => ({
        file: x.file,
        line: x.line,
        column: x.column,
        function: x.functionName,
        ...(x.compiled ? { compiled: x.compiled } : {}),
        calls: 0,
        samples: 0,
        bytes: x.deltaBytes,
        from: x.stack.slice(0, 3).map((f) => f.split(' ')[0]),
        text: sourceLine(x.file, x.line),
      })),
      variable,
    ),
    why: `${why}; instead, the sampling profiler's allocation sites whose live memory grew most`,
  };
}

function isProgramFile(file: string): boolean {
  return file !== '' && !file.startsWith('node:') && !file.startsWith('internal/');
}

function isDependencyPath(file: string): boolean {
  return file.includes('/node_modules/') || file.includes('\\node_modules\\');
}

/** The dependency's own line a site went through: its package, where, the line's text. */
function viaOf(file: string, line: number, column: number, fn: string): NonNullable<AddedSite['via']> {
  const pkg = packageOf(file);
  return { file, line, column, function: fn, package: pkg ? packageText(pkg) : null, text: sourceLine(file, line) };
}

/** How far up the dominator tree a new object is looked at for the holder that keeps it. */
const MAX_HOLDER_DEPTH = 12;

/**
 * Offline (`diff`): when the last snapshot recorded allocation stacks, which code allocated the new objects each
 * holder keeps — per holder (a finding's representative node), the innermost frames that are the program's own code
 * (not node: internals), the busiest three, with how many new objects and bytes each allocated and its callers.
 * Null when the snapshot has no allocation stacks.
 */
export function fromAllocationTraces(
  last: HeapGraph,
  holders: ReadonlyArray<{ representative: number; methods: string[]; variable: string | null; sharded?: boolean }>,
  isNew: Uint8Array,
): Map<number, AddedAt> | null {
  const snap = last.snap;
  const traces = AllocationTraces.of(snap);
  if (!traces) return null;
  const idom = last.dominators.idom;
  const wanted = new Set(holders.map((h) => h.representative));
  const perHolder = new Map<number, Map<string, AddedSite>>();
  const siteOf = new Map<number, { key: string; fn: TraceFunction; from: string[]; outer: TraceFunction[] } | null>();
  for (let n = 0; n < isNew.length; n++) {
    if (isNew[n] !== 1) continue;
    const t = snap.traceNodeId(n);
    if (t === 0) continue;
    let holder = -1;
    for (let a = idom[n], k = 0; k < MAX_HOLDER_DEPTH && a !== snap.rootIndex; a = idom[a], k++) {
      if (wanted.has(a)) {
        holder = a;
        break;
      }
    }
    if (holder < 0) continue;
    if (!siteOf.has(t)) {
      const stack = traces.stack(t);
      const k = stack.findIndex((f) => f.file !== '' && !f.file.startsWith('node:') && f.line > 0);
      // the program's functions further out on the stack: the one that adds what was allocated is often a caller
      // (getPriceList calls `new PriceList()`, then `cache.set(key, list)`)
      const outer =
        k < 0
          ? []
          : stack
              .slice(k + 1)
              .filter((f) => f.file !== '' && !f.file.startsWith('node:') && f.line > 0)
              .slice(0, MAX_OUTER_FRAMES);
      siteOf.set(
        t,
        k < 0
          ? null
          : {
              key: `${stack[k].file}:${stack[k].line}:${stack[k].column}:${stack[k].name}`,
              fn: stack[k],
              from: stack.slice(k + 1, k + 4).map((f) => f.name),
              outer,
            },
      );
    }
    const site = siteOf.get(t);
    if (!site) continue;
    let sites = perHolder.get(holder);
    if (!sites) perHolder.set(holder, (sites = new Map()));
    let s = sites.get(site.key);
    if (!s) {
      const at = snap.mapLocation({ file: site.fn.file, line: site.fn.line, column: site.fn.column, scriptId: -1 });
      const outer = site.outer.map((f) => {
        const o = snap.mapLocation({ file: f.file, line: f.line, column: f.column, scriptId: -1 });
        return { file: o.file, line: o.line, function: f.name };
      });
      s = {
        file: at.file,
        line: at.line,
        column: at.column,
        function: site.fn.name,
        ...(at.compiled ? { compiled: at.compiled } : {}),
        calls: 0,
        samples: 0,
        bytes: 0,
        from: site.from,
        text: sourceLine(at.file, at.line),
        outer,
      };
      sites.set(site.key, s);
    }
    s.samples++;
    s.bytes = (s.bytes ?? 0) + snap.selfSize(n);
  }
  const out = new Map<number, AddedAt>();
  for (const h of holders) {
    const sites = refineSites(
      [...(perHolder.get(h.representative)?.values() ?? [])].sort((a, b) => b.samples - a.samples).slice(0, 20),
      h.variable,
      3,
      h.sharded === true,
    );
    out.set(
      h.representative,
      sites.length === 0
        ? notTraced(
            h.methods,
            'the snapshot recorded allocation stacks, but none of the new objects this holder keeps was allocated by the program’s own code',
          )
        : {
            source: 'allocation-tracking',
            methods: h.methods,
            windowMs: 0,
            calls: 0,
            sites,
            why: 'offline: the allocation stacks recorded in the snapshot (--track-heap-objects) — the function that allocated the new objects, at the line where it is declared',
          },
    );
  }
  return out;
}

/** The variable or property that holds a finding's holder: the last step of its path ("pending (Map)" -> pending). */
export function holderVariable(f: Pick<Finding, 'name' | 'retainerPath'>): string | null {
  const m = /^([A-Za-z_$][\w$]*)\b/.exec(f.retainerPath.at(-1) ?? '') ?? /^([A-Za-z_$][\w$]*)$/.exec(f.name);
  return m && !['module', 'system', 'Node', 'internal'].includes(m[1]) ? m[1] : null;
}

/** How far a function's body is read for the line that adds to the holder. */
const MAX_BODY_LINES = 300;

/**
 * The line in the function declared at `file:line` that adds to `variable`: `variable.set(`, `this.variable.push(`,
 * `variable[key] =`, `variable.on(` … (the function's body is read until its braces balance). Null when there is
 * none, or the file is not readable here.
 */
export function addingLineIn(file: string, line: number, variable: string): { line: number; column: number; text: string } | null {
  const text = fileLines(file);
  if (!text) return null;
  const v = variable.replace(/[$]/g, '\\$&');
  const adds = new RegExp(
    `(?:^|[^\\w$])${v}\\s*(?:\\.\\s*(?:set|add|push|unshift|splice|on|once|addListener|prependListener|addEventListener)\\s*\\(|\\[[^\\]]*\\]\\s*=(?!=))`,
  );
  let balance = 0;
  let opened = false;
  for (let i = line - 1; i >= 0 && i < text.length && i < line - 1 + MAX_BODY_LINES; i++) {
    const code = text[i].replace(/\/\/.*$/, '');
    const m = adds.exec(code);
    if (m) {
      const column = code.indexOf(variable, m.index) + 1;
      return { line: i + 1, column, text: printable(text[i].trim().slice(0, 160)) };
    }
    const opens = code.match(/{/g)?.length ?? 0;
    balance += opens - (code.match(/}/g)?.length ?? 0);
    if (opens > 0) opened = true;
    if ((opened && balance <= 0) || (!opened && i > line - 1 + 2)) break;
  }
  return null;
}

/**
 * Allocation sites name functions; where one of them (in order) contains the line that adds to the holder, that
 * line is put first (`declaredAt` keeps the function's line).
 */
/**
 * The sites, the one whose function adds to the holder by name first (its line found in the body), then the rest
 * by growth; at most `keep`. Every site is read, not only the busiest: under light load the adding function can
 * rank below a few sites of unrelated churn.
 */
function refineSites(sites: AddedSite[], variable: string | null, keep = 3, sharded = false): AddedSite[] {
  // the holder's variable in the allocating function or one of its callers; else, in the same functions, a call
  // that adds the object a line creates (`list = new PriceList(…)` … `cache.set(key, list)`). A sharded holder's
  // entries are added to its inner collections, which have variables of their own: the one the function puts into
  // the holder (`pricesByTenant.set(tenant, prices)` … `prices.set(sku, quote)`), else what adds a created object
  const searches: Array<(file: string, line: number) => { line: number; column: number; text: string } | null> = [];
  if (sharded && variable) searches.push((file, line) => shardAddingLineIn(file, line, variable), addingOfCreatedIn);
  if (variable) searches.push((file, line) => addingLineIn(file, line, variable));
  if (!sharded) searches.push(addingOfCreatedIn);
  for (const search of searches) {
    for (let k = 0; k < sites.length; k++) {
      const s = sites[k];
      const fns = [{ file: s.file, line: s.line, function: s.function }, ...(s.outer ?? [])];
      for (const [j, fn] of fns.entries()) {
        const found = search(fn.file, fn.line);
        if (!found) continue;
        const { outer: _outer, ...site } = s;
        // a caller of the allocating function adds: its own callers are the stack from there on
        const from = j === 0 ? site.from : fns.slice(j + 1, j + 4).map((f) => f.function);
        const refined: AddedSite = {
          ...site,
          file: fn.file,
          function: fn.function,
          from,
          declaredAt: fn.line,
          line: found.line,
          column: found.column,
          text: found.text,
        };
        return [refined, ...sites.filter((_, j) => j !== k).map(withoutOuter)].slice(0, keep);
      }
    }
  }
  return sites.slice(0, keep).map(withoutOuter);
}

function withoutOuter(s: AddedSite): AddedSite {
  const { outer: _outer, ...rest } = s;
  return rest;
}

/**
 * In the function declared at `file:line`, which puts an inner collection into `holder` (`holder.set(k, inner)`,
 * `holder[k] = inner`): the line that adds to that inner collection (`inner.set(…)`, `inner.push(…)`).
 */
export function shardAddingLineIn(file: string, line: number, holder: string): { line: number; column: number; text: string } | null {
  const text = fileLines(file);
  if (!text) return null;
  const h = holder.replace(/[$]/g, '\\$&');
  const puts = new RegExp(
    `(?:^|[^\\w$])${h}\\s*(?:\\.\\s*(?:set|add|push)\\s*\\((?:[^,()]*,\\s*)?([A-Za-z_$][\\w$]*)\\s*\\)|\\[[^\\]]*\\]\\s*=\\s*([A-Za-z_$][\\w$]*)\\s*;?\\s*$)`,
  );
  let balance = 0;
  let opened = false;
  for (let i = line - 1; i >= 0 && i < text.length && i < line - 1 + MAX_BODY_LINES; i++) {
    const code = text[i].replace(/\/\/.*$/, '');
    const m = puts.exec(code);
    const inner = m?.[1] ?? m?.[2];
    if (inner && inner !== holder) return addingLineIn(file, line, inner);
    const opens = code.match(/{/g)?.length ?? 0;
    balance += opens - (code.match(/}/g)?.length ?? 0);
    if (opens > 0) opened = true;
    if ((opened && balance <= 0) || (!opened && i > line - 1 + 2)) break;
  }
  return null;
}

/** How many of the program's callers of an allocating function are read for the line that adds. */
const MAX_OUTER_FRAMES = 4;

/**
 * In the function declared at `file:line`: a line that creates an object into a variable (`list = new X(…)`,
 * `const s = createSession(…)`), then a later line that adds that variable to a collection (`cache.set(key, list)`,
 * `queue.push(s)`, `registry[id] = s`). Null when the body has no such pair.
 */
export function addingOfCreatedIn(file: string, line: number): { line: number; column: number; text: string } | null {
  const text = fileLines(file);
  if (!text) return null;
  const created = /(?:^|[^\w$.])([A-Za-z_$][\w$]*)\s*=\s*(?:await\s+)?(?:new\s+[\w$.]+|[\w$.]+)\s*\(/;
  const vars: string[] = [];
  let balance = 0;
  let opened = false;
  for (let i = line - 1; i >= 0 && i < text.length && i < line - 1 + MAX_BODY_LINES; i++) {
    const code = text[i].replace(/\/\/.*$/, '');
    for (const v of vars) {
      const e = v.replace(/[$]/g, '\\$&');
      const adds = new RegExp(
        `([A-Za-z_$][\\w$.]*)\\s*\\.\\s*(?:set|add|push|unshift|on|addListener|addEventListener)\\s*\\([^;]*\\b${e}\\b|([A-Za-z_$][\\w$.]*)\\s*\\[[^\\]]*\\]\\s*=\\s*${e}\\b`,
      );
      const m = adds.exec(code);
      if (m)
        return {
          line: i + 1,
          column: m.index + 1 + (m[0].length - m[0].trimStart().length),
          text: printable(text[i].trim().slice(0, 160)),
        };
    }
    const c = created.exec(code);
    if (c && i > line - 1) vars.push(c[1]);
    const opens = code.match(/{/g)?.length ?? 0;
    balance += opens - (code.match(/}/g)?.length ?? 0);
    if (opens > 0) opened = true;
    if ((opened && balance <= 0) || (!opened && i > line - 1 + 2)) break;
  }
  return null;
}

/** A finding with no trace: why. */
export function notTraced(methods: string[], why: string): AddedAt {
  return { source: 'none', methods, windowMs: 0, calls: 0, sites: [], why };
}

/** What the growth trace did to the target: per holder, and one line saying it was undone. */
export interface GrowthTraceReport {
  windowMs: number;
  holders: Array<{
    name: string;
    holderClass: string;
    kind: Finding['kind'];
    methods: string[];
    installed: boolean;
    traced: boolean;
    calls: number;
    restored: boolean;
    why: string | null;
  }>;
  /** every wrapper installed was removed before detaching */
  undone: boolean;
  /** one line: what was done to the target, and that it was undone */
  text: string;
}

export function traceReport(windowMs: number, holders: GrowthTraceReport['holders']): GrowthTraceReport {
  const installed = holders.filter((h) => h.installed);
  const undone = installed.every((h) => h.restored);
  const what = holders
    .map(
      (h) =>
        `${h.name} (${h.holderClass}${h.methods.length ? `.${h.methods.join('/')}` : ''}${h.traced ? `: ${formatCount(h.calls)} calls` : `: not traced, ${h.why}`})`,
    )
    .join('; ');
  const tail =
    installed.length === 0
      ? 'nothing was installed'
      : undone
        ? 'the wrappers were on those instances only, and are removed'
        : 'some wrappers could not be removed now: they remove themselves 5 s after the window';
  const head = installed.length === 0 ? 'growth trace' : `growth trace for ${Math.round(windowMs / 1000)} s`;
  return { windowMs, holders, undone, text: `${head}: ${what}; ${tail}` };
}
