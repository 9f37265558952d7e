import type { Layout, SnapshotHeader } from './layout.js';
import type { RawSnapshot } from './tokenizer.js';
import { V8Vocabulary } from './v8.js';
import { checkTotals } from './validate.js';
import { sortPairs } from './sort.js';
import { scriptPath } from '../../common/format.js';

export interface SourceLocation {
  /** script name (path or URL) when the snapshot names it, else `script#<id>` */
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
  scriptId: number;
  /** when read through a source map: the compiled position (file, line and column above are the original's) */
  compiled?: { file: string; line: number; column: number };
}

/** Reads compiled locations through source maps (src/common/sourcemaps.ts); `text` gives the script's source if known. */
export interface LocationMapper {
  map<T extends { file: string; line: number; column: number }>(
    loc: T,
    text?: () => string | null,
  ): T & { compiled?: { file: string; line: number; column: number } };
}

export class HeapSnapshot {
  readonly header: SnapshotHeader;
  readonly layout: Layout;
  readonly nodes: Uint32Array;
  readonly edges: Uint32Array;
  /** each edge's type (an index into layout.edgeTypes) */
  readonly edgeTypeOf: Uint8Array;
  readonly strings: string[];
  readonly locationsRaw: Uint32Array;
  readonly samples: Uint32Array;
  readonly traceFunctionInfos: Uint32Array;
  readonly traceTree: unknown[] | null;
  readonly warnings: string[];
  readonly byteLength: number;

  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly nodeFieldCount: number;
  readonly edgeFieldCount: number;
  /** forward CSR: edges of node n are firstEdge[n] .. firstEdge[n+1]-1 */
  readonly firstEdge: Uint32Array;
  readonly rootIndex = 0;

  // node type indices (-1 when the layout lacks the type)
  readonly typeHidden: number;
  readonly typeArray: number;
  readonly typeString: number;
  readonly typeObject: number;
  readonly typeCode: number;
  readonly typeClosure: number;
  readonly typeRegexp: number;
  readonly typeNumber: number;
  readonly typeNative: number;
  readonly typeSynthetic: number;
  readonly typeConsString: number;
  readonly typeSlicedString: number;
  readonly typeSymbol: number;
  readonly typeBigint: number;
  readonly typeObjectShape: number;
  // edge type indices
  readonly edgeContext: number;
  readonly edgeElement: number;
  readonly edgeProperty: number;
  readonly edgeInternal: number;
  readonly edgeHidden: number;
  readonly edgeShortcut: number;
  readonly edgeWeak: number;

  /** nodes that have a location, ascending, and where each one's record starts in locationsRaw (no Map: millions) */
  private locationNodes: Uint32Array | null = null;
  private locationAt: Uint32Array | null = null;
  private vocabulary: V8Vocabulary | null = null;
  private scriptNames: Map<number, string> | null = null;

  constructor(raw: RawSnapshot) {
    this.header = raw.header;
    this.layout = raw.layout;
    this.nodes = raw.nodes;
    this.edges = raw.edges;
    this.edgeTypeOf = raw.edgeTypeOf;
    this.firstEdge = raw.firstEdge;
    this.strings = raw.strings;
    this.locationsRaw = raw.locations;
    this.samples = raw.samples;
    this.traceFunctionInfos = raw.traceFunctionInfos;
    this.traceTree = raw.traceTree;
    this.warnings = raw.warnings;
    this.byteLength = raw.byteLength;
    const L = raw.layout;
    this.nodeFieldCount = L.nodeFieldCount;
    this.edgeFieldCount = L.edgeFieldCount;
    this.nodeCount = raw.nodes.length / L.nodeFieldCount;
    this.edgeCount = raw.edgeTypeOf.length;
    const nt = (name: string) => L.nodeTypes.indexOf(name);
    const et = (name: string) => L.edgeTypes.indexOf(name);
    this.typeHidden = nt('hidden');
    this.typeArray = nt('array');
    this.typeString = nt('string');
    this.typeObject = nt('object');
    this.typeCode = nt('code');
    this.typeClosure = nt('closure');
    this.typeRegexp = nt('regexp');
    this.typeNumber = nt('number');
    this.typeNative = nt('native');
    this.typeSynthetic = nt('synthetic');
    this.typeConsString = nt('concatenated string');
    this.typeSlicedString = nt('sliced string');
    this.typeSymbol = nt('symbol');
    this.typeBigint = nt('bigint');
    this.typeObjectShape = nt('object shape');
    this.edgeContext = et('context');
    this.edgeElement = et('element');
    this.edgeProperty = et('property');
    this.edgeInternal = et('internal');
    this.edgeHidden = et('hidden');
    this.edgeShortcut = et('shortcut');
    this.edgeWeak = et('weak');
    // the records were checked and indexed as they were read (validate.ts); what needs the strings count is left
    if (!raw.checked) throw new Error('the nodes and edges were not checked as they were read');
    checkTotals(this.nodes, this.edges, this.edgeTypeOf, L, this.strings.length, raw.checked);
  }

