/**
 * `summary`: the heap at a glance — totals, the top classes (count, self, retained) and the largest objects with
 * their shortest retainer path and source location. Returns data; reporters render it.
 */
import { NodeClassifier } from './heap/classes.js';
import type { SourceLocation } from './heap/snapshot.js';
import { runtimeVersion } from './heap/v8.js';
import type { HeapGraph } from './graph/heap-graph.js';
import { NO_DISTANCE } from './graph/distances.js';
import { dominatorChildren } from './graph/dominators.js';
import { offHeapTotal } from './findings/offheap.js';
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
 * object of the same class dominates it. One iterative walk of the dominator tree (the reachable nodes, each once)
 * with a per-class counter of the path; classes are found as the walk meets the nodes, with no per-node array.
 */
export function classStats(graph: HeapGraph): ClassRow[] {
  const snap = graph.snap;
  const dom = graph.dominators;
  const classifier = new NodeClassifier(snap);
  const names = classifier.names;
  const count: number[] = [];
  const self: number[] = [];
  const retained: number[] = [];
  const onPath: number[] = [];
  const { nodes, nodeFieldCount: nf, nodeCount } = snap;
  const oSelf = snap.layout.nSelfSize;
  const oType = snap.layout.nType;
  const typeSynthetic = snap.typeSynthetic;
  const root = snap.rootIndex;
  const { first, children } = dominatorChildren(dom.idom, root);
  // depth-first with one stack of entries: a node to enter, or (high bit set) the class of one to leave (node
  // ordinals and class ids stay below 2^31). A node has at most one entry on it at a time: it grows to nodeCount
  // entries at most, and usually stays far below (the pending siblings along one path), so it grows on demand.
  const LEAVE = 0x80000000;
  let stack = new Uint32Array(Math.min(nodeCount, 1 << 16));
  let sp = 0;
  stack[sp++] = root;
  while (sp > 0) {
    const entry = stack[--sp];
    if (entry >= LEAVE) {
      onPath[entry - LEAVE]--;
      continue;
    }
    const c = classifier.classOf(entry);
    while (count.length < names.length) {
      count.push(0);
      self.push(0);
      retained.push(0);
      onPath.push(0);
    }
    // synthetic nodes ((GC roots), (Stack roots) ...) are groupings, not objects: not listed as classes
    if (nodes[entry * nf + oType] !== typeSynthetic) {
      count[c]++;
      self[c] += nodes[entry * nf + oSelf];
      if (entry !== root && onPath[c] === 0) retained[c] += dom.retained[entry];
    }
    onPath[c]++;
    const end = first[entry + 1];
    if (sp + 1 + end - first[entry] > stack.length) {
      const grown = new Uint32Array(Math.min(nodeCount + 1, Math.max(stack.length * 2, sp + 1 + end - first[entry])));
      grown.set(stack.subarray(0, sp));
      stack = grown;
    }
    stack[sp++] = LEAVE + c;
    for (let i = first[entry]; i < end; i++) {
      const child = children[i];
      if (dom.reachable[child] !== 0) stack[sp++] = child;
    }
  }
  const rows: ClassRow[] = [];
  for (let c = 0; c < names.length; c++) {
    if (count[c] > 0) rows.push({ name: names[c], count: count[c], selfSize: self[c], retainedSize: retained[c] });
  }
  rows.sort((a, b) => b.retainedSize - a.retainedSize || b.selfSize - a.selfSize || a.name.localeCompare(b.name));
  return rows;
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
  const rows = classStats(graph);
  graph.collectGarbage(); // the dominator tree's child lists: before distances and paths
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
