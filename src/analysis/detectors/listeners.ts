/**
 * Listener build-up: an EventEmitter whose listener count for one event rises at every snapshot, grouped by
 * emitter, event name and listener function location.
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import { shortLocation } from '../../format.js';
import { NAMES } from '../heap/v8.js';
import { describeNode } from '../describe.js';
import { growthFinding, risingKeys, type Detector, type DetectorFinding, type JudgeContext } from './types.js';

const MIN_LISTENERS = 2;

/** Calls visit(emitter, event, listeners) for every emitter event with at least MIN_LISTENERS listeners. */
function emitterEvents(snap: HeapSnapshot, visit: (emitter: number, event: string, listeners: number[]) => void): void {
  if (snap.v8.id(NAMES.emitterEvents) < 0) return;
  for (let n = 0; n < snap.nodeCount; n++) {
    if (snap.nodeType(n) !== snap.typeObject) continue;
    const events = snap.v8.emitterEvents(n);
    if (events < 0) continue;
    for (let e = snap.firstEdge[events], end = snap.firstEdge[events + 1]; e < end; e++) {
      if (snap.edgeType(e) !== snap.edgeProperty) continue;
      const event = snap.edgeName(e);
      if (snap.v8.isProtoName(event)) continue;
      const holder = snap.edgeTo(e);
      if (snap.nodeType(holder) !== snap.typeObject || snap.nodeName(holder) !== NAMES.Array) continue;
      const listeners: number[] = [];
      for (let f = snap.firstEdge[holder], fend = snap.firstEdge[holder + 1]; f < fend; f++) {
        if (snap.edgeType(f) === snap.edgeElement) listeners.push(snap.edgeTo(f));
      }
      if (listeners.length >= MIN_LISTENERS) visit(n, event, listeners);
    }
  }
}

function collect(snap: HeapSnapshot): Map<string, number> {
  const counts = new Map<string, number>();
  emitterEvents(snap, (emitter, event, listeners) => counts.set(`${snap.nodeId(emitter)}|${event}`, listeners.length));
  return counts;
}

function judge(samples: Array<Map<string, number>>, ctx: JudgeContext): DetectorFinding[] {
  const snap = ctx.last.snap;
  const out: DetectorFinding[] = [];
  const rising = risingKeys(samples, Math.max(5, Math.floor(ctx.minGrowth / 5)));
  if (rising.length === 0) return out;
  const wanted = new Map(rising.map((r) => [r.key, r.counts]));
  emitterEvents(snap, (emitter, event, listeners) => {
    const key = `${snap.nodeId(emitter)}|${event}`;
    const counts = wanted.get(key);
    if (!counts) return;
    const d = describeNode(ctx.last, emitter);
    // the most recent listener tells where they are added
    const listener = snap.v8.unbind(listeners[listeners.length - 1]);
    const location = snap.location(listener);
    const fn = snap.v8.functionName(listener);
    const emitterName = d ? `${d.name}${d.name !== d.className ? ` (${d.className})` : ''}` : snap.nodeName(emitter);
    let retained = 0;
    for (const l of listeners) retained += ctx.last.dominators.retained[l];
    const f = growthFinding(ctx, {
      kind: 'listener',
      name: event,
      holderClass: snap.nodeName(emitter),
      itemClass: fn,
      pathOf: emitter,
      described: d,
      location,
      countByStep: counts,
      bytes: retained,
      hint: `remove the listener with the same function reference (emitter.off('${event}', fn)), use once(), or events.on() with an AbortSignal`,
      summary: `'${event}' listeners on ${emitterName}: ${counts.join(' → ')}, added by ${fn}${location ? ` at ${shortLocation(location)}` : ''}`,
    });
    if (f) out.push(f);
  });
  return out;
}

export const listenersDetector: Detector<Map<string, number>> = {
  id: 'listener',
  kind: 'listener',
  summary: 'EventEmitter listeners for one event that keep piling up',
  collect,
  judge,
};