  /** What V8 and Node put in this heap, by name (v8.ts): built on first use. */
  get v8(): V8Vocabulary {
    this.vocabulary ??= new V8Vocabulary(this);
    return this.vocabulary;
  }

  // ---- node accessors (ordinal based) ----
  nodeType(n: number): number {
    return this.nodes[n * this.nodeFieldCount + this.layout.nType];
  }
  nodeTypeName(n: number): string {
    return this.layout.nodeTypes[this.nodeType(n)];
  }
  nodeName(n: number): string {
    return this.strings[this.nodes[n * this.nodeFieldCount + this.layout.nName]];
  }
  /** The node's name as an index into `strings` (compare with V8Vocabulary.id(name) without building a string). */
  nodeNameIndex(n: number): number {
    return this.nodes[n * this.nodeFieldCount + this.layout.nName];
  }
  nodeId(n: number): number {
    return this.nodes[n * this.nodeFieldCount + this.layout.nId];
  }
  selfSize(n: number): number {
    return this.nodes[n * this.nodeFieldCount + this.layout.nSelfSize];
  }
  traceNodeId(n: number): number {
    return this.layout.nTraceNodeId < 0 ? 0 : this.nodes[n * this.nodeFieldCount + this.layout.nTraceNodeId];
  }

  // ---- edge accessors (edge index based) ----
  edgeType(e: number): number {
    return this.edgeTypeOf[e];
  }
  edgeTypeName(e: number): string {
    return this.layout.edgeTypes[this.edgeType(e)];
  }
  edgeTo(e: number): number {
    return this.edges[e * this.edgeFieldCount + this.layout.eToNode];
  }
  edgeNameOrIndex(e: number): number {
    return this.edges[e * this.edgeFieldCount + this.layout.eNameOrIndex];
  }
  /** true when the edge's name is an index (element, hidden) rather than a string */
  edgeHasIndexName(e: number): boolean {
    const t = this.edgeType(e);
    return t === this.edgeElement || t === this.edgeHidden;
  }
  edgeName(e: number): string {
    const v = this.edgeNameOrIndex(e);
    return this.edgeHasIndexName(e) ? String(v) : this.strings[v];
  }

  /** Finds the first outgoing edge of `n` with the given type and name, or -1. */
  findEdge(n: number, type: number, name: string): number {
    for (let e = this.firstEdge[n], end = this.firstEdge[n + 1]; e < end; e++) {
      if (this.edgeType(e) === type && this.edgeName(e) === name) return e;
    }
    return -1;
  }

  /** Like findEdge, with the name given as a string index (no string compares in loops over many nodes). */
  findEdgeByNameIndex(n: number, type: number, nameIndex: number): number {
    if (nameIndex < 0) return -1;
    const { edges, edgeTypeOf, edgeFieldCount: ef } = this;
    const oName = this.layout.eNameOrIndex;
    for (let e = this.firstEdge[n], end = this.firstEdge[n + 1]; e < end; e++) {
      if (edgeTypeOf[e] === type && edges[e * ef + oName] === nameIndex) return e;
    }
    return -1;
  }

