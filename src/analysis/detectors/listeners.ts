/**
 * Listener build-up: an event source whose listener count for one event rises at every snapshot, grouped by
 * source, event and listener function location. Two kinds of source:
 *   - an EventEmitter (`_events[type]`: an array of functions once there are two);
 *   - an EventTarget — AbortSignal, MessagePort, BroadcastChannel, any `new EventTarget()` — whose listeners are a
 *     linked list per type (v8.eventTargetListeners).
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import { shortLocation, where } from '../../common/format.js';
import { NAMES } from '../heap/v8.js';
import { describeNode } from '../places/describe.js';
import { growthFinding, idKeyedSample, risingKeys, type Detector, type DetectorFinding, type JudgeContext } from './types.js';

const MIN_LISTENERS = 2;

interface ListenerList {
  source: number;
  /** 'emitter': EventEmitter; 'target': EventTarget */
  sourceKind: 'emitter' | 'target';
  event: string;
  /** the listener functions (an EventTarget's: -1 for a weak listener whose function is gone) */
  functions: number[];
  /** the node that holds the whole list (an emitter's listener array, a target's list root) */
  list: number;
  /** the Listener objects of an EventTarget ([] for an emitter) */
  entries: number[];
}

/** Calls visit(list) for every event of every emitter and event target with at least MIN_LISTENERS listeners. */
function listenerLists(snap: HeapSnapshot, visit: (list: ListenerList) => void): void {
  const v8 = snap.v8;
  const eventsName = v8.id(NAMES.emitterEvents);
  const targetName = v8.id(NAMES.eventTargetEvents);
  if (eventsName < 0 && targetName < 0) return;
  const { edges, edgeTypeOf, edgeFieldCount: ef, firstEdge } = snap;
  const oEName = snap.layout.eNameOrIndex;
  for (let n = 0; n < snap.nodeCount; n++) {
    if (snap.nodeType(n) !== snap.typeObject) continue;
    // one scan of the object's edges for either kind of listener store
    let events = -1;
    let isTarget = false;
    for (let e = firstEdge[n], end = firstEdge[n + 1]; e < end; e++) {
      if (edgeTypeOf[e] !== snap.edgeProperty) continue;
      const name = edges[e * ef + oEName];
      if (name === eventsName) events = snap.edgeTo(e);
      else if (name === targetName) isTarget = true;
    }
    if (isTarget) {
      v8.eventTargetListeners(n, (event, entries, list) => {
        if (entries.length < MIN_LISTENERS) return;
        visit({ source: n, sourceKind: 'target', event, functions: entries.map((l) => v8.listenerFunction(l)), list, entries });
      });
    }
    if (events < 0) continue;
    for (let e = firstEdge[events], end = firstEdge[events + 1]; e < end; e++) {
      if (snap.edgeType(e) !== snap.edgeProperty) continue;
      const event = snap.edgeName(e);
      if (v8.isProtoName(event)) continue;
      const holder = snap.edgeTo(e);
      if (snap.nodeType(holder) !== snap.typeObject || snap.nodeName(holder) !== NAMES.Array) continue;
      const functions: number[] = [];
      for (let f = firstEdge[holder], fend = firstEdge[holder + 1]; f < fend; f++) {
        if (snap.edgeType(f) === snap.edgeElement) functions.push(v8.unbind(snap.edgeTo(f)));
      }
      if (functions.length >= MIN_LISTENERS) visit({ source: n, sourceKind: 'emitter', event, functions, list: holder, entries: [] });
    }
  }
}

function collect(snap: HeapSnapshot): Map<string, number> {
  const counts = new Map<string, number>();
  listenerLists(snap, (l) => counts.set(`${snap.nodeId(l.source)}|${l.event}`, l.functions.length));
  return counts;
}

function hintFor(l: ListenerList, sourceClass: string): string {
  const e = JSON.stringify(l.event);
  if (l.sourceKind === 'emitter')
    return `remove the listener with the same function reference (emitter.off(${e}, fn)), use once(), or events.on() with an AbortSignal`;
  const t = sourceClass === NAMES.AbortSignal ? 'signal' : 'target';
  return `remove it with ${t}.removeEventListener(${e}, fn) (the same function) when the work ends, or add it with { once: true } or { signal } of an AbortController you abort then${sourceClass === NAMES.AbortSignal ? '; for a per-request signal that follows a long-lived one, AbortSignal.any([longLived, perRequest])' : ''}`;
}

function judge(samples: Array<Map<string, number>>, ctx: JudgeContext): DetectorFinding[] {
  const snap = ctx.last.snap;
  const out: DetectorFinding[] = [];
  const rising = risingKeys(samples, Math.max(5, Math.floor(ctx.minGrowth / 5)));
  if (rising.length === 0) return out;
  const wanted = new Map(rising.map((r) => [r.key, r.counts]));
  const retained = ctx.last.dominators.retained;
  listenerLists(snap, (l) => {
    const key = `${snap.nodeId(l.source)}|${l.event}`;
    const counts = wanted.get(key);
    if (!counts) return;
    const d = describeNode(ctx.last, l.source);
    // the most recent listener tells where they are added
    const listener = l.functions.findLast((f) => f >= 0) ?? -1;
    const location = listener >= 0 ? snap.location(listener) : null;
    const fn = listener >= 0 ? snap.v8.functionName(listener) : '(a weak listener)';
    const sourceClass = l.sourceKind === 'target' ? snap.v8.eventTargetClass(l.source) : snap.nodeName(l.source);
    const sourceName = d && d.name !== d.className ? `${d.name} (${sourceClass})${where(d.declaration)}` : sourceClass;
    // an emitter's listeners are separate; an EventTarget's list root dominates its whole list
    let bytes = 0;
    if (l.sourceKind === 'target') bytes = retained[l.list];
    else for (const f of l.functions) bytes += retained[f];
    const f = growthFinding(ctx, {
      kind: 'listener',
      name: l.event,
      holderClass: sourceClass,
      itemClass: fn,
      pathOf: l.source,
      described: d,
      location,
      countByStep: counts,
      bytes,
      hint: hintFor(l, sourceClass),
      summary:
        `'${l.event}' listeners on ${sourceName}: ${counts.join(' → ')}, ` +
        `added by ${fn}${location ? ` at ${shortLocation(location)}` : ''}${l.sourceKind === 'target' ? ' (addEventListener, never removed)' : ''}`,
    });
    if (f) {
      // the emitter's own declaration, where the finding's location is the listener's
      if (d?.declaration) f.declaration = d.declaration;
      out.push(f);
    }
  });
  return out;
}

export const listenersDetector: Detector<Map<string, number>> = {
  id: 'listener',
  kind: 'listener',
  summary: 'EventEmitter and EventTarget (AbortSignal, MessagePort, BroadcastChannel) listeners for one event that keep piling up',
  collect,
  judge,
  ...idKeyedSample('|'),
};
