/**
 * Pending promises: promises that never settle and keep growing. V8 keeps a promise's reactions (while pending
 * with handlers) or its result in `reactions_or_result`; a pending promise without handlers has no such edge (a
 * small-integer result has none either, so those count too — rare in leaks, and the growth rule filters noise).
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import { confidenceOf } from '../findings.js';
import { describeNode } from './describe.js';
import { growthFinding, type Detector, type DetectorFinding, type JudgeContext } from './types.js';

function pendingPromises(snap: HeapSnapshot, visit: (promise: number) => void): void {
  const promiseIdx = snap.strings.indexOf('Promise');
  const reactionsIdx = snap.strings.indexOf('reactions_or_result');
  if (promiseIdx < 0) return;
  const { nodes, nodeFieldCount: nf, nodeCount } = snap;
  const oType = snap.layout.nType;
  const oName = snap.layout.nName;
  for (let n = 0; n < nodeCount; n++) {
    if (nodes[n * nf + oType] !== snap.typeObject || nodes[n * nf + oName] !== promiseIdx) continue;
    // the Promise constructor's prototype object is also named Promise: real promises have a map but no 'constructor'
    if (snap.findEdge(n, snap.edgeProperty, 'constructor') >= 0) continue;
    const r = snap.findEdgeByNameIndex(n, snap.edgeInternal, reactionsIdx);
    if (r < 0 || snap.nodeName(snap.edgeTo(r)) === 'system / PromiseReaction') visit(n);
  }
}

function collect(snap: HeapSnapshot): number {
  let count = 0;
  pendingPromises(snap, () => count++);
  return count;
}

function judge(samples: number[], ctx: JudgeContext): DetectorFinding[] {
  const counts = samples;
  if (counts[counts.length - 1] - counts[0] < ctx.minGrowth || confidenceOf(counts) < 0.5) return [];
  // the most recent pending promise (highest id) stands for them: where is it held?
  const snap = ctx.last.snap;
  let rep = -1;
  let retained = 0;
  pendingPromises(snap, (n) => {
    retained += ctx.last.dominators.retained[n];
    if (rep < 0 || snap.nodeId(n) > snap.nodeId(rep)) rep = n;
  });
  if (rep < 0) return [];
  const d = describeNode(ctx.last, rep);
  const f = growthFinding(ctx, {
    kind: 'pending-promise',
    name: d?.name ?? 'Promise',
    holderClass: d?.heldBy ?? '',
    itemClass: 'Promise',
    pathOf: rep,
    described: d,
    location: d?.declaration ?? null,
    countByStep: counts,
    bytes: retained,
    hint: 'promises that never settle pile up: give every await on I/O a timeout (AbortSignal.timeout), settle or reject pending requests on error and shutdown, and do not keep promises you no longer need',
    summary: `${counts.join(' → ')} pending promises${d ? `; the newest is held by ${d.pathText.split(' → ').slice(-2).join(' → ')}` : ''}`,
  });
  return f ? [f] : [];
}

export const promisesDetector: Detector<number> = {
  kind: 'pending-promise',
  summary: 'promises that never settle, piling up',
  collect,
  judge,
};
