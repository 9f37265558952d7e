/**
 * Dangling timers: repeating Timeouts (setInterval) whose number keeps growing, grouped by their callback's
 * function and source location — and what each callback's closure keeps alive.
 * (Which Timeouts repeat is Node's layout: v8.ts intervalCallback.)
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import { locationKey, shortLocation } from '../../common/format.js';
import { NAMES } from '../heap/v8.js';
import { scopeContents } from '../places/describe.js';
import { growthFinding, risingKeys, type Detector, type DetectorFinding, type JudgeContext } from './types.js';

function repeatingTimeouts(snap: HeapSnapshot, visit: (timeout: number, callback: number) => void): void {
  const timeoutIdx = snap.v8.id(NAMES.timeout);
  if (timeoutIdx < 0) return;
  const { nodes, nodeFieldCount: nf, nodeCount } = snap;
  const oType = snap.layout.nType;
  const oName = snap.layout.nName;
  for (let n = 0; n < nodeCount; n++) {
    if (nodes[n * nf + oType] !== snap.typeObject || nodes[n * nf + oName] !== timeoutIdx) continue;
    const callback = snap.v8.intervalCallback(n);
    if (callback >= 0) visit(n, snap.v8.unbind(callback));
  }
}

function callbackKey(snap: HeapSnapshot, callback: number): string {
  const loc = snap.location(callback);
  return `${snap.v8.functionName(callback)}@${loc ? locationKey(loc) : '?'}`;
}

function collect(snap: HeapSnapshot): Map<string, number> {
  const counts = new Map<string, number>();
  repeatingTimeouts(snap, (_t, cb) => {
    const key = callbackKey(snap, cb);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  return counts;
}

function judge(samples: Array<Map<string, number>>, ctx: JudgeContext): DetectorFinding[] {
  const snap = ctx.last.snap;
  const out: DetectorFinding[] = [];
  const rising = risingKeys(samples, Math.max(5, Math.floor(ctx.minGrowth / 5)));
  if (rising.length === 0) return out;
  const firstOf = new Map<string, { timeout: number; callback: number; retained: number }>();
  repeatingTimeouts(snap, (t, cb) => {
    const key = callbackKey(snap, cb);
    const entry = firstOf.get(key) ?? { timeout: t, callback: cb, retained: 0 };
    entry.retained += ctx.last.dominators.retained[t];
    firstOf.set(key, entry);
  });
  for (const { key, counts } of rising) {
    const rep = firstOf.get(key);
    if (!rep) continue;
    const fn = snap.v8.functionName(rep.callback);
    const location = snap.location(rep.callback);
    const scope = snap.v8.closureContext(rep.callback);
    const keeps = scope >= 0 ? scopeContents(ctx.last, scope) : '';
    const f = growthFinding(ctx, {
      kind: 'timer',
      name: fn,
      holderClass: 'setInterval',
      itemClass: NAMES.timeout,
      pathOf: rep.timeout,
      location,
      countByStep: counts,
      bytes: rep.retained,
      hint: 'keep the handle setInterval returns and clearInterval it when the work is done (in `finally`); unref() does not free memory',
      summary: `setInterval(${fn}) at ${location ? shortLocation(location) : 'unknown location'}: ${counts.join(' → ')} live intervals${keeps ? `; each callback's scope keeps ${keeps}` : ''}`,
    });
    if (f) out.push(f);
  }
  return out;
}

export const timersDetector: Detector<Map<string, number>> = {
  id: 'timer',
  kind: 'timer',
  summary: 'setInterval timers that are never cleared, by callback location',
  collect,
  judge,
};
