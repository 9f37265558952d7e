/**
 * The file's node and edge records become the in-memory ones here (layout.ts), checked and indexed on the way:
 * one pass over each section as it is read, by the tokenizer on one thread or by the parse workers (parallel.ts).
 * A node keeps type, name, id, self size (and its trace id with allocation tracking); its edge count becomes the
 * forward index firstEdge. An edge keeps name_or_index and its target as a node ordinal (V8 writes an offset into
 * the nodes array); its type goes to a byte array.
 *
 * A bad type or target does not stop the read: the first one is kept and thrown by `finish`, after the section was
 * read, so that a broken byte further on still wins, as it did when these checks ran after the parse. The checks
 * of string indices need the strings count, which comes last in the file: the sinks return the largest string
 * index they saw and checkTotals checks it (and looks for the first offender only when it is out of range).
 */
import { SnapshotFormatError } from '../../common/errors.js';
import type { Layout } from './layout.js';
import type { RecordSink } from './numbers.js';

export interface NodesChecked {
  /** the sum of the nodes' edge counts (must equal meta's edge_count) */
  edgeSum: number;
  /** the largest string index a node's name uses */
  maxName: number;
}

/** What the two sinks found: checkTotals finishes the checks with it. */
export interface RecordsChecked {
  nodes: NodesChecked;
  edgeMaxName: number;
}

/** The nodes section: records into `nodes` (layout.nodeFieldCount numbers each), edge counts into firstEdge. */
export class NodeRecords implements RecordSink {
  private n = 0;
  private edgeSum = 0;
  private maxName = 0;
  private problem: string | null = null;

  /** `firstEdge` has nodeCount + 1 entries */
  constructor(
    private readonly layout: Layout,
    private readonly nodes: Uint32Array,
    private readonly firstEdge: Uint32Array,
  ) {}

  take(staging: Uint32Array, records: number): void {
    const { nodes, firstEdge } = this;
    const F = this.layout.file;
    const per = F.nodeFieldCount;
    const nf = this.layout.nodeFieldCount;
    const nTypes = this.layout.nodeTypes.length;
    const [oType, oName, oId, oSelf, oEdges, oTrace] = [F.nType, F.nName, F.nId, F.nSelfSize, F.nEdgeCount, F.nTraceNodeId];
    const traces = this.layout.nTraceNodeId >= 0;
    let n = this.n;
    let e = this.edgeSum;
    let maxName = this.maxName;
    for (let r = 0, p = 0, q = n * nf; r < records; r++, n++, p += per, q += nf) {
      const type = staging[p + oType];
      if (type >= nTypes && this.problem === null) this.problem = `node #${n} has type ${type}, but meta lists ${nTypes} node types`;
      const name = staging[p + oName];
      if (name > maxName) maxName = name;
      nodes[q] = type;
      nodes[q + 1] = name;
      nodes[q + 2] = staging[p + oId];
      nodes[q + 3] = staging[p + oSelf];
      if (traces) nodes[q + 4] = staging[p + oTrace];
      firstEdge[n] = e;
      e += staging[p + oEdges];
    }
    this.n = n;
    this.edgeSum = e;
    this.maxName = maxName;
  }

  /** After the whole section: closes the index; throws the first bad type. */
  finish(): NodesChecked {
    this.firstEdge[this.n] = this.edgeSum;
    if (this.problem !== null) throw new SnapshotFormatError(this.problem);
    return { edgeSum: this.edgeSum, maxName: this.maxName };
  }
}

/** The edges section: name and target (a node ordinal) into `edges`, the type into `types`. */
export class EdgeRecords implements RecordSink {
  private i = 0;
  private maxName = 0;
  private problem: string | null = null;

  constructor(
    private readonly layout: Layout,
    private readonly edges: Uint32Array,
    private readonly types: Uint8Array,
    private readonly nodeCount: number,
  ) {}

  take(staging: Uint32Array, records: number): void {
    const { edges, types } = this;
    const F = this.layout.file;
    const per = F.edgeFieldCount;
    const fileNf = F.nodeFieldCount;
    const eTypes = this.layout.edgeTypes.length;
    const [oType, oName, oTo] = [F.eType, F.eNameOrIndex, F.eToNode];
    // element and hidden edges carry an index, not a name
    const element = this.layout.edgeTypes.indexOf('element');
    const hidden = this.layout.edgeTypes.indexOf('hidden');
    const nodesLen = this.nodeCount * fileNf;
    let i = this.i;
    let maxName = this.maxName;
    for (let r = 0, p = 0, q = i * 2; r < records; r++, i++, p += per, q += 2) {
      const t = staging[p + oType];
      if (t >= eTypes && this.problem === null) this.problem = `edge #${i} has type ${t}, but meta lists ${eTypes} edge types`;
      const name = staging[p + oName];
      if (t !== element && t !== hidden && name > maxName) maxName = name;
      const to = staging[p + oTo];
      const node = to / fileNf;
      if (to >= nodesLen || node !== Math.floor(node)) {
        this.problem ??= `edge #${i} points outside the node array (to_node ${to}, ${this.nodeCount} nodes of ${fileNf} fields)`;
        edges[q + 1] = 0;
      } else {
        edges[q + 1] = node;
      }
      types[i] = t;
      edges[q] = name;
    }
    this.i = i;
    this.maxName = maxName;
  }

  /** After the whole section: throws the first bad type or target; returns the largest string index a name used. */
  finish(): number {
    if (this.problem !== null) throw new SnapshotFormatError(this.problem);
    return this.maxName;
  }
}

/** Throws for the first node whose name is not a string index (call when maxName >= nStrings). */
export function checkNodeNames(nodes: Uint32Array, layout: Layout, nStrings: number): void {
  const nf = layout.nodeFieldCount;
  for (let n = 0, p = layout.nName; p < nodes.length; n++, p += nf) {
    if (nodes[p] >= nStrings) throw new SnapshotFormatError(`node #${n} names string ${nodes[p]}, but there are ${nStrings} strings`);
  }
}

/** Throws for the first named edge whose name is not a string index (call when the largest >= nStrings). */
export function checkEdgeNames(edges: Uint32Array, types: Uint8Array, layout: Layout, nStrings: number): void {
  const ef = layout.edgeFieldCount;
  const element = layout.edgeTypes.indexOf('element');
  const hidden = layout.edgeTypes.indexOf('hidden');
  for (let i = 0, p = layout.eNameOrIndex; i < types.length; i++, p += ef) {
    const t = types[i];
    if (t !== element && t !== hidden && edges[p] >= nStrings) {
      throw new SnapshotFormatError(`edge #${i} names string ${edges[p]}, but there are ${nStrings} strings`);
    }
  }
}

/** The checks that need the whole file: edge counts against meta, string indices against the strings count. */
export function checkTotals(
  nodes: Uint32Array,
  edges: Uint32Array,
  types: Uint8Array,
  layout: Layout,
  nStrings: number,
  checked: RecordsChecked,
): void {
  const edgeCount = types.length;
  if (checked.nodes.maxName >= nStrings) checkNodeNames(nodes, layout, nStrings);
  if (checked.nodes.edgeSum !== edgeCount) {
    throw new SnapshotFormatError(`the nodes' edge counts add up to ${checked.nodes.edgeSum}, but meta's edge_count is ${edgeCount}`);
  }
  if (checked.edgeMaxName >= nStrings) checkEdgeNames(edges, types, layout, nStrings);
}
