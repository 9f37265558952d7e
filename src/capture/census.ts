/**
 * A census of the collections that grow, without a heap snapshot (`attach --no-snapshot`).
 *
 * A heap snapshot pauses the target about a second per 11 MB of heap and needs about the heap's size again in
 * native memory; `Runtime.queryObjects` (which finds every Map) costs a full GC and a walk of the heap at every
 * call (3 s on a 180 MB heap here). Neither fits a 2 GB production heap. A leaking collection, though, is one that
 * keeps being added to — so the census watches the adding calls instead of walking the heap:
 *
 *   install  wrappers on the shared adding methods — Map.prototype.set, Set.prototype.add, Array.prototype.push and
 *            unshift, EventEmitter's on/addListener/prependListener, EventTarget's addEventListener, setInterval —
 *            that call the original and, for a random sample of the calls (one in 16 for Map and Set, 64 for
 *            arrays, 4 for listeners), look at the receiver: a collection that already holds a few entries is remembered through a WeakRef (never a
 *            strong reference: leakscope keeps nothing alive) with a few caller stacks (the line that adds);
 *            every setInterval is counted by caller, its timers followed through WeakRefs;
 *   read     each round, the size of every remembered collection still alive, the listeners per event, the timers
 *            not cleared — small values only, no heap walk (a read of 1000 collections takes about a millisecond);
 *   remove   the originals put back (a wrapper some other code wrapped again is left as a pass-through that does
 *            nothing but call the original), the WeakRefs dropped.
 *
 * Never left behind: the wrappers hold a lease that each read renews; when it runs out (leakscope died, or was cut
 * off for longer than two rounds and a grace) an unref'd timer in the target removes them by itself.
 *
 * This module only talks to the target; which collections leak is judged in analysis/series/census.ts.
 */
import type { CensusRead } from '../formats/census.js';
import type { InspectorSession } from './session.js';

export type { CensusEntry, CensusRead, CensusTimers } from '../formats/census.js';

/** The key the target keeps the census under (Symbol.for, so a later read or remove finds it). */
export const CENSUS_KEY = 'leakscope.census';

export interface CensusInstall {
  /** the methods wrapped ("Map.prototype.set") */
  wrapped: string[];
  /** the ones that could not be (frozen intrinsics, say), with why */
  skipped: string[];
}

export interface CensusRemoval {
  restored: number;
  /** wrappers that other code had wrapped again: left as pass-throughs */
  passThrough: number;
}

/** Node's internal field names the census reads (they live in analysis/heap/v8.ts, passed in by the workflow). */
export interface CensusNames {
  /** a Timeout's "cleared" flag (lib/internal/timers.js) */
  timerCleared: string;
}

/**
 * The target's side: one expression for Runtime.evaluate with the command line API (its `require`). Plain
 * JavaScript; it closes over nothing of leakscope's. `leaseMs`: how long the wrappers stay without a read.
 */
