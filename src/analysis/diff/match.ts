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
import type { HeapGraph } from '../graph/heap-graph.js';
import { describeContext, edgeLabel, shortestRetainerPath } from '../graph/paths.js';
import { className } from '../heap/classes.js';

import { DETECTORS, type DetectorSamples } from '../detectors/index.js';

/**
 * Where a node is, in names that stay the same across snapshots, most specific first; empty if unreachable:
 *
 *   the path from the nearest closure scope or CommonJS module record (`module app.js → sessions:Map`): how the
 *   root reaches a module varies between snapshots (the console's require.cache in one session, an HTTP handle's
 *   listeners in another);
 *   its holder's class and the name it is held by (`MemoryStore.sessions:Object`): when even that path varies (a
 *   request in flight on the stack reached the store first in one snapshot).
 */
export function placeKeys(graph: HeapGraph, n: number): string[] {
  const steps = shortestRetainerPath(graph, n);
  if (!steps) return [];
  const snap = graph.snap;
  let from = 1;
  for (let k = steps.length - 1; k >= 1; k--) {
    if (snap.v8.isContext(steps[k].node) || snap.v8.isModuleRecord(steps[k].node)) {
      from = k;
      break;
    }
  }
  const part = (k: number): string => {
    const { node, edge } = steps[k];
    if (snap.v8.isContext(node)) return describeContext(graph, node).text;
    const label =
      edge < 0
        ? ''
        : edgeLabel(snap, edge, steps[k - 1].node)
            .replace(/^\[\d+\]$/, '[]')
            .replace(/^\d+$/, '#');
    // synthetic groups are numbered per snapshot ("5 / DevTools console")
    const cls = className(snap, node).replace(/^\d+ \/ /, '');
    return `${label}:${cls.startsWith('{') ? 'Object' : cls}`;
  };
  const parts: string[] = [];
  for (let k = from; k < steps.length; k++) parts.push(part(k));
  const keys = [parts.join(' → ')];
  // the holder: the nearest step before it that is not V8's storage (a Map's table reads as the Map)
  const last = steps.length - 1;
  let h = last - 1;
  while (h > 0 && snap.v8.isV8Internal(steps[h].node)) h--;
  if (h >= 1 && last >= 1) {
    const holder = snap.v8.isContext(steps[h].node)
      ? describeContext(graph, steps[h].node).text
      : className(snap, steps[h].node).replace(/^\d+ \/ /, '');
    keys.push(`${holder.startsWith('{') ? 'Object' : holder}.${part(last)}`);
  }
  return keys;
}

/** The most specific place key (see placeKeys), or null when the node is unreachable. */
export function placeKey(graph: HeapGraph, n: number): string | null {
  return placeKeys(graph, n)[0] ?? null;
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

/** Each sampled holder's places in one snapshot (placeKeys, most specific first); unreachable ones left out. */
export function placesOf(graph: HeapGraph, ids: Iterable<number>): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const id of ids) {
    const n = graph.ids.ordinalOf(id);
    if (n < 0) continue;
    const keys = placeKeys(graph, n);
    if (keys.length > 0) out.set(id, keys);
  }
  return out;
}

/** Per level of specificity: place -> id, for the places exactly one holder has (the others are ambiguous). */
export function uniquePlaces(places: Map<number, string[]>): Array<Map<string, number>> {
  const levels: Array<Map<string, number>> = [];
  const shared: Array<Set<string>> = [];
  for (const [id, keys] of places) {
    keys.forEach((key, level) => {
      levels[level] ??= new Map();
      shared[level] ??= new Set();
      if (levels[level].has(key)) shared[level].add(key);
      else levels[level].set(key, id);
    });
  }
  levels.forEach((m, level) => {
    for (const key of shared[level]) m.delete(key);
  });
  return levels;
}

/**
 * An earlier snapshot's samples renumbered with the last snapshot's ids: a holder whose unique place the last
 * snapshot also has uniquely takes that holder's id — by its path from a scope first, else by its holder's class
 * and name; each last holder is taken once. The others are dropped. Returns how many holders were matched.
 */
export function rekeySamples(
  samples: DetectorSamples,
  places: Map<number, string[]>,
  lastByPlace: Array<Map<string, number>>,
): { samples: DetectorSamples; matched: number } {
  const mine = uniquePlaces(places);
  const to = new Map<number, number>();
  const taken = new Set<number>();
  for (let level = 0; level < lastByPlace.length; level++) {
    for (const [key, id] of mine[level] ?? []) {
      if (to.has(id)) continue;
      const target = lastByPlace[level].get(key);
      if (target === undefined || taken.has(target)) continue;
      to.set(id, target);
      taken.add(target);
    }
  }
  const out: DetectorSamples = { ...samples };
  for (const d of DETECTORS) {
    const s = samples[d.id];
    if (s !== undefined && d.rekey) out[d.id] = d.rekey(s, to);
  }
  return { samples: out, matched: to.size };
}
