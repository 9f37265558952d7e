/**
 * The vocabulary of V8's and Node's internals as heap snapshots spell them — the one place where those names are
 * written down (a test fails when one appears as a literal anywhere else in src/).
 *
 * The snapshot *format* (meta's field and type names: `object`, `closure`, `property`, `weak` …) belongs to the
 * engine (layout.ts, snapshot.ts). This module knows what V8 and Node put *in* a heap: the objects they name
 * `system / Context` or `Timeout`, the internal edges `context`, `table`, `scope_info`, the ephemeron edge names of
 * WeakMaps, the slot strides of hash tables. When a Node release moves a field, this file is what changes.
 *
 * `snap.v8` (one per snapshot, built on first use) answers questions about nodes; the names' string indices are
 * looked up once each, lazily, so a name that no detector asks about costs nothing.
 */

/** Names V8 and Node give to nodes and internal edges. */
export const NAMES = {
  // V8 objects
  /** prefix of V8's internal object names (`system / Context`, `system / PromiseReaction`, …) */
  systemPrefix: 'system /',
  context: 'system / Context',
  /** a deleted hash-table slot: V8 12–13 (Node 22, 24) write the_hole as this node, with an edge to it per slot */
  hole: 'system / Hole',
  promiseReaction: 'system / PromiseReaction',
  /** the outer scope of a module's or a script's top level */
  moduleOuterContext: /NativeContext|ScriptContext/,
  stackRoots: '(Stack roots)',
  // V8 internal edges
  closureContext: 'context',
  boundFunction: 'bound_function',
  shared: 'shared',
  scriptOfShared: ['script_or_debug_info', 'script'],
  scriptSource: 'source',
  scopeInfo: 'scope_info',
  outerScope: 'previous',
  hashTable: 'table',
  hiddenClass: 'map',
  proto: '__proto__',
  constructorProperty: 'constructor',
  promiseReactions: 'reactions_or_result',
  // JavaScript's own classes as V8 names their instances
  Map: 'Map',
  Set: 'Set',
  Array: 'Array',
  Object: 'Object',
  Promise: 'Promise',
  // V8: an ES module's exported binding is a Cell (its `value`), kept in the module's exports table beside its name
  cell: 'system / Cell',
  cellValue: 'value',
  // Node internals: lib/internal/modules/cjs/loader.js — a CommonJS module's record and its exports object
  cjsModule: 'Module',
  moduleExports: 'exports',
  moduleFilename: 'filename',
  // Node internals: lib/internal/timers.js, lib/events.js
  timeout: 'Timeout',
  timeoutRepeat: '_repeat',
  timeoutCallback: '_onTimeout',
  /** set by clearInterval / clearTimeout (read in a live target by the census of `attach --no-snapshot`) */
  timeoutDestroyed: '_destroyed',
  emitterEvents: '_events',
  // Node internals: lib/internal/event_target.js (EventTarget, AbortSignal, MessagePort, BroadcastChannel): the
  // target's `kEvents` Map holds, per event type, a root object whose `next` starts a linked list of Listener
  // objects; each keeps the function as `listener` and `callback` (a WeakRef for Node's own weak listeners)
  eventTargetEvents: '<symbol kEvents>',
  eventListener: 'Listener',
  /** an AbortSignal's own field: Node 20 creates signals as EventTargets, so V8 names them `EventTarget` */
  abortSignalAborted: '<symbol kAborted>',
  AbortSignal: 'AbortSignal',
  listenerNext: 'next',
  listenerFunction: ['listener', 'callback'],
  // V8: an ArrayBuffer's memory outside the JS heap (a native node, self size = byte length), reached from the
  // ArrayBuffer by an internal edge; a typed array (a Buffer) reaches its ArrayBuffer by `buffer`
  arrayBufferData: 'system / JSArrayBufferData',
  backingStore: 'backing_store',
  viewBuffer: 'buffer',
  ArrayBuffer: 'ArrayBuffer',
  /** lib/buffer.js's current pool block (a module variable, so a context edge): Buffer.poolSize bytes, or a bit more */
  bufferPool: 'allocPool',
} as const;

