/**
 * `summary`: the heap at a glance — totals, the top classes (count, self, retained) and the largest objects with
 * their shortest retainer path and source location. Returns data; reporters render it.
 */
import { classifyNodes } from './heap/classes.js';
import type { SourceLocation } from './heap/snapshot.js';
import { runtimeVersion } from './heap/v8.js';
import type { HeapGraph } from './graph/heap-graph.js';
import { NO_DISTANCE } from './graph/distances.js';
import { dominatorChildren } from './graph/dominators.js';
import { offHeapTotal } from './offheap.js';
import { describePath, shortestRetainerPath } from './graph/paths.js';

export interface ClassRow {
  name: string;
  count: number;
  selfSize: number;
  /** DevTools' class retained size: objects of the class not dominated by another object of the same class */
  retainedSize: number;
}

export interface LargeObject {
  id: number;
  className: string;
  selfSize: number;
  retainedSize: number;
  distance: number | null;
  retainerPath: string[];
  pathText: string;
  location: SourceLocation | null;
}

export interface SummaryResult {
  file: string;
  bytes: number;
  snapshot: {
    layout: string;
    nodeFields: string[];
    edgeFields: string[];
    runtime: string | null;
  };
  totals: {
    nodes: number;
    edges: number;
    strings: number;
    selfSize: number;
    reachableNodes: number;
    reachableSize: number;
    unreachableNodes: number;
    /** of selfSize: ArrayBuffer backing stores (Buffers), outside the JS heap */
    offHeapSize: number;
    offHeapStores: number;
  };
  classes: ClassRow[];
  largest: LargeObject[];
  warnings: string[];
}

export interface SummaryOptions {
  top: number;
}

/**
 * Per-class count, self size and retained size over reachable nodes. Retained size counts an object only when no
 * object of the same class dominates it (one iterative walk of the dominator tree with a per-class counter).
 */
export function classStats(graph: HeapGraph): { rows: ClassRow[]; classOf: Uint32Array; names: string[] } {
  const snap = graph.snap;
  const { classOf, names } = classifyNodes(snap);
  const dom = graph.dominators;
  const count = new Float64Array(names.length);
  const self = new Float64Array(names.length);
  const retained = new Float64Array(names.length);
  const { nodes, nodeFieldCount: nf, nodeCount } = snap;
  const oSelf = snap.layout.nSelfSize;
  const oType = snap.layout.nType;
  const typeSynthetic = snap.typeSynthetic;
  // synthetic nodes ((GC roots), (Stack roots) ...) are groupings, not objects: not listed as classes
  for (let n = 0; n < nodeCount; n++) {
    if (dom.reachable[n] === 0 || nodes[n * nf + oType] === typeSynthetic) continue;
    const c = classOf[n];
    count[c]++;
    self[c] += nodes[n * nf + oSelf];
  }
  const { first, children } = dominatorChildren(dom.idom, snap.rootIndex);
  const onPath = new Uint32Array(names.length);
  const stack = new Uint32Array(nodeCount);
  const cursor = new Uint32Array(nodeCount);
  let sp = 0;
  stack[sp] = snap.rootIndex;
  cursor[sp] = first[snap.rootIndex];
  sp++;
  onPath[classOf[snap.rootIndex]]++;
  while (sp > 0) {
    const n = stack[sp - 1];
    const i = cursor[sp - 1];
    if (i < first[n + 1]) {
      cursor[sp - 1] = i + 1;
      const child = children[i];
      if (dom.reachable[child] === 0) continue;
      const c = classOf[child];
      if (onPath[c] === 0 && nodes[child * nf + oType] !== typeSynthetic) retained[c] += dom.retained[child];
      onPath[c]++;
      stack[sp] = child;
      cursor[sp] = first[child];
      sp++;
    } else {
      onPath[classOf[n]]--;
      sp--;
    }
  }
  const rows: ClassRow[] = [];
  for (let c = 0; c < names.length; c++) {
    if (count[c] > 0) rows.push({ name: names[c], count: count[c], selfSize: self[c], retainedSize: retained[c] });
  }
  rows.sort((a, b) => b.retainedSize - a.retainedSize || b.selfSize - a.selfSize || a.name.localeCompare(b.name));
  return { rows, classOf, names };
}

/**
 * The largest objects by retained size. An object whose dominator chain already holds a listed object is left out:
 * the list shows distinct big things, each once.
 */
export function largestObjects(graph: HeapGraph, top: number): LargeObject[] {
  const snap = graph.snap;
  const dom = graph.dominators;
  const candidates: number[] = [];
  // keep a bounded pool of the biggest candidates, then pick top-level ones among them
  const pool = Math.max(top * 50, 1000);
  let threshold = 0;
  for (let n = 0; n < snap.nodeCount; n++) {
    if (dom.reachable[n] === 0 || dom.retained[n] < threshold || !snap.v8.isUserObject(n)) continue;
    candidates.push(n);
    if (candidates.length >= pool * 2) {
      candidates.sort((a, b) => dom.retained[b] - dom.retained[a]);
      candidates.length = pool;
      threshold = dom.retained[candidates[pool - 1]];
    }
  }
  candidates.sort((a, b) => dom.retained[b] - dom.retained[a] || a - b);
  const chosen = new Set<number>();
  const out: LargeObject[] = [];
  for (const n of candidates) {
    if (out.length >= top) break;
    let covered = false;
    for (let a = dom.idom[n]; a !== snap.rootIndex; a = dom.idom[a]) {
      if (chosen.has(a)) {
        covered = true;
        break;
      }
    }
    if (covered) continue;
    chosen.add(n);
    out.push(describeObject(graph, n));
  }
  return out;
}

export function describeObject(graph: HeapGraph, n: number): LargeObject {
  const snap = graph.snap;
  const steps = shortestRetainerPath(graph, n);
  const readable = steps ? describePath(graph, steps) : null;
  const d = graph.distances[n];
  return {
    id: snap.nodeId(n),
    className: readable?.steps.at(-1)?.className ?? snap.nodeName(n),
    selfSize: snap.selfSize(n),
    retainedSize: graph.dominators.retained[n],
    distance: d === NO_DISTANCE ? null : d,
    retainerPath: readable ? readable.steps.map((s) => s.text) : [],
    pathText: readable ? readable.text : '(unreachable)',
    location: snap.location(n),
  };
}

export function summarize(graph: HeapGraph, file: string, options: SummaryOptions): SummaryResult {
  const snap = graph.snap;
  const dom = graph.dominators;
  const { rows } = classStats(graph);
  const offHeap = offHeapTotal(graph);
  return {
    file,
    bytes: snap.byteLength,
    snapshot: {
      layout: snap.layout.description,
      nodeFields: snap.layout.file.nodeFields,
      edgeFields: snap.layout.file.edgeFields,
      runtime: runtimeVersion(snap.strings),
    },
    totals: {
      nodes: snap.nodeCount,
      edges: snap.edgeCount,
      strings: snap.strings.length,
      selfSize: dom.totalSize,
      reachableNodes: dom.reachableCount,
      reachableSize: dom.reachableSize,
      unreachableNodes: snap.nodeCount - dom.reachableCount,
      offHeapSize: offHeap.bytes,
      offHeapStores: offHeap.stores,
    },
    classes: rows.slice(0, options.top),
    largest: largestObjects(graph, options.top),
    warnings: [...snap.warnings],
  };
}