  // ---- source locations ----
  /** Set by whoever loads the snapshot to read locations through source maps (null: compiled locations). */
  locationMapper: LocationMapper | null = null;

  /**
   * The source location V8 recorded for this node (closures; objects: their constructor), or null; through the
   * source map of its script when there is one (the original position, with the compiled one in `compiled`).
   */
  location(n: number): SourceLocation | null {
    if (this.locationNodes === null) this.indexLocations();
    const nodesWith = this.locationNodes as Uint32Array;
    let lo = 0;
    let hi = nodesWith.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (nodesWith[mid] < n) lo = mid + 1;
      else hi = mid;
    }
    if (nodesWith.length === 0 || nodesWith[lo] !== n) return null;
    const at = (this.locationAt as Uint32Array)[lo];
    const L = this.layout;
    const raw = this.locationsRaw;
    const scriptId = raw[at + L.lScriptId];
    const loc: SourceLocation = {
      file: this.scriptName(scriptId) ?? `script#${scriptId}`,
      line: raw[at + L.lLine] + 1,
      column: raw[at + L.lColumn] + 1,
      scriptId,
    };
    return this.mapLocation(loc, () => {
      const script = this.v8.closureScript(n);
      return script >= 0 ? this.v8.scriptSource(script) : null;
    });
  }

  /** A location found in a compiled script (a declaration, a closure) read through its source map, if any. */
  mapLocation(loc: SourceLocation, text?: () => string | null): SourceLocation {
    return this.locationMapper ? this.locationMapper.map(loc, text) : loc;
  }

  /** Script path for a script id (file:// stripped), learned from closures: closure -shared-> SharedFunctionInfo -script-> Script. */
  scriptName(scriptId: number): string | undefined {
    if (this.scriptNames === null) this.indexLocations();
    return (this.scriptNames as Map<number, string>).get(scriptId);
  }

  private indexLocations(): void {
    const L = this.layout;
    const raw = this.locationsRaw;
    const names = new Map<number, string>();
    const nf = L.file.nodeFieldCount; // object_index is an offset into the file's node array
    const records = Math.floor(raw.length / L.locationFieldCount);
    let nodesWith = new Uint32Array(records);
    let atOf = new Uint32Array(records);
    let count = 0;
    let sorted = true;
    for (let at = 0; at + L.locationFieldCount <= raw.length; at += L.locationFieldCount) {
      const objectIndex = raw[at + L.lObjectIndex];
      if (objectIndex % nf !== 0 || objectIndex / nf >= this.nodeCount) continue;
      const n = objectIndex / nf;
      if (count > 0 && n <= nodesWith[count - 1]) sorted = false;
      nodesWith[count] = n;
      atOf[count] = at;
      count++;
      const scriptId = raw[at + L.lScriptId];
      if (!names.has(scriptId) && this.nodeType(n) === this.typeClosure) {
        const name = this.closureScriptName(n);
        if (name) names.set(scriptId, name);
      }
    }
    nodesWith = nodesWith.subarray(0, count);
    atOf = atOf.subarray(0, count);
    if (!sorted) {
      // V8 adds them as it meets the closures, not always in node order: sort by node (stable, typed arrays only:
      // millions of records), then a node listed twice keeps its last record, as a Map would
      sortPairs(nodesWith, atOf);
      let kept = 0;
      for (let k = 0; k < count; k++) {
        if (k + 1 < count && nodesWith[k + 1] === nodesWith[k]) continue;
        nodesWith[kept] = nodesWith[k];
        atOf[kept] = atOf[k];
        kept++;
      }
      nodesWith = nodesWith.slice(0, kept);
      atOf = atOf.slice(0, kept);
    }
    this.locationNodes = nodesWith;
    this.locationAt = atOf;
    this.scriptNames = names;
  }

  private closureScriptName(closure: number): string | null {
    const script = this.v8.closureScript(closure);
    return script < 0 ? null : scriptPath(this.nodeName(script)) || null;
  }
}