/** Slots per entry in V8's OrderedHashMap (key, value, chain) and OrderedHashSet (key, chain) tables. */
export const TABLE_STRIDE = { Map: 3, Set: 2 } as const;
/**
 * V8 writes a string's text into a snapshot cut at this many characters (its names storage's limit): a script's
 * source longer than that is only its first 1 KB there, so its declarations further down must be read elsewhere.
 */
export const SNAPSHOT_STRING_LIMIT = 1024;

/** Was this string cut by the snapshot (see SNAPSHOT_STRING_LIMIT)? */
export function isCutBySnapshot(text: string): boolean {
  return text.length >= SNAPSHOT_STRING_LIMIT;
}

/** OrderedHashTable's FixedArray: its header (map, length), slot size, and the slots before the buckets */
const TABLE_HEADER_BYTES = 16;
const TABLE_SLOT_BYTES = 8;
const TABLE_PREFIX_SLOTS = 3;

/** The classes whose instances are containers a program fills (a holder of these is a growing collection). */
export const COLLECTION_CLASSES: ReadonlySet<string> = new Set(['Map', 'Set', 'Array', 'Object', 'WeakMap', 'WeakSet']);

/** What an unnamed function is called in reports. */
export const ANONYMOUS = '(anonymous)';

/** Class names for the node types that have no constructor (DevTools' Summary view spells them the same way). */
export const TYPE_CLASS: Readonly<Record<string, string>> = {
  hidden: '(system)',
  code: '(compiled code)',
  string: '(string)',
  'concatenated string': '(concatenated string)',
  'sliced string': '(sliced string)',
  number: '(number)',
  regexp: '(regexp)',
  symbol: '(symbol)',
  bigint: '(bigint)',
  'object shape': '(object shape)',
  closure: '(closure)',
  array: '(array)',
};

/** Classes whose growth is V8's business (JIT code, shapes, feedback, boxed numbers), not the program's. */
export function isV8InternalClass(name: string): boolean {
  return (
    name === TYPE_CLASS.code ||
    name === TYPE_CLASS.hidden ||
    name === TYPE_CLASS['object shape'] ||
    name === TYPE_CLASS.number ||
    name.startsWith(NAMES.systemPrefix)
  );
}

/**
 * A WeakMap's ephemeron edge: V8 names the internal edge from both the key and the backing table to the value
 * "part of key (K @k) -> value (V @v) pair in WeakMap (table @t)". Returns the table's node id, or 0 for any other
 * name.
 */
const EPHEMERON_PREFIX = 'part of key (';
const EPHEMERON_TABLE = /\(table @(\d+)\)$/;
export function ephemeronTableId(edgeName: string): number {
  if (edgeName.length <= EPHEMERON_PREFIX.length || !edgeName.startsWith(EPHEMERON_PREFIX)) return 0;
  const m = EPHEMERON_TABLE.exec(edgeName);
  return m ? Number(m[1]) : 0;
}

/**
 * What the vocabulary reads of a snapshot (HeapSnapshot has it all): declared here, so that the engine's snapshot
 * may build its vocabulary without the two modules importing each other.
 */
export interface SnapshotAccess {
  readonly strings: string[];
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
  readonly edgeContext: number;
  readonly edgeElement: number;
  readonly edgeProperty: number;
  readonly edgeInternal: number;
  readonly edgeHidden: number;
  readonly edgeShortcut: number;
  readonly edgeWeak: number;
  nodeType(n: number): number;
  nodeName(n: number): string;
  nodeNameIndex(n: number): number;
  selfSize(n: number): number;
  edgeTo(e: number): number;
  edgeName(e: number): string;
  findEdgeByNameIndex(n: number, type: number, nameIndex: number): number;

  edgeHasIndexName(e: number): boolean;
  edgeNameOrIndex(e: number): number;
  edgeType(e: number): number;
  findEdge(n: number, type: number, name: string): number;
  readonly firstEdge: Uint32Array;
  readonly rootIndex: number;
  readonly nodeCount: number;
}

/** Node keeps `process.version` as a string in the heap: `Node v20.11.1`, or null. */
export function runtimeVersion(strings: readonly string[]): string | null {
  const versionRe = /^v(\d{1,2})\.\d{1,3}\.\d{1,3}$/;
  for (const s of strings) {
    if (s.length <= 12 && versionRe.test(s)) {
      const major = Number(versionRe.exec(s)?.[1]);
      if (major >= 12 && major <= 40) return `Node ${s}`;
    }
  }
  return null;
}

