/**
 * One root cause, one finding. The detectors and diff's holders often see one leak from several sides: a `pending`
 * Map of resolvers is a growing collection, its resolvers are growing closures, and their promises never settle.
 * They are one finding when one's node holds (dominates) the other's; the finding is named by the outermost holder
 * (the Map) and its kind is the most specific explanation (`pending-promise`); what the others saw becomes evidence.
 *
 * A generic holder (class-growth, from diff's new-object grouping) joins the detector finding that holds most of
 * its new objects: a module scope whose only growth is a closure chain is that chain.
 */
import type { HeapGraph } from '../graph/heap-graph.js';
import { KINDS } from '../findings/kinds.js';
import type { DetectorFinding } from '../detectors/types.js';

/**
 * For every node, the nearest finding representative that dominates it (itself included), or -1: one pass over the
 * nodes in an order where each comes after its immediate dominator.
 */
function nearestRepresentative(graph: HeapGraph, reps: Set<number>): Int32Array {
  const { idom, preorder } = graph.dominators;
  const label = new Int32Array(graph.snap.nodeCount).fill(-1);
  for (let k = 0; k < preorder.length; k++) {
    const n = preorder[k];
    label[n] = reps.has(n) ? n : k === 0 ? -1 : label[idom[n]];
  }
  return label;
}

/** The same count at every snapshot (a few percent apart at most): one number seen from two sides. */
function sameSeries(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, k) => Math.abs(x - b[k]) <= Math.max(2, 0.02 * Math.max(x, b[k])));
}

/** How far up the dominator tree two findings' nodes are looked at for the object that holds both. */
const HOLDER_DEPTH = 4;

/**
 * The object near both nodes that holds them both (their nearest common dominator within a few levels), or -1:
 * never the root, a root group, a closure scope or a module's (two Maps of one module are two holders), nor V8's
 * storage.
 */
function commonHolder(graph: HeapGraph, a: number, b: number): number {
  const { idom } = graph.dominators;
  const snap = graph.snap;
  const seen = new Set<number>();
  for (let x = a, k = 0; k <= HOLDER_DEPTH && x !== snap.rootIndex; x = idom[x], k++) seen.add(x);
  for (let y = b, k = 0; k <= HOLDER_DEPTH && y !== snap.rootIndex; y = idom[y], k++) {
    if (!seen.has(y)) continue;
    if (snap.nodeType(y) !== snap.typeObject || snap.v8.isSystemObject(y)) return -1;
    return y;
  }
  return -1;
}

export interface GenericHolder {
  finding: DetectorFinding;
  /** the new objects charged to it (ordinals in the last snapshot), to see which finding holds most of them */
  members: (visit: (n: number) => void) => void;
}

export function mergeCauses(graph: HeapGraph, detected: DetectorFinding[], generic: GenericHolder[]): DetectorFinding[] {
  const all = [...detected, ...generic.map((g) => g.finding)];
  if (all.length < 2) return all;
  const reps = new Set(detected.map((f) => f.representative));
  const label = nearestRepresentative(graph, reps);
  const byRep = new Map<number, number[]>();
  detected.forEach((f, i) => byRep.set(f.representative, [...(byRep.get(f.representative) ?? []), i]));
  // parent: the finding this one joins (-1: its own root)
  const parent = new Int32Array(all.length).fill(-1);
  const root = (i: number): number => {
    while (parent[i] >= 0) i = parent[i];
    return i;
  };
  const join = (i: number, j: number) => {
    const a = root(i);
    const b = root(j);
    if (a !== b) parent[a] = b;
  };
  const { idom } = graph.dominators;
  detected.forEach((f, i) => {
    // the same node seen by two detectors
    const same = byRep.get(f.representative) ?? [];
    for (const j of same) if (j !== i) join(i, j);
    // held by another finding's node
    const r = f.representative;
    const up = r === graph.snap.rootIndex ? -1 : label[idom[r]];
    if (up >= 0) join(i, (byRep.get(up) as number[])[0]);
  });
  // findings that grow in lockstep under one holder object are one cause too: an axios interceptor added per request
  // is an entry of its manager's array, an entry of its Map, and a closure kept alive — three counts that are the
  // same number at every snapshot, none holding the others, all under the InterceptorManager
  const lockstep = new Set<number>();
  for (let i = 0; i < detected.length; i++) {
    for (let j = i + 1; j < detected.length; j++) {
      if (root(i) === root(j) || !sameSeries(detected[i].countByStep, detected[j].countByStep)) continue;
      if (commonHolder(graph, detected[i].representative, detected[j].representative) < 0) continue;
      join(i, j);
      lockstep.add(i);
      lockstep.add(j);
    }
  }
  generic.forEach((g, k) => {
    const votes = new Map<number, number>();
    let total = 0;
    g.members((n) => {
      total++;
      const l = label[n];
      if (l >= 0) votes.set(l, (votes.get(l) ?? 0) + 1);
    });
    let best = -1;
    let bestVotes = 0;
    for (const [rep, v] of votes) if (v > bestVotes) [best, bestVotes] = [rep, v];
    if (best >= 0 && bestVotes * 2 >= total) join(detected.length + k, (byRep.get(best) as number[])[0]);
  });
  const groups = new Map<number, number[]>();
  all.forEach((_, i) => groups.set(root(i), [...(groups.get(root(i)) ?? []), i]));
  const out: DetectorFinding[] = [];
  for (const members of groups.values()) {
    const list = members.map((i) => all[i]);
    if (list.length === 1) {
      out.push(list[0]);
      continue;
    }
    const primary = [...list].sort((a, b) => KINDS[a.kind].specificity - KINDS[b.kind].specificity)[0];
    // the outermost members (their group's root and those on its node) name it; members in lockstep under one
    // holder are side by side: the one nearest that holder, of the kind that names best
    const top = all[root(members[0])];
    const outer = members.some((i) => lockstep.has(i)) ? list : list.filter((f) => f.representative === top.representative);
    const anchor = [...outer].sort(
      (a, b) => KINDS[a.kind].naming - KINDS[b.kind].naming || a.retainerPath.length - b.retainerPath.length,
    )[0];
    const named = anchor.kind === 'class-growth' && primary.kind !== 'class-growth' ? primary : anchor;
    const how = named.kind !== primary.kind ? KINDS[primary.kind].how : undefined;
    out.push({
      ...named,
      kind: primary.kind,
      // a holder inside a package keeps the package's own advice (how to configure or use it)
      hint: named.package ? named.hint : primary.hint,
      summary: how ? `${named.summary}; ${how}` : named.summary,
      confidence: Math.max(...list.map((f) => f.confidence)),
      severity: list.some((f) => f.severity === 'high') ? 'high' : list.some((f) => f.severity === 'medium') ? 'medium' : 'low',
      evidence: [...new Set(list.filter((f) => f !== named).map((f) => `${f.kind}: ${f.summary}`))],
    });
  }
  return out;
}