export function installScript(leaseMs: number, names: CensusNames): string {
  return `((events, timers) => {
  const key = Symbol.for(${JSON.stringify(CENSUS_KEY)});
  if (globalThis[key]) { globalThis[key].renew(${leaseMs}); return { wrapped: globalThis[key].wrapped, skipped: [], again: true }; }
  const MIN = 32, MIN_KEYED = 8, MIN_LISTENERS = 8, MAX_TRACKED = 1000, MAX_STACKS = 8, FIRST_STACKS = 12, STACK_GAP_MS = 200, FRAMES = 8;
  const MAX_TIMER_SITES = 200, MAX_TIMER_REFS = 2000, MAX_TIMER_STACKS_PER_S = 500;
  const st = { off: false, deadline: Date.now() + ${leaseMs}, timer: null, nextId: 1, full: false, collected: 0, timerStacks: 0, timerSecond: 0 };
  // the census's own bookkeeping never goes through its wrappers (it would count, or follow, itself)
  const mapSet = Map.prototype.set;
  const put = (m, k, v) => mapSet.call(m, k, v);
  const append = (a, v) => { a[a.length] = v; };
  const byReceiver = new WeakMap();
  const tracked = [];
  const timerSites = new Map();
  const patched = [];
  const wrapped = [], skipped = [];
  const stackOf = (fn) => {
    const at = {};
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = FRAMES;
    Error.captureStackTrace(at, fn);
    Error.stackTraceLimit = limit;
    return String(at.stack);
  };
  const sizeOf = (kind, o, event) => {
    if (kind === 'Map' || kind === 'Set') return o.size;
    if (kind === 'Array') return o.length;
    if (kind === 'listener') return o.listenerCount(event);
    return events.getEventListeners(o, event).length;
  };
  const labelOf = (o) => { try { const c = o.constructor; return c && typeof c.name === 'string' && c.name ? c.name : 'Object'; } catch { return 'Object'; } };
  const note = (o, kind, event, every, fn) => {
    if (st.off) return;
    if (Date.now() > st.deadline) { remove(); return; }
    let size;
    try { size = sizeOf(kind, o, event); } catch { return; }
    if (!(size >= (kind === 'listener' || kind === 'event-target' ? MIN_LISTENERS : kind === 'Array' ? MIN : MIN_KEYED))) return;
    let rec = byReceiver.get(o);
    if (rec !== undefined && event !== undefined) rec = rec.get(event);
    if (rec === undefined) {
      if (tracked.length >= MAX_TRACKED) {
        // full: the collected ones make room (short-lived collections that were big once); when none was, no more
        // room is looked for until the next read (a scan per call would cost the target)
        if (st.full) return;
        let j = 0;
        for (const r of tracked) if (r.ref.deref() !== undefined) tracked[j++] = r; else st.collected++;
        tracked.length = j;
        if (j >= MAX_TRACKED) { st.full = true; return; }
      }
      rec = { id: st.nextId++, kind, label: labelOf(o), event, every, sampled: 0, stacks: new Map(), last: 0, taken: 0, seen: false, ref: new WeakRef(o) };
      if (event !== undefined) {
        let m = byReceiver.get(o);
        if (m === undefined) { m = new Map(); byReceiver.set(o, m); }
        put(m, event, rec);
      } else byReceiver.set(o, rec);
      append(tracked, rec);
    }
    rec.sampled++;
    // a stack costs tens of microseconds: only for a collection that was still alive at a read (a request's own
    // big array dies before one, and costs no stack), the first few, then one every STACK_GAP_MS
    if (!rec.seen) return;
    const now = Date.now();
    if (rec.taken < FIRST_STACKS || now - rec.last >= STACK_GAP_MS) {
      rec.last = now;
      rec.taken++;
      const s = stackOf(fn);
      const n = rec.stacks.get(s);
      if (n !== undefined) put(rec.stacks, s, n + 1);
      else if (rec.stacks.size < MAX_STACKS) put(rec.stacks, s, 1);
    }
  };
  // one wrapper per original (EventEmitter's on and addListener are one function, and stay one), with its name,
  // length and own symbols (util.promisify.custom) as the original has them
  const made = new Map();
  const patch = (owner, name, prop, make) => {
    try {
      const d = Object.getOwnPropertyDescriptor(owner, prop);
      if (!d || typeof d.value !== 'function') { append(skipped, name + ': not a method here'); return; }
      let w = made.get(d.value);
      if (w === undefined) {
        w = make(d.value);
        for (const k of ['name', 'length', ...Object.getOwnPropertySymbols(d.value)]) {
          const pd = Object.getOwnPropertyDescriptor(d.value, k);
          if (pd) Object.defineProperty(w, k, pd);
        }
        put(made, d.value, w);
      }
      Object.defineProperty(owner, prop, { ...d, value: w });
      if (owner[prop] !== w) { append(skipped, name + ': could not be replaced'); return; }
      append(patched, { owner, prop, d, w });
      append(wrapped, name);
    } catch (e) { append(skipped, name + ': ' + String(e && e.message || e)); }
  };
  // which calls are looked at is random (xorshift32, a few integer operations), never every n-th: a program that
  // makes the same calls in the same order per request would otherwise always, or never, show the one that leaks
  let seed = (Date.now() ^ 0x9e3779b9) | 1;
  const nextSeed = () => { seed = (seed * 1103515245 + 12345) | 0; return seed | 1; };
  // the collections: one call in 64 looked at, the rest go straight to the original
  const collection = (kind, mask) => (orig) => {
    let x = nextSeed();
    const w = function (a, b) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      if ((x & mask) === 0) note(this, kind, undefined, mask + 1, w);
      return arguments.length === 2 ? orig.call(this, a, b) : arguments.length === 1 ? orig.call(this, a) : Reflect.apply(orig, this, arguments);
    };
    return w;
  };
  // a Map or a Set is set far less often than an array is pushed to: one call in 16 (a sharded cache's small
  // per-tenant Maps are seen from 8 entries on)
  patch(Map.prototype, 'Map.prototype.set', 'set', collection('Map', 15));
  patch(Set.prototype, 'Set.prototype.add', 'add', collection('Set', 15));
  patch(Array.prototype, 'Array.prototype.push', 'push', collection('Array', 63));
  patch(Array.prototype, 'Array.prototype.unshift', 'unshift', collection('Array', 63));
  // listeners: one call in 4, per event
  const listener = (kind) => (orig) => {
    let x = nextSeed();
    const w = function (event, fn) {
      const r = Reflect.apply(orig, this, arguments);
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      if ((x & 3) === 0 && (typeof event === 'string' || typeof event === 'symbol')) note(this, kind, event, 4, w);
      return r;
    };
    return w;
  };
  const EE = events.EventEmitter.prototype;
  for (const m of ['on', 'addListener', 'prependListener']) patch(EE, 'EventEmitter.prototype.' + m, m, listener('listener'));
  if (typeof EventTarget === 'function') patch(EventTarget.prototype, 'EventTarget.prototype.addEventListener', 'addEventListener', listener('event-target'));
  // setInterval: every call counted by its caller stack (at most MAX_TIMER_STACKS_PER_S stacks a second)
  const interval = (orig) => {
    const w = function setInterval() {
      const t = Reflect.apply(orig, this, arguments);
      if (st.off) return t;
      if (Date.now() > st.deadline) { remove(); return t; }
      const sec = Math.floor(Date.now() / 1000);
      if (sec !== st.timerSecond) { st.timerSecond = sec; st.timerStacks = 0; }
      if (++st.timerStacks > MAX_TIMER_STACKS_PER_S) return t;
      const s = stackOf(w);
      let site = timerSites.get(s);
      if (site === undefined) {
        if (timerSites.size >= MAX_TIMER_SITES) return t;
        site = { created: 0, refs: [] };
        put(timerSites, s, site);
      }
      site.created++;
      if (site.refs.length < MAX_TIMER_REFS && t && typeof t === 'object') append(site.refs, new WeakRef(t));
      return t;
    };
    return w;
  };
  patch(globalThis, 'setInterval', 'setInterval', interval);
  if (timers.setInterval !== globalThis.setInterval) patch(timers, 'timers.setInterval', 'setInterval', interval);
  const remove = () => {
    if (st.off) return { restored: 0, passThrough: 0 };
    st.off = true;
    let restored = 0, passThrough = 0;
    for (const p of patched) {
      try {
        if (p.owner[p.prop] === p.w) { Object.defineProperty(p.owner, p.prop, p.d); restored++; }
        else passThrough++;
      } catch { passThrough++; }
    }
    tracked.length = 0;
    timerSites.clear();
    if (st.timer) clearTimeout(st.timer);
    try { delete globalThis[key]; } catch {}
    return { restored, passThrough };
  };
  const watchLease = () => {
    st.timer = setTimeout(() => { if (Date.now() > st.deadline) remove(); else watchLease(); }, Math.max(100, st.deadline - Date.now() + 50));
    if (st.timer && st.timer.unref) st.timer.unref();
  };
  const renew = (ms) => { st.deadline = Date.now() + ms; };
  const read = (ms) => {
    renew(ms);
    const entries = [];
    const keep = [];
    for (const rec of tracked) {
      const o = rec.ref.deref();
      if (o === undefined) { st.collected++; continue; }
      append(keep, rec);
      rec.seen = true;
      let size;
      try { size = sizeOf(rec.kind, o, rec.event); } catch { size = -1; }
      const stacks = Array.from(rec.stacks).sort((x, y) => y[1] - x[1]).slice(0, 4);
      append(entries, { id: rec.id, kind: rec.kind, label: rec.label, event: rec.event === undefined ? undefined : String(rec.event), size, sampled: rec.sampled, every: rec.every, stacks });
    }
    tracked.length = 0;
    for (const r of keep) append(tracked, r);
    const timerOut = [];
    for (const [stack, site] of timerSites) {
      let alive = 0;
      for (const r of site.refs) { const t = r.deref(); if (t !== undefined && !t[${JSON.stringify(names.timerCleared)}]) alive++; }
      append(timerOut, { stack, created: site.created, alive, followed: site.refs.length });
    }
    const out = { now: Date.now(), entries, timers: timerOut, collected: st.collected, full: st.full };
    st.collected = 0;
    st.full = tracked.length >= MAX_TRACKED;
    return out;
  };
  Object.defineProperty(globalThis, key, { value: { read, remove, renew, wrapped }, configurable: true, enumerable: false });
  watchLease();
  return { wrapped, skipped };
})(require('node:events'), require('node:timers'))`;
}

function readScript(leaseMs: number): string {
  return `(() => { const c = globalThis[Symbol.for(${JSON.stringify(CENSUS_KEY)})]; return c ? c.read(${leaseMs}) : null; })()`;
}

const REMOVE = `(() => { const c = globalThis[Symbol.for(${JSON.stringify(CENSUS_KEY)})]; return c ? c.remove() : { restored: 0, passThrough: 0 }; })()`;

/** Installs the census wrappers in the target (main thread), for `leaseMs` unless read again. */
export async function installCensus(session: InspectorSession, leaseMs: number, names: CensusNames): Promise<CensusInstall> {
  return session.evaluateInTarget<CensusInstall>(installScript(leaseMs, names));
}

/** One round's read; renews the lease. Null when the census is gone (its lease ran out). */
export async function readCensus(session: InspectorSession, leaseMs: number): Promise<CensusRead | null> {
  return session.evaluateInTarget<CensusRead | null>(readScript(leaseMs));
}

/** Puts the originals back. */
export async function removeCensus(session: InspectorSession): Promise<CensusRemoval> {
  return session.evaluateInTarget<CensusRemoval>(REMOVE);
}