type Name = Exclude<(typeof NAMES)[keyof typeof NAMES], RegExp | readonly string[]>;

export class V8Vocabulary {
  private readonly ids = new Map<string, number>();

  constructor(private readonly snap: SnapshotAccess) {}

  /** The string index of a name, or -1 when the snapshot never uses it (looked up once per name). */
  id(name: Name | string): number {
    let i = this.ids.get(name);
    if (i === undefined) {
      i = this.snap.strings.indexOf(name);
      this.ids.set(name, i);
    }
    return i;
  }

  /** The outgoing internal edge named `name` of `n`, followed: its target, or -1. */
  private internal(n: number, name: string): number {
    const e = this.snap.findEdgeByNameIndex(n, this.snap.edgeInternal, this.id(name));
    return e < 0 ? -1 : this.snap.edgeTo(e);
  }

  // ---- what a node is ----

  /** A closure scope (V8 Context). */
  isContext(n: number): boolean {
    return this.snap.nodeName(n) === NAMES.context;
  }

  /** One of V8's internal objects (`system / …`), Contexts included. */
  isSystemObject(n: number): boolean {
    return this.snap.nodeName(n).startsWith(NAMES.systemPrefix);
  }

  /** the_hole (a deleted Map/Set entry's key and value on Node 22 and 24): never an entry, never a holder */
  isHole(n: number): boolean {
    return this.snap.nodeNameIndex(n) === this.id(NAMES.hole);
  }

  /** V8's storage kinds: internal (hidden) nodes, code, object shapes and backing arrays (FixedArray & co). */
  isStorageType(type: number): boolean {
    const s = this.snap;
    return type === s.typeHidden || type === s.typeArray || type === s.typeCode || type === s.typeObjectShape;
  }

  /**
   * V8's own structures, never a holder by themselves: a Map's hash table, an array's backing store, shapes, code,
   * and `system / …` objects — but not a Context, which is the program's closure scope.
   */
  isV8Internal(n: number): boolean {
    const t = this.snap.nodeType(n);
    if (this.isStorageType(t)) return true;
    return t === this.snap.typeObject && this.isSystemObject(n) && !this.isContext(n);
  }

  /** Node kinds a developer counts as objects (not code, shapes, V8's storage). */
  isCountableType(type: number): boolean {
    const s = this.snap;
    return (
      type === s.typeObject ||
      type === s.typeArray ||
      type === s.typeClosure ||
      type === s.typeString ||
      type === s.typeConsString ||
      type === s.typeSlicedString ||
      type === s.typeRegexp ||
      type === s.typeNative ||
      type === s.typeBigint
    );
  }

  /** Objects a developer recognises as theirs: not V8 internals, not roots, not the global object. */
  isUserObject(n: number): boolean {
    const s = this.snap;
    const t = s.nodeType(n);
    if (t !== s.typeObject && t !== s.typeArray && t !== s.typeClosure && t !== s.typeNative && t !== s.typeString && t !== s.typeRegexp)
      return false;
    const name = s.nodeName(n);
    if (
      t === s.typeObject &&
      (name.startsWith(NAMES.systemPrefix) || name === 'global' || name === 'Window' || name.startsWith('global /'))
    )
      return false;
    return true;
  }

  /** A function's name as reports print it. */
  functionName(closure: number): string {
    return this.snap.nodeName(closure) || ANONYMOUS;
  }

  // ---- closures and scopes ----

  /** Is `e` (a retaining edge from `from`) a closure's link to its scope? */
  isScopeEdge(from: number, e: number): boolean {
    return this.snap.nodeType(from) === this.snap.typeClosure && this.snap.edgeName(e) === NAMES.closureContext;
  }

  /** The closure's scope (its Context), or -1. */
  closureContext(closure: number): number {
    return this.internal(closure, NAMES.closureContext);
  }

  /** A bound function's target, or the closure itself. */
  unbind(closure: number): number {
    const t = this.internal(closure, NAMES.boundFunction);
    return t < 0 ? closure : t;
  }

