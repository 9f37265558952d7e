/**
 * Holders matched across snapshots by their place in the heap, not by object id (objgraph's way): for snapshots
 * whose ids cannot be compared — taken in separate inspector sessions (V8 clears its object ids when a session's
 * HeapProfiler is disabled, so `leakscope snapshot` three times gives three numberings), or of different restarts
 * of a service.
 *
 * A holder's place is the chain of names that leads to it: from the closure scope nearest to it (`module app.js →
 * sessions:Map`), or from the root when no scope is on its path. Array indices and hash-table slots are left out
 * (`[]`, `#`), so a place names one holder only when nothing else sits at the same names: a place two nodes share
 * in one snapshot is ambiguous and not matched. The detectors' samples are then renumbered with the last
 * snapshot's ids (Detector.rekey), and they judge the series as they would one process's.
 */
import type { HeapGraph } from './graph/heap-graph.js';
import { describeContext, edgeLabel, shortestRetainerPath } from './graph/paths.js';
import { className } from './heap/classes.js';

import { DETECTORS, type DetectorSamples } from './detectors/index.js';

/** `module app.js → sessions:Map`: where a node is, in names that stay the same across snapshots; null if unreachable. */
export function placeKey(graph: HeapGraph, n: number): string | null {
  const steps = shortestRetainerPath(graph, n);
  if (!steps) return null;
  const snap = graph.snap;
  // from the nearest closure scope on the path: how the root reaches a module's scope varies between snapshots
  let from = 1;
  for (let k = steps.length - 1; k >= 1; k--) {
    if (snap.v8.isContext(steps[k].node)) {
      from = k;
      break;
    }
  }
  const parts: string[] = [];
  for (let k = from; k < steps.length; k++) {
    const { node, edge } = steps[k];
    if (snap.v8.isContext(node)) {
      parts.push(describeContext(graph, node).text);
      continue;
    }
    const label = edge < 0 ? '' : edgeLabel(snap, edge, steps[k - 1].node).replace(/^\[\d+\]$/, '[]').replace(/^\d+$/, '#');
    const cls = className(snap, node);
    parts.push(`${label}:${cls.startsWith('{') ? 'Object' : cls}`);
  }
  return parts.join(' → ');
}

/** The holders the detectors' samples name by id (every detector that keys its sample by a node id). */
export function sampledHolders(samples: DetectorSamples): Set<number> {
  const ids = new Set<number>();
  for (const d of DETECTORS) {
    const s = samples[d.id];
    if (s !== undefined && d.holderIds) for (const id of d.holderIds(s)) ids.add(id);
  }
  return ids;
}

/** Each sampled holder's place in one snapshot: id -> place (unreachable ones left out). */
export function placesOf(graph: HeapGraph, ids: Iterable<number>): Map<number, string> {
  const out = new Map<number, string>();
  for (const id of ids) {
    const n = graph.ids.ordinalOf(id);
    if (n < 0) continue;
    const key = placeKey(graph, n);
    if (key !== null) out.set(id, key);
  }
  return out;
}

/** place -> id, for the places exactly one holder has (the others are ambiguous). */
export function uniquePlaces(places: Map<number, string>): Map<string, number> {
  const byPlace = new Map<string, number>();
  const shared = new Set<string>();
  for (const [id, key] of places) {
    if (byPlace.has(key)) shared.add(key);
    else byPlace.set(key, id);
  }
  for (const key of shared) byPlace.delete(key);
  return byPlace;
}

/**
 * An earlier snapshot's samples renumbered with the last snapshot's ids: a holder whose (unique) place the last
 * snapshot also has takes that holder's id; the others are dropped. Returns how many holders were matched.
 */
export function rekeySamples(samples: DetectorSamples, places: Map<number, string>, lastByPlace: Map<string, number>): { samples: DetectorSamples; matched: number } {
  const mine = uniquePlaces(places);
  const to = new Map<number, number>();
  for (const [key, id] of mine) {
    const target = lastByPlace.get(key);
    if (target !== undefined) to.set(id, target);
  }
  const out: DetectorSamples = { ...samples };
  for (const d of DETECTORS) {
    const s = samples[d.id];
    if (s !== undefined && d.rekey) out[d.id] = d.rekey(s, to);
  }
  return { samples: out, matched: to.size };
}
