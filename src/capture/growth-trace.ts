/**
 * Which line adds the entries: for a short window, the methods that add to a flagged holder — that one instance,
 * never its prototype — are wrapped in the target, and the wrappers count calls per caller stack (fuite's idea, for
 * a live Node process over the inspector).
 *
 *   resolve   HeapProfiler.getObjectByHeapObjectId(the holder's id in the last snapshot) -> a handle;
 *   install   Runtime.callFunctionOn(INSTALL) on it: own, non-enumerable properties that shadow `set`/`add`/`push`/…
 *             with a wrapper that counts every call and captures a caller stack for the first calls, then at most one
 *             every GAP_MS (at most MAX_STACKS distinct stacks), so the cost is bounded whatever the call rate;
 *   collect   Runtime.callFunctionOn(COLLECT): the counts, and the wrappers removed (the own properties deleted or put
 *             back as they were);
 *   never left behind: each wrapper removes itself on the first call after its deadline (the window + a grace), and
 *             an unref'd timer in the target removes it then even if nothing calls it and leakscope is gone.
 *
 * This module only talks to the target; which holders to trace and what the stacks mean is decided elsewhere.
 */
import type { Channel } from './channel.js';

/** What the trace needs of a session: a channel to the isolate (a CDP session, or node:inspector in-process). */
export interface TraceSession {
  channel: Pick<Channel, 'send'>;
}

/** What to wrap on one holder. */
export interface TraceRequest {
  /** the holder's heap object id in the last snapshot */
  nodeId: number;
  /** methods that add to it: ['set'] for a Map, ['push', 'unshift', 'splice'] for an array, … */
  methods: string[];
}

export interface TraceSite {
  /** the caller stack (the wrapper's own frame excluded), as V8 prints it */
  stack: string;
  /** calls sampled with this stack */
  samples: number;
}

export interface TraceOutcome {
  nodeId: number;
  methods: string[];
  /** the wrappers were put on the instance */
  installed: boolean;
  /** installed, and collected (wrappers removed) */
  traced: boolean;
  /** why not, when not traced: the holder is gone, frozen, the session failed */
  why: string | null;
  calls: number;
  sampled: number;
  sites: TraceSite[];
  /** the wrappers were removed by the collect call (false: left to their own deadline) */
  restored: boolean;
}

/** A symbol the target's wrappers are kept under (Symbol.for, so that the collect call finds it). */
export const TRACE_KEY = 'leakscope.growth-trace';
const OBJECT_GROUP = 'leakscope-growth-trace';
/** the target removes its wrappers by itself this long after the window */
const SELF_REMOVE_GRACE_MS = 5_000;

// Runs in the target, with `this` the holder. Plain JavaScript (ES2019), no closures over leakscope.
const INSTALL = `function (methods, windowMs, graceMs, keyName) {
  const target = this;
  const key = Symbol.for(keyName);
  if (Object.prototype.hasOwnProperty.call(target, key)) return 'already traced';
  if (!Object.isExtensible(target)) return 'the object is frozen or not extensible';
  // a stack costs tens of microseconds: the first FIRST calls, then at most one every GAP_MS (a time sample, so the
  // cost is bounded whatever the call rate)
  const FIRST = 50, GAP_MS = 10, MAX_STACKS = 200, FRAMES = 10;
  const state = { calls: 0, sampled: 0, last: 0, stacks: new Map(), restored: false };
  const saved = [];
  // the collect call normally comes at the end of the window; the deadline (window + grace) is the safety net
  const deadline = Date.now() + windowMs + graceMs;
  let timer = null;
  const restore = () => {
    if (state.restored) return;
    state.restored = true;
    for (const [m, d] of saved) {
      if (d) Object.defineProperty(target, m, d); else delete target[m];
    }
    delete target[key];
    if (timer) clearTimeout(timer);
  };
  for (const m of methods) {
    const original = target[m];
    if (typeof original !== 'function') continue;
    saved.push([m, Object.getOwnPropertyDescriptor(target, m)]);
    const wrapper = function (...args) {
      const now = Date.now();
      if (state.restored || now > deadline) {
        restore();
        return Reflect.apply(original, this, args);
      }
      state.calls++;
      if (state.sampled < FIRST || now - state.last >= GAP_MS) {
        state.last = now;
        const at = {};
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = FRAMES;
        Error.captureStackTrace(at, wrapper);
        Error.stackTraceLimit = limit;
        const s = String(at.stack);
        const n = state.stacks.get(s);
        if (n !== undefined) state.stacks.set(s, n + 1);
        else if (state.stacks.size < MAX_STACKS) state.stacks.set(s, 1);
        state.sampled++;
      }
      return Reflect.apply(original, this, args);
    };
    Object.defineProperty(target, m, { value: wrapper, writable: true, configurable: true, enumerable: false });
  }
  if (saved.length === 0) return 'no method to wrap';
  Object.defineProperty(target, key, { value: { state, restore }, configurable: true, enumerable: false });
  timer = setTimeout(restore, windowMs + graceMs + 100);
  if (timer && typeof timer.unref === 'function') timer.unref();
  return 'ok';
}`;

const COLLECT = `function (keyName) {
  const key = Symbol.for(keyName);
  const t = this[key];
  if (!t) return null;
  const out = { calls: t.state.calls, sampled: t.state.sampled, stacks: Array.from(t.state.stacks) };
  t.restore();
  return out;
}`;

async function handleOf(session: TraceSession, nodeId: number): Promise<string | null> {
  try {
    const r = (await session.channel.send('HeapProfiler.getObjectByHeapObjectId', {
      objectId: String(nodeId),
      objectGroup: OBJECT_GROUP,
    })) as { result?: { objectId?: string } };
    return r.result?.objectId ?? null;
  } catch {
    return null;
  }
}