  /**
   * A block's scope (the braces of an if, a loop, a class body): V8 writes a declaration scope's variables as
   * `context` edges named by the variable, but a block context's slots as numbered hidden edges. A context with
   * numbered hidden edges and no named variable is a block's.
   */
  isBlockContext(ctx: number): boolean {
    if (!this.isContext(ctx)) return false;
    const s = this.snap;
    let hidden = false;
    for (let e = s.firstEdge[ctx], end = s.firstEdge[ctx + 1]; e < end; e++) {
      const t = s.edgeType(e);
      if (t === s.edgeContext) return false;
      if (t === s.edgeHidden) hidden = true;
    }
    return hidden;
  }

  /**
   * The variable a block context's numbered slot `e` holds, from the block's ScopeInfo, which lists the
   * context-allocated variable names in slot order. Slot k is the k-th name only when every name has a slot number
   * (no variable holds a small integer: those have no edge, and V8 then numbers the slots without them); otherwise
   * the slot cannot be named for sure and null is returned.
   */
  blockVariableName(ctx: number, e: number): string | null {
    const s = this.snap;
    if (s.edgeType(e) !== s.edgeHidden || !this.isBlockContext(ctx)) return null;
    const si = this.scopeInfo(ctx);
    if (si < 0) return null;
    const names: string[] = [];
    for (let f = s.firstEdge[si], end = s.firstEdge[si + 1]; f < end; f++) {
      if (s.edgeType(f) === s.edgeHidden && s.nodeType(s.edgeTo(f)) === s.typeString) names.push(s.nodeName(s.edgeTo(f)));
    }
    let maxSlot = -1;
    for (let f = s.firstEdge[ctx], end = s.firstEdge[ctx + 1]; f < end; f++)
      if (s.edgeType(f) === s.edgeHidden) maxSlot = Math.max(maxSlot, s.edgeNameOrIndex(f));
    const slot = s.edgeNameOrIndex(e);
    // the last slot is the last name: every name is accounted for, whatever holds an oddball in between
    return maxSlot === names.length - 1 && slot < names.length ? names[slot] : null;
  }

  /** A Context's ScopeInfo, or -1. */
  scopeInfo(ctx: number): number {
    return this.internal(ctx, NAMES.scopeInfo);
  }

  /** Is this Context a module's or a script's top level (its outer scope the native or script context)? */
  isTopLevelContext(ctx: number): boolean {
    const outer = this.internal(ctx, NAMES.outerScope);
    return outer >= 0 && NAMES.moduleOuterContext.test(this.snap.nodeName(outer));
  }

  /** The Script node of a closure (closure -shared-> SharedFunctionInfo -script-> Script), or -1. */
  closureScript(closure: number): number {
    const s = this.snap;
    const sfi = this.internal(closure, NAMES.shared);
    if (sfi < 0) return -1;
    for (const name of NAMES.scriptOfShared) {
      const script = this.internal(sfi, name);
      if (script >= 0 && s.nodeType(script) === s.typeCode && s.nodeName(script)) return script;
    }
    return -1;
  }

  /** Is this node a Script with its source attached? */
  isScript(n: number): boolean {
    return (
      this.snap.nodeType(n) === this.snap.typeCode &&
      this.snap.findEdgeByNameIndex(n, this.snap.edgeInternal, this.id(NAMES.scriptSource)) >= 0
    );
  }

  /** The source text V8 keeps for a Script node, when the snapshot has it as a plain string. */
  scriptSource(script: number): string | null {
    const s = this.snap;
    const src = this.internal(script, NAMES.scriptSource);
    return src >= 0 && s.nodeType(src) === s.typeString ? s.nodeName(src) : null;
  }

  /** The `(Stack roots)` group under the GC roots, or -1. */
  stackRoots(): number {
    const s = this.snap;
    const root = s.rootIndex;
    for (let e = s.firstEdge[root], end = s.firstEdge[root + 1]; e < end; e++) {
      const gcRoots = s.edgeTo(e);
      for (let f = s.firstEdge[gcRoots], fend = s.firstEdge[gcRoots + 1]; f < fend; f++) {
        const t = s.edgeTo(f);
        if (s.nodeType(t) === s.typeSynthetic && s.nodeName(t) === NAMES.stackRoots) return t;
      }
    }
    return -1;
  }

  // ---- ES modules ----

