/**
 * Dominator tree and retained sizes: semi-NCA (Lengauer–Tarjan's semidominators with path compression, then a
 * nearest-common-ancestor walk for the immediate dominators; Georgiadis, Tarjan & Werneck 2006), fully iterative —
 * no recursion anywhere, so a million-long linked list is as easy as a flat array.
 *
 * Only retaining edges (EssentialEdges) count. Nodes the root cannot reach that way are attached to the root (as DevTools
 * does), so the root's retained size is the whole heap. Retained sizes are Float64 (totals pass 4 GB).
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import type { EssentialEdges } from './essential.js';
import type { Retainers } from './retainers.js';

export interface Dominators {
  /** immediate dominator of each node (the root's is itself) */
  idom: Uint32Array;
  retained: Float64Array;
  /** 1 for nodes reachable from the root through retaining edges */
  reachable: Uint8Array;
  reachableCount: number;
  /** reachable nodes in DFS preorder (the root first): every node comes after its immediate dominator */
  preorder: Uint32Array;
  /** sum of self sizes of reachable nodes */
  reachableSize: number;
  totalSize: number;
}

export function computeDominators(snap: HeapSnapshot, retainers: Retainers, essential: EssentialEdges): Dominators {
  const { nodeCount, nodes, edges, firstEdge, nodeFieldCount: nf, edgeFieldCount: ef } = snap;
  const oTo = snap.layout.eToNode;
  const oSelf = snap.layout.nSelfSize;
  const bits = essential.bits;
  const root = snap.rootIndex;
  const { firstRetainer, retainingNodes } = retainers;

  // 1. Iterative DFS from the root: preorder numbers (1-based; 0 = not reached).
  const dfn = new Uint32Array(nodeCount);
  const vertex = new Uint32Array(nodeCount + 1);
  const parent = new Uint32Array(nodeCount + 1);
  // the DFS stacks, later the semidominators, then the retained sizes (Float64): one buffer for the three uses
  const work = new ArrayBuffer(8 * (nodeCount + 1));
  const stackNode = new Uint32Array(work, 0, nodeCount + 1);
  const stackEdge = new Uint32Array(work, 4 * (nodeCount + 1), nodeCount + 1);
  let count = 1;
  dfn[root] = 1;
  vertex[1] = root;
  stackNode[0] = root;
  stackEdge[0] = firstEdge[root];
  let sp = 1;
  while (sp > 0) {
    const n = stackNode[sp - 1];
    const e = stackEdge[sp - 1];
    if (e < firstEdge[n + 1]) {
      stackEdge[sp - 1] = e + 1;
      const t = edges[e * ef + oTo];
      if (dfn[t] !== 0) continue;
      if ((bits[e >>> 5] & (1 << (e & 31))) === 0) continue;
      count++;
      dfn[t] = count;
      vertex[count] = t;
      parent[count] = dfn[n];
      stackNode[sp] = t;
      stackEdge[sp] = firstEdge[t];
      sp++;
    } else {
      sp--;
    }
  }

  // 2. Semidominators (semi-NCA: Lengauer–Tarjan's first half with path compression, then the nearest common
  //    ancestor walk instead of buckets), in DFS-number space. The DFS stacks are reused as working arrays.
  const semi = stackEdge;
  const label = new Uint32Array(count + 1);
  const ancestor = new Uint32Array(count + 1); // 0 = none
  const compressStack = stackNode;
  for (let i = 1; i <= count; i++) {
    semi[i] = i;
    label[i] = i;
  }
  for (let w = count; w >= 2; w--) {
    const node = vertex[w];
    let sw = semi[w];
    for (let r = firstRetainer[node], end = firstRetainer[node + 1]; r < end; r++) {
      const from = retainingNodes[r];
      const v = dfn[from];
      if (v === 0) continue; // (retainers hold retaining edges only)
      let u = v;
      if (ancestor[v] !== 0) {
        // evaluate(v) with iterative path compression
        let top = 0;
        let x = v;
        while (ancestor[ancestor[x]] !== 0) {
          compressStack[top++] = x;
          x = ancestor[x];
        }
        while (top > 0) {
          const y = compressStack[--top];
          const a = ancestor[y];
          if (semi[label[a]] < semi[label[y]]) label[y] = label[a];
          ancestor[y] = ancestor[a];
        }
        u = label[v];
      }
      if (semi[u] < sw) sw = semi[u];
    }
    semi[w] = sw;
    ancestor[w] = parent[w];
  }
  // immediate dominator: the nearest ancestor of the DFS parent whose number is not above semi
  const idomDfn = parent; // reused: idom starts as the DFS parent
  for (let w = 2; w <= count; w++) {
    let d = idomDfn[w];
    const sw = semi[w];
    while (d > sw) d = idomDfn[d];
    idomDfn[w] = d;
  }

  // 3. Back to node ordinals; unreached nodes hang off the root. (dfn is done with: its memory holds idom.)
  const idom = dfn;
  const reachable = new Uint8Array(nodeCount);
  idom.fill(root);
  for (let w = 2; w <= count; w++) idom[vertex[w]] = vertex[idomDfn[w]];
  for (let w = 1; w <= count; w++) reachable[vertex[w]] = 1;

  // 4. Retained sizes: children before parents = reverse preorder; unreached nodes add to the root.
  const retained = new Float64Array(work, 0, nodeCount); // the semidominators are done with
  let totalSize = 0;
  let reachableSize = 0;
  for (let n = 0, p = oSelf; n < nodeCount; n++, p += nf) {
    const s = nodes[p];
    retained[n] = s;
    totalSize += s;
    if (reachable[n] === 1) reachableSize += s;
  }
  for (let w = count; w >= 2; w--) {
    const n = vertex[w];
    retained[idom[n]] += retained[n];
  }
  for (let n = 0; n < nodeCount; n++) {
    if (reachable[n] === 0) retained[root] += retained[n];
  }
  return { idom, retained, reachable, reachableCount: count, reachableSize, totalSize, preorder: vertex.subarray(1, count + 1) };
}

/** Children lists of the dominator tree (CSR by counting; `first` is its own write cursor, filled from the end). */
export function dominatorChildren(idom: Uint32Array, root: number): { first: Uint32Array; children: Uint32Array } {
  const n = idom.length;
  const first = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) if (i !== root) first[idom[i]]++;
  // inclusive prefix sums: first[i] is where i's children end; filling downwards leaves it where they start
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += first[i];
    first[i] = sum;
  }
  first[n] = sum;
  const children = new Uint32Array(sum);
  for (let i = n - 1; i >= 0; i--) if (i !== root) children[--first[idom[i]]] = i;
  return { first, children };
}
