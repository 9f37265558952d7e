/**
 * Class names as a developer reads them (DevTools' Summary view, objgraph's type names): constructor names for
 * objects, plain objects named by their property set (`{id, user, data}`), and bracketed names for V8's own kinds
 * (`(string)`, `(closure)`, `(compiled code)`, ...).
 *
 * `classifyNodes` gives every node a class id in one pass, reusing one name per hidden class (object shape), so it
 * stays linear and allocation-light on tens of millions of nodes.
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

export function classifyNodes(snap: HeapSnapshot): Classification {
  const { nodeCount, nodes, nodeFieldCount: nf, strings } = snap;
  const oType = snap.layout.nType;
  const oName = snap.layout.nName;
  const classOf = new Uint32Array(nodeCount);
  const names: string[] = [];
  const byName = new Map<string, number>();
  const idOf = (name: string): number => {
    let id = byName.get(name);
    if (id === undefined) {
      id = names.length;
      names.push(name);
      byName.set(name, id);
    }
    return id;
  };
  const typeObject = snap.typeObject;
  const typeNative = snap.typeNative;
  const typeSynthetic = snap.typeSynthetic;
  const byType = snap.layout.nodeTypes.map((t) => idOf(TYPE_CLASS[t] ?? `(${t})`));
  const objectIdx = snap.v8.id(NAMES.Object);
  // per name string index: class id (+1; 0 = not yet)
  const byNameIndex = new Uint32Array(strings.length);
  // plain objects: named by their first property names. One name per hidden class is cached, checked against the
  // object's own property-name indices (dictionary-mode objects can share a map but not their keys).
  const byShape = new Map<number, { keys: number[]; id: number }>();
  const protoIdx = snap.v8.id(NAMES.proto);
  const mapIdx = snap.v8.id(NAMES.hiddenClass);
  const keys: number[] = [];
  const propertyKeys = (n: number): void => {
    keys.length = 0;
    for (let e = snap.firstEdge[n], end = snap.firstEdge[n + 1]; e < end && keys.length <= MAX_SHAPE_PROPERTIES; e++) {
      if (snap.edgeType(e) !== snap.edgeProperty) continue;
      const k = snap.edgeNameOrIndex(e);
      if (k !== protoIdx) keys.push(k);
    }
  };
  const sameKeys = (a: number[]): boolean => a.length === keys.length && a.every((k, i) => k === keys[i]);
  for (let n = 0, p = 0; n < nodeCount; n++, p += nf) {
    const type = nodes[p + oType];
    if (type === typeObject || type === typeNative || type === typeSynthetic) {
      const nameIdx = nodes[p + oName];
      if (type === typeObject && nameIdx === objectIdx) {
        const shapeEdge = snap.findEdgeByNameIndex(n, snap.edgeInternal, mapIdx);
        const shape = shapeEdge >= 0 ? snap.edgeTo(shapeEdge) : -1;
        propertyKeys(n);
        const cached = shape >= 0 ? byShape.get(shape) : undefined;
        if (cached && sameKeys(cached.keys)) {
          classOf[n] = cached.id;
          continue;
        }
        const id = idOf(propertySetName(snap, n));
        if (shape >= 0 && !cached) byShape.set(shape, { keys: keys.slice(), id });
        classOf[n] = id;
        continue;
      }
      let id = byNameIndex[nameIdx];
      if (id === 0) {
        id = idOf(strings[nameIdx]) + 1;
        byNameIndex[nameIdx] = id;
      }
      classOf[n] = id - 1;
    } else {
      classOf[n] = byType[type];
    }
  }
  return { classOf, names };
}