  /**
   * The exported name of an ES module's binding: `cell` (a `system / Cell`) reached from `table` (the module's
   * exports hash table) by the slot `intoCell`; the table keeps the name in the slot before, as a Map its key.
   * Null for any other step.
   */
  cellExportName(
    cell: number,
    table: number,
    intoCell: number,
    retainers?: { firstRetainer: Uint32Array; retainingNodes: Uint32Array; edge(n: number, r: number): number },
  ): string | null {
    const s = this.snap;
    if (s.nodeNameIndex(cell) !== this.id(NAMES.cell)) return null;
    const name = (t: number, e: number) => {
      const key = this.tableKey(t, e);
      return key >= 0 && s.nodeType(key) === s.typeString ? s.nodeName(key) : null;
    };
    if (table >= 0) {
      const direct = name(table, intoCell);
      if (direct !== null) return direct;
    }
    // reached through an importing module's list of imported cells (no names there): the exporting module's
    // table also holds the cell, beside its name
    if (!retainers) return null;
    for (let r = retainers.firstRetainer[cell], end = retainers.firstRetainer[cell + 1]; r < end; r++) {
      const from = retainers.retainingNodes[r];
      if (from === table || s.nodeType(from) !== s.typeArray) continue;
      const found = name(from, retainers.edge(cell, r));
      if (found !== null) return found;
    }
    return null;
  }

  // ---- CommonJS modules ----

  /** A CommonJS module's record (Module: its `exports`, `filename`, `children`). */
  isModuleRecord(n: number): boolean {
    return this.moduleRecordFile(n) !== null;
  }

  /** The file of a CommonJS module's record (its `filename`), or null for any other node. */
  moduleRecordFile(n: number): string | null {
    const s = this.snap;
    if (s.nodeType(n) !== s.typeObject || s.nodeNameIndex(n) !== this.id(NAMES.cjsModule)) return null;
    const e = s.findEdgeByNameIndex(n, s.edgeProperty, this.id(NAMES.moduleFilename));
    return e < 0 ? null : s.nodeName(s.edgeTo(e));
  }

  /**
   * The file of the CommonJS module whose `module.exports` is `obj` (a Module record keeps it as `exports`, and its
   * path as `filename`), or null.
   */
  exportsModuleFile(obj: number, retainers: { firstRetainer: Uint32Array; retainingNodes: Uint32Array }): string | null {
    const s = this.snap;
    for (let r = retainers.firstRetainer[obj], end = retainers.firstRetainer[obj + 1]; r < end; r++) {
      const m = retainers.retainingNodes[r];
      if (s.nodeName(m) !== NAMES.cjsModule || s.nodeType(m) !== s.typeObject) continue;
      const ex = s.findEdgeByNameIndex(m, s.edgeProperty, this.id(NAMES.moduleExports));
      if (ex < 0 || s.edgeTo(ex) !== obj) continue;
      const fe = s.findEdgeByNameIndex(m, s.edgeProperty, this.id(NAMES.moduleFilename));
      return fe < 0 ? null : s.nodeName(s.edgeTo(fe));
    }
    return null;
  }

  // ---- collections ----

  /** A Map's or Set's backing OrderedHashTable (its internal `table` edge), or -1. */
  collectionTable(collection: number): number {
    return this.internal(collection, NAMES.hashTable);
  }

  /**
   * Where a Map's or Set's OrderedHashTable keeps its entries: the table is a FixedArray of [element count, deleted
   * count, bucket count, buckets…, entries…] with two entries per bucket, `stride` slots each (key, value, chain).
   * Only object slots have edges (named by index), so the bucket count is read off the table's size: 16 bytes of
   * header and 8 per slot (Node's builds: no pointer compression). Returns the index of the first entry's key, or
   * -1 when the size does not fit that layout (then keys and values cannot be told apart by position).
   */
  tableEntriesStart(table: number, stride: number): number {
    const slots = (this.snap.selfSize(table) - TABLE_HEADER_BYTES) / TABLE_SLOT_BYTES - TABLE_PREFIX_SLOTS;
    const buckets = slots / (1 + 2 * stride);
    if (!Number.isInteger(buckets) || buckets < 1 || (buckets & (buckets - 1)) !== 0) return -1;
    return TABLE_PREFIX_SLOTS + buckets;
  }

