/**
 * The one rule for "does this edge keep its target alive?" shared by dominators, distances and retainer paths.
 *
 * - weak edges do not retain;
 * - shortcut edges retain only from the root (V8 uses root shortcuts to mark user roots; elsewhere they duplicate
 *   a real path);
 * - a WeakMap's backing table does not retain its values: V8 writes an internal edge named
 *   "part of key (K @k) -> value (V @v) pair in WeakMap (table @t)" from both the key and the table to the value;
 *   only the key's edge is real (the value lives while the key does).
 */
import type { HeapSnapshot } from '../heap/snapshot.js';

const EPHEMERON_PREFIX = 'part of key (';
const TABLE_ID = /\(table @(\d+)\)$/;

export class EdgeRule {
  readonly weak: number;
  readonly shortcut: number;
  readonly internal: number;
  readonly root: number;
  /** string index -> id of the WeakMap table named in an ephemeron edge name (0 = not such a name); null if none */
  readonly ephemeronTable: Uint32Array | null;

  constructor(private readonly snap: HeapSnapshot) {
    this.weak = snap.edgeWeak;
    this.shortcut = snap.edgeShortcut;
    this.internal = snap.edgeInternal;
    this.root = snap.rootIndex;
    let table: Uint32Array | null = null;
    const strings = snap.strings;
    for (let i = 0; i < strings.length; i++) {
      const s = strings[i];
      if (s.length > EPHEMERON_PREFIX.length && s.startsWith(EPHEMERON_PREFIX)) {
        const m = TABLE_ID.exec(s);
        if (m) {
          table ??= new Uint32Array(strings.length);
          table[i] = Number(m[1]);
        }
      }
    }
    this.ephemeronTable = table;
  }

  /** Is edge `e` (an outgoing edge of node `from`) one that keeps its target alive? */
  isEssential(from: number, e: number): boolean {
    const snap = this.snap;
    const p = e * snap.edgeFieldCount;
    const type = snap.edges[p + snap.layout.eType];
    if (type === this.weak) return false;
    if (type === this.shortcut) return from === this.root;
    if (type === this.internal && this.ephemeronTable !== null) {
      const tableId = this.ephemeronTable[snap.edges[p + snap.layout.eNameOrIndex]];
      if (tableId !== 0 && tableId === snap.nodeId(from)) return false;
    }
    return true;
  }
}