async function call<T>(session: TraceSession, objectId: string, fn: string, args: unknown[]): Promise<T> {
  const r = (await session.channel.send('Runtime.callFunctionOn', {
    objectId,
    functionDeclaration: fn,
    arguments: args.map((value) => ({ value })),
    returnByValue: true,
    silent: true,
  })) as {
    result?: { value?: unknown };
    exceptionDetails?: { text?: string; exception?: { description?: string } };
  };
  if (r.exceptionDetails)
    throw new Error(r.exceptionDetails.exception?.description?.split('\n')[0] ?? r.exceptionDetails.text ?? 'failed in the target');
  return r.result?.value as T;
}

/** The wrappers put on, by request: the handles to collect them through (an in-process caller runs its own window). */
export interface InstalledTrace {
  outcomes: TraceOutcome[];
  handles: Map<number, string>;
}

/** Wraps the adding methods of each requested holder; they remove themselves `windowMs` + a grace later. */
export async function installTrace(
  session: TraceSession,
  requests: TraceRequest[],
  windowMs: number,
  signal?: AbortSignal,
): Promise<InstalledTrace> {
  const outcomes: TraceOutcome[] = requests.map((r) => ({
    nodeId: r.nodeId,
    methods: r.methods,
    installed: false,
    traced: false,
    why: null,
    calls: 0,
    sampled: 0,
    sites: [],
    restored: false,
  }));
  const handles = new Map<number, string>();
  for (const [k, r] of requests.entries()) {
    if (signal?.aborted) break;
    const handle = await handleOf(session, r.nodeId);
    if (!handle) {
      outcomes[k].why = 'the holder is gone from the heap (or its id is no longer known)';
      continue;
    }
    try {
      const status = await call<string>(session, handle, INSTALL, [r.methods, windowMs, SELF_REMOVE_GRACE_MS, TRACE_KEY]);
      if (status === 'ok') {
        handles.set(k, handle);
        outcomes[k].installed = true;
      } else outcomes[k].why = status;
    } catch (err) {
      outcomes[k].why = `could not wrap it: ${(err as Error).message}`;
    }
  }
  return { outcomes, handles };
}

/** Collects the stacks and removes the wrappers (never throws: what failed is said in each outcome). */
export async function collectTrace(session: TraceSession, t: InstalledTrace): Promise<TraceOutcome[]> {
  const out = t.outcomes;
  for (const [k, handle] of t.handles) {
    try {
      const got = await call<{ calls: number; sampled: number; stacks: Array<[string, number]> } | null>(session, handle, COLLECT, [
        TRACE_KEY,
      ]);
      out[k].restored = true;
      out[k].traced = got !== null;
      if (got) {
        out[k].calls = got.calls;
        out[k].sampled = got.sampled;
        out[k].sites = got.stacks.map(([stack, samples]) => ({ stack, samples })).sort((a, b) => b.samples - a.samples);
      } else {
        out[k].why = 'the wrappers had already removed themselves';
      }
    } catch (err) {
      out[k].why =
        `could not collect (the wrappers remove themselves ${Math.round(SELF_REMOVE_GRACE_MS / 1000)} s after the window): ${(err as Error).message}`;
    }
  }
  await session.channel.send('Runtime.releaseObjectGroup', { objectGroup: OBJECT_GROUP }).catch(() => {});
  return out;
}

/**
 * Wraps the adding methods of each requested holder for `windowMs`, then collects the stacks and removes the
 * wrappers. An abort (Ctrl-C) ends the window early; the wrappers are removed all the same. Holders that cannot be
 * traced say why.
 */
export async function traceGrowth(
  session: TraceSession,
  requests: TraceRequest[],
  windowMs: number,
  signal: AbortSignal,
  installed?: (ms: number) => void,
): Promise<TraceOutcome[]> {
  const t0 = Date.now();
  let t: InstalledTrace = { outcomes: [], handles: new Map() };
  try {
    t = await installTrace(session, requests, windowMs, signal);
    // finding an object by its heap id walks the heap once (a pause like a GC's, on a 300 MB heap about a second)
    installed?.(Date.now() - t0);
    if (t.handles.size > 0 && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, windowMs);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  } finally {
    // collect even after an abort: the wrappers go now, not at their deadline
    await collectTrace(session, t);
  }
  return t.outcomes.length
    ? t.outcomes
    : requests.map((r) => ({
        nodeId: r.nodeId,
        methods: r.methods,
        installed: false,
        traced: false,
        why: 'not installed',
        calls: 0,
        sampled: 0,
        sites: [],
        restored: false,
      }));
}

/** The outcomes of one finding's traced instances (a sharded holder's inner collections) as one. */
export function combineOutcomes(list: TraceOutcome[]): TraceOutcome {
  if (list.length === 1) return list[0];
  const traced = list.filter((o) => o.traced);
  const stacks = new Map<string, number>();
  for (const o of traced) for (const s of o.sites) stacks.set(s.stack, (stacks.get(s.stack) ?? 0) + s.samples);
  return {
    nodeId: list[0].nodeId,
    methods: list[0].methods,
    installed: list.some((o) => o.installed),
    traced: traced.length > 0,
    why: traced.length > 0 ? null : (list.find((o) => o.why)?.why ?? null),
    calls: traced.reduce((a, o) => a + o.calls, 0),
    sampled: traced.reduce((a, o) => a + o.sampled, 0),
    sites: [...stacks].map(([stack, samples]) => ({ stack, samples })).sort((a, b) => b.samples - a.samples),
    restored: list.every((o) => !o.installed || o.restored),
  };
}
