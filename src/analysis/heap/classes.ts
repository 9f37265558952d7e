/**
 * Class names as a developer reads them (DevTools' Summary view, objgraph's type names): constructor names for
 * objects, plain objects named by their property set (`{id, user, data}`), and bracketed names for V8's own kinds
 * (`(string)`, `(closure)`, `(compiled code)`, ...).
 *
 * `classifyNodes` gives every node a class id in one pass (NodeClassifier: one node at a time), reusing one name per
 * hidden class (object shape), so it stays linear and allocation-light on tens of millions of nodes.
 */
import type { HeapSnapshot } from './snapshot.js';
import { NAMES, TYPE_CLASS } from './v8.js';

const MAX_SHAPE_PROPERTIES = 5;

/** Property names of a plain object, in edge order, as `{a, b, c, …}`. */
export function propertySetName(snap: HeapSnapshot, n: number): string {
  const names: string[] = [];
  let more = false;
  for (let e = snap.firstEdge[n], end = snap.firstEdge[n + 1]; e < end; e++) {
    if (snap.edgeType(e) !== snap.edgeProperty) continue;
    const name = snap.edgeName(e);
    if (snap.v8.isProtoName(name)) continue;
    if (names.length === MAX_SHAPE_PROPERTIES) {
      more = true;
      break;
    }
    names.push(name);
  }
  if (names.length === 0) return NAMES.Object;
  return `{${names.join(', ')}${more ? ', …' : ''}}`;
}

/** The class name of one node. */
export function className(snap: HeapSnapshot, n: number): string {
  const type = snap.nodeType(n);
  if (type === snap.typeObject) {
    const name = snap.nodeName(n);
    if (name === NAMES.Object) return propertySetName(snap, n);
    return name;
  }
  if (type === snap.typeNative || type === snap.typeSynthetic) return snap.nodeName(n);
  return TYPE_CLASS[snap.layout.nodeTypes[type]] ?? `(${snap.layout.nodeTypes[type]})`;
}

export interface Classification {
  /** class id of each node */
  classOf: Uint32Array;
  names: string[];
}

/**
 * Class ids one node at a time (ids in order of first use), for a pass that visits the nodes in its own order and
 * keeps no per-node array. `classifyNodes` runs it over every node.
 */
export class NodeClassifier {
  readonly names: string[] = [];
  private readonly byName = new Map<string, number>();
  private readonly byType: number[];
  private readonly objectIdx: number;
  private readonly protoIdx: number;
  private readonly mapIdx: number;
  /** per name string index: class id (+1; 0 = not yet) */
  private readonly byNameIndex: Uint32Array;
  /**
   * plain objects: named by their first property names. One name per hidden class is cached, checked against the
   * object's own property-name indices (dictionary-mode objects can share a map but not their keys).
   */
  private readonly byShape = new Map<number, { keys: number[]; id: number }>();
  private readonly keys: number[] = [];

  constructor(private readonly snap: HeapSnapshot) {
    this.byType = snap.layout.nodeTypes.map((t) => this.idOf(TYPE_CLASS[t] ?? `(${t})`));
    this.objectIdx = snap.v8.id(NAMES.Object);
    this.protoIdx = snap.v8.id(NAMES.proto);
    this.mapIdx = snap.v8.id(NAMES.hiddenClass);
    this.byNameIndex = new Uint32Array(snap.strings.length);
  }

  private idOf(name: string): number {
    let id = this.byName.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.byName.set(name, id);
    }
    return id;
  }

  /** The property-name indices of a plain object (into this.keys), up to one more than a name shows. */
  private propertyKeys(n: number): void {
    const { snap, keys } = this;
    keys.length = 0;
    for (let e = snap.firstEdge[n], end = snap.firstEdge[n + 1]; e < end && keys.length <= MAX_SHAPE_PROPERTIES; e++) {
      if (snap.edgeTypeOf[e] !== snap.edgeProperty) continue;
      const k = snap.edgeNameOrIndex(e);
      if (k !== this.protoIdx) keys.push(k);
    }
  }

  private sameKeys(a: number[]): boolean {
    const keys = this.keys;
    return a.length === keys.length && a.every((k, i) => k === keys[i]);
  }

  classOf(n: number): number {
    const snap = this.snap;
    const type = snap.nodeType(n);
    if (type !== snap.typeObject && type !== snap.typeNative && type !== snap.typeSynthetic) return this.byType[type];
    const nameIdx = snap.nodeNameIndex(n);
    if (type === snap.typeObject && nameIdx === this.objectIdx) {
      const shapeEdge = snap.findEdgeByNameIndex(n, snap.edgeInternal, this.mapIdx);
      const shape = shapeEdge >= 0 ? snap.edgeTo(shapeEdge) : -1;
      this.propertyKeys(n);
      const cached = shape >= 0 ? this.byShape.get(shape) : undefined;
      if (cached && this.sameKeys(cached.keys)) return cached.id;
      const id = this.idOf(propertySetName(snap, n));
      if (shape >= 0 && !cached) this.byShape.set(shape, { keys: this.keys.slice(), id });
      return id;
    }
    let id = this.byNameIndex[nameIdx];
    if (id === 0) {
      id = this.idOf(snap.strings[nameIdx]) + 1;
      this.byNameIndex[nameIdx] = id;
    }
    return id - 1;
  }
}

export function classifyNodes(snap: HeapSnapshot): Classification {
  const classifier = new NodeClassifier(snap);
  const classOf = new Uint32Array(snap.nodeCount);
  for (let n = 0; n < snap.nodeCount; n++) classOf[n] = classifier.classOf(n);
  return { classOf, names: classifier.names };
}
