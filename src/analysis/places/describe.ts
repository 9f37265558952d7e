/**
 * What any analysis says about a node a finding is about: its path, its holder's name, where it is declared; what a
 * closure scope keeps; what a collection's entries are. Used by diff's holders and by the detectors alike.
 */
import type { SourceLocation } from '../heap/snapshot.js';
import type { HeapGraph } from '../graph/heap-graph.js';
import { describePath, shortestRetainerPath } from '../graph/paths.js';
import { applicationOwner, declarationAmongRetainers, declarationLocation } from './source.js';
import { formatSize } from '../../common/format.js';

export interface NodeDescription {
  retainerPath: string[];
  pathText: string;
  /** the name the path gives it: the variable or property holding it, else its class */
  name: string;
  className: string;
  /** the step before it, e.g. `module app.js` */
  heldBy: string;
  declaration: SourceLocation | null;
  /** the location V8 recorded for the last step itself (a closure, a constructor), if any */
  stepLocation: SourceLocation | null;
  /** when the declaration is in a dependency: the application declaration that owns it */
  owner: SourceLocation | null;
  /** the script of the nearest scope on its path (a module's, a function's), when known */
  scopeFile: string | null;
  retained: number;
}

export function describeNode(graph: HeapGraph, n: number): NodeDescription | null {
  const steps = shortestRetainerPath(graph, n);
  if (!steps) return null;
  const readable = describePath(graph, steps);
  const last = readable.steps.at(-1);
  if (!last) return null;
  const name = last.edge && !/^\[|^<|^\d/.test(last.edge) ? last.edge : last.className;
  const declaration = declarationLocation(graph, steps) ?? declarationAmongRetainers(graph, n);
  return {
    retainerPath: readable.steps.map((s) => s.text),
    pathText: readable.text,
    name,
    className: last.className,
    // the nearest step before it that is not V8 plumbing (a Set's hash table reads as the Set)
    heldBy:
      readable.steps
        .slice(0, -1)
        .reverse()
        .find((s) => !s.internal)?.text ?? '',
    declaration,
    stepLocation: last.location,
    owner: applicationOwner(graph, steps, declaration),
    scopeFile: [...readable.steps].reverse().find((s) => s.scopeFile !== undefined)?.scopeFile ?? null,
    retained: graph.dominators.retained[n],
  };
}

/** "big (Array, 1.2 MB), cfg (Object, 3 kB)": what a closure scope keeps alive, biggest first. */
export function scopeContents(graph: HeapGraph, ctx: number, max = 3): string {
  const snap = graph.snap;
  const vars: Array<[string, string, number]> = [];
  for (let e = snap.firstEdge[ctx], end = snap.firstEdge[ctx + 1]; e < end; e++) {
    if (snap.edgeType(e) !== snap.edgeContext) continue;
    const t = snap.edgeTo(e);
    vars.push([snap.edgeName(e), snap.nodeName(t) || snap.nodeTypeName(t), graph.dominators.retained[t]]);
  }
  vars.sort((a, b) => b[2] - a[2]);
  return vars
    .slice(0, max)
    .map(([name, cls, bytes]) => `${name} (${cls}, ${formatSize(bytes)})`)
    .join(', ');
}

/** The most common class among a collection's entries (its element edges, or its hash table's slots). */
export function entryClass(graph: HeapGraph, collection: number): string {
  const snap = graph.snap;
  const table = snap.v8.collectionTable(collection);
  const holder = table >= 0 ? table : collection;
  const counts = new Map<string, number>();
  for (let e = snap.firstEdge[holder], end = snap.firstEdge[holder + 1]; e < end; e++) {
    const t = snap.edgeType(e);
    if (t !== snap.edgeElement && t !== snap.edgeInternal && t !== snap.edgeProperty) continue;
    if (snap.v8.isBookkeepingEdge(e)) continue;
    const to = snap.edgeTo(e);
    const type = snap.nodeType(to);
    const name =
      type === snap.typeObject
        ? snap.v8.isSystemObject(to)
          ? ''
          : snap.nodeName(to)
        : type === snap.typeClosure
          ? '(closure)'
          : type === snap.typeString || type === snap.typeConsString || type === snap.typeSlicedString
            ? '(string)'
            : '';
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  // prefer the program's own classes over strings (Map keys)
  const ranked = [...counts.entries()].sort((a, b) => Number(a[0].startsWith('(')) - Number(b[0].startsWith('(')) || b[1] - a[1]);
  return ranked[0]?.[0] ?? '';
}