  /**
   * The key of the Map entry whose value `valueEdge` (an edge out of the Map's table) holds: the slot before it,
   * when the key is a heap object (a string, a heap number, an object); -1 for a small-integer key (no edge).
   */
  tableKey(table: number, valueEdge: number): number {
    const s = this.snap;
    const slot = Number(s.edgeName(valueEdge));
    if (!Number.isInteger(slot) || slot < 1) return -1;
    const keyName = String(slot - 1);
    for (let e = s.firstEdge[table], end = s.firstEdge[table + 1]; e < end; e++) {
      if (e !== valueEdge && s.edgeType(e) === s.edgeType(valueEdge) && s.edgeName(e) === keyName) return s.edgeTo(e);
    }
    return -1;
  }

  /** Is edge `e` a V8 bookkeeping slot of a table or object (its hidden class, its prototype), not an entry? */
  isBookkeepingEdge(e: number): boolean {
    const name = this.snap.edgeName(e);
    return name === NAMES.hiddenClass || name === NAMES.proto;
  }

  /** Is this edge name a hidden class slot (`map`)? */
  isHiddenClassName(name: string): boolean {
    return name === NAMES.hiddenClass;
  }

  /** Is this property name the prototype link (`__proto__`)? */
  isProtoName(name: string): boolean {
    return name === NAMES.proto;
  }

  // ---- promises ----

  /**
   * A promise that has not settled: V8 keeps a promise's reactions (while pending with handlers) or its result in
   * `reactions_or_result`; a pending promise without handlers has no such edge (a small-integer result has none
   * either). The Promise constructor's prototype object is also named Promise: it has a `constructor` property.
   */
  isPendingPromise(n: number): boolean {
    const s = this.snap;
    if (s.findEdge(n, s.edgeProperty, NAMES.constructorProperty) >= 0) return false;
    const r = s.findEdgeByNameIndex(n, s.edgeInternal, this.id(NAMES.promiseReactions));
    return r < 0 || s.nodeName(s.edgeTo(r)) === NAMES.promiseReaction;
  }

  // ---- Node: timers and emitters ----

  /**
   * The callback of a repeating Timeout (setInterval), or -1 for a one-shot or cleared one. A Timeout repeats when
   * its `_repeat` field holds a number: V8 writes no edge for a small integer, so a Timeout with no `_repeat`
   * property edge (or one to a heap number) is an interval; setTimeout's `_repeat` is null.
   */
  intervalCallback(timeout: number): number {
    const s = this.snap;
    const repeat = s.findEdge(timeout, s.edgeProperty, NAMES.timeoutRepeat);
    if (repeat >= 0 && s.nodeType(s.edgeTo(repeat)) !== s.typeNumber) return -1;
    const cb = s.findEdge(timeout, s.edgeProperty, NAMES.timeoutCallback);
    if (cb < 0) return -1;
    const callback = s.edgeTo(cb);
    return s.nodeType(callback) === s.typeClosure ? callback : -1;
  }

  /**
   * An EventTarget's listeners (AbortSignal, MessagePort, BroadcastChannel, any EventTarget): calls
   * visit(type, listeners, root) per event type with the Listener objects of its list, in the order they were
   * added, and the list's root (which holds the whole list).
   */
  eventTargetListeners(target: number, visit: (type: string, listeners: number[], root: number) => void): void {
    const s = this.snap;
    const ev = s.findEdgeByNameIndex(target, s.edgeProperty, this.id(NAMES.eventTargetEvents));
    if (ev < 0) return;
    const table = this.collectionTable(s.edgeTo(ev));
    if (table < 0) return;
    const listenerName = this.id(NAMES.eventListener);
    const nextName = this.id(NAMES.listenerNext);
    // the Map's table: a key (the type, a string) at slot k, its value (the list's root) at slot k + 1
    const bySlot = new Map<number, number>();
    for (let e = s.firstEdge[table], end = s.firstEdge[table + 1]; e < end; e++) {
      if (s.edgeHasIndexName(e) || s.edgeType(e) === s.edgeInternal) {
        const slot = Number(s.edgeName(e));
        if (Number.isInteger(slot)) bySlot.set(slot, s.edgeTo(e));
      }
    }
    for (const [slot, key] of bySlot) {
      if (s.nodeType(key) !== s.typeString && s.nodeType(key) !== s.typeConsString) continue;
      const root = bySlot.get(slot + 1);
      if (root === undefined || s.nodeType(root) !== s.typeObject || this.isHole(root)) continue;
      const listeners: number[] = [];
      const seen = new Set<number>([root]);
      let at = root;
      for (;;) {
        const next = s.findEdgeByNameIndex(at, s.edgeProperty, nextName);
        if (next < 0) break;
        const l = s.edgeTo(next);
        if (seen.has(l) || s.nodeNameIndex(l) !== listenerName) break;
        seen.add(l);
        listeners.push(l);
        at = l;
      }
      visit(s.nodeName(key), listeners, root);
    }
  }

  /** An event target's class as a user knows it: an AbortSignal that V8 names `EventTarget` (Node 20) is one. */
  eventTargetClass(target: number): string {
    const s = this.snap;
    const name = s.nodeName(target);
    if (name === NAMES.AbortSignal) return name;
    return s.findEdgeByNameIndex(target, s.edgeProperty, this.id(NAMES.abortSignalAborted)) >= 0 ? NAMES.AbortSignal : name;
  }

  /** The function a Listener calls (bound functions unwrapped), or -1 (a weak listener whose function is gone). */
  listenerFunction(listener: number): number {
    const s = this.snap;
    for (const name of NAMES.listenerFunction) {
      const e = s.findEdge(listener, s.edgeProperty, name);
      if (e >= 0 && s.nodeType(s.edgeTo(e)) === s.typeClosure) return this.unbind(s.edgeTo(e));
    }
    return -1;
  }

  // ---- memory outside the JS heap ----

  /** Is this node an ArrayBuffer's backing store (its bytes outside the JS heap)? */
  isArrayBufferData(n: number): boolean {
    return this.snap.nodeNameIndex(n) === this.id(NAMES.arrayBufferData) && this.snap.nodeType(n) === this.snap.typeNative;
  }

  /** A typed array's (a Buffer's) ArrayBuffer, or -1. */
  viewBuffer(view: number): number {
    const s = this.snap;
    const e = s.findEdgeByNameIndex(view, s.edgeInternal, this.id(NAMES.viewBuffer));
    if (e < 0) return -1;
    const b = s.edgeTo(e);
    return s.nodeNameIndex(b) === this.id(NAMES.ArrayBuffer) ? b : -1;
  }

  /** An ArrayBuffer's backing store node, or -1 (empty or detached). */
  backingStore(arrayBuffer: number): number {
    const d = this.internal(arrayBuffer, NAMES.backingStore);
    return d >= 0 && this.isArrayBufferData(d) ? d : -1;
  }

  private pool: { store: number; size: number } | null = null;

  /** The backing store of Buffer's current pool block, or -1 (found once: lib/buffer.js's `allocPool`). */
  bufferPoolStore(): number {
    return this.findPool().store;
  }

  /** The size of the process's Buffer-pool blocks (bytes), or 0 when the snapshot does not show the pool. */
  bufferPoolBlockSize(): number {
    return this.findPool().size;
  }

  private findPool(): { store: number; size: number } {
    if (this.pool) return this.pool;
    const s = this.snap;
    const name = this.id(NAMES.bufferPool);
    this.pool = { store: -1, size: 0 };
    if (name < 0) return this.pool;
    const context = this.id(NAMES.context);
    for (let n = 0; n < s.nodeCount && this.pool.store < 0; n++) {
      if (s.nodeNameIndex(n) !== context) continue;
      const e = s.findEdgeByNameIndex(n, s.edgeContext, name);
      if (e < 0) continue;
      const b = s.edgeTo(e);
      if (s.nodeNameIndex(b) !== this.id(NAMES.ArrayBuffer)) continue;
      const store = this.backingStore(b);
      if (store >= 0) this.pool = { store, size: s.selfSize(store) };
    }
    return this.pool;
  }

  /** An EventEmitter's `_events` object, or -1. */
  emitterEvents(emitter: number): number {
    const s = this.snap;
    const e = s.findEdgeByNameIndex(emitter, s.edgeProperty, this.id(NAMES.emitterEvents));
    return e < 0 ? -1 : s.edgeTo(e);
  }
}
