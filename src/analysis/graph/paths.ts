/**
 * Shortest retainer paths from the GC roots, and their readable form.
 *
 * The path follows BFS distances backwards (so it is cycle-safe: the distance drops by one at every step), only
 * through retaining edges, and among equally short choices prefers named property / context-variable edges, then
 * array elements, then V8-internal edges.
 */
import { className } from '../heap/classes.js';
import type { HeapSnapshot, SourceLocation } from '../heap/snapshot.js';
import { pathText, shortFile } from '../../common/format.js';
import { ANONYMOUS, NAMES } from '../heap/v8.js';
import { NO_DISTANCE } from './distances.js';
import type { HeapGraph } from './heap-graph.js';

export interface PathStep {
  node: number;
  /** the edge from the previous step's node into this one; -1 for the first step (the root) */
  edge: number;
}

export interface ReadableStep {
  /** how the step reads, e.g. `sessions (Map)`, `module app.js`, `(GC roots)` */
  text: string;
  /** edge name: property or variable name, `[index]`, or V8's internal name; null for the first step */
  edge: string | null;
  edgeType: string | null;
  className: string;
  nodeId: number;
  location: SourceLocation | null;
  /** true for V8 plumbing that the one-line form folds into `…` */
  internal: boolean;
  /** a scope (module or function) of the program's own code: the printed path starts at the first one */
  programScope?: boolean;
  /** for a scope (a closure scope, a CommonJS module record): the script it belongs to, when known */
  scopeFile?: string;
}

export interface ReadablePath {
  steps: ReadableStep[];
  /** one line: `(GC roots) → (Global handles) → … → module app.js → sessions (Map) → table` */
  text: string;
}

export function shortestRetainerPath(graph: HeapGraph, node: number): PathStep[] | null {
  const snap = graph.snap;
  const dist = graph.distances;
  if (dist[node] === NO_DISTANCE) return null;
  const retainers = graph.retainers;
  const { firstRetainer, retainingNodes } = retainers;
  const steps: PathStep[] = [];
  let cur = node;
  while (cur !== snap.rootIndex) {
    const want = dist[cur] - 1;
    let best = -1;
    let bestEdge = -1;
    let bestRank = 99;
    for (let r = firstRetainer[cur], end = firstRetainer[cur + 1]; r < end; r++) {
      const from = retainingNodes[r];
      if (dist[from] !== want) continue;
      const e = retainers.edge(cur, r);
      const rank = edgeRank(snap, e);
      if (rank < bestRank) {
        best = from;
        bestEdge = e;
        bestRank = rank;
        if (rank === 0) break;
      }
    }
    if (best < 0) throw new Error(`broken distance invariant at node #${cur}: no retainer at distance ${want}`);
    steps.push({ node: cur, edge: bestEdge });
    cur = best;
  }
  steps.push({ node: snap.rootIndex, edge: -1 });
  return steps.reverse();
}

function edgeRank(snap: HeapSnapshot, e: number): number {
  const t = snap.edgeType(e);
  if (t === snap.edgeProperty || t === snap.edgeContext) return 0;
  if (t === snap.edgeElement) return 1;
  if (t === snap.edgeShortcut) return 2;
  return 3;
}

/** The label of one edge (out of `from`) as code reads it: `name`, `[3]`, or V8's internal name. */
export function edgeLabel(snap: HeapSnapshot, e: number, from = -1): string {
  const t = snap.edgeType(e);
  if (t === snap.edgeElement) return `[${snap.edgeNameOrIndex(e)}]`;
  if (t === snap.edgeHidden) return (from >= 0 ? snap.v8.blockVariableName(from, e) : null) ?? `<${snap.edgeNameOrIndex(e)}>`;
  return snap.edgeName(e);
}

/**
 * A context (closure scope) read as code: `module app.js` for a module's top-level scope, `makeHandler() scope in
 * app.js` for a function's. The function name comes from the ScopeInfo; the file from a closure that uses the scope.
 */
export function describeContext(
  graph: HeapGraph,
  ctx: number,
): { text: string; location: SourceLocation | null; functionName: string | null } {
  const snap = graph.snap;
  let fnName = '';
  const si = snap.v8.scopeInfo(ctx);
  if (si >= 0) {
    // ScopeInfo lists the scope's context-allocated variable names, then the function's name ('' for a module's
    // top level), then module data, as hidden edges. The context itself names the variables that hold objects.
    const variables = new Set<string>();
    for (let e = snap.firstEdge[ctx], end = snap.firstEdge[ctx + 1]; e < end; e++) {
      if (snap.edgeType(e) === snap.edgeContext) variables.add(snap.edgeName(e));
    }
    for (let e = snap.firstEdge[si], end = snap.firstEdge[si + 1]; e < end; e++) {
      const t = snap.edgeTo(e);
      if (snap.edgeType(e) === snap.edgeHidden && snap.nodeType(t) === snap.typeString) {
        const s = snap.nodeName(t);
        if (!variables.has(s)) {
          fnName = s;
          break;
        }
      }
    }
  }
  const previousIsNative = snap.v8.isTopLevelContext(ctx);
  const block = snap.v8.isBlockContext(ctx);
  // a closure that uses this scope tells the file
  let location: SourceLocation | null = null;
  const retainers = graph.retainers;
  const { firstRetainer, retainingNodes } = retainers;
  for (let r = firstRetainer[ctx], end = firstRetainer[ctx + 1]; r < end && !location; r++) {
    const from = retainingNodes[r];
    if (snap.v8.isScopeEdge(from, retainers.edge(ctx, r))) location = snap.location(from);
  }
  const file = location ? shortFile(location.file) : null;
  // a scope whose outer scope is the native (or script) context is a module's or script's top level; its ScopeInfo
  // lists only variables (those holding small integers have no edge in the context, so they cannot be told apart)
  if (previousIsNative && !block) return { text: file ? `module ${file}` : 'module scope', location, functionName: null };
  // a block's scope ({ … } of an if, a loop, a class body) names no function: its ScopeInfo lists only variables
  if (block) return { text: file ? `block scope in ${file}` : 'block scope', location, functionName: null };
  const fn = fnName === '' ? ANONYMOUS : fnName;
  return { text: file ? `${fn}() scope in ${file}` : `${fn}() scope`, location, functionName: fn };
}

function isPlumbing(snap: HeapSnapshot, node: number, edge: number): boolean {
  const type = snap.nodeType(node);
  const t = snap.edgeType(edge);
  if (t === snap.edgeProperty || t === snap.edgeContext) return false;
  // V8's storage (hidden, code, shapes, the FixedArrays behind elements, properties and tables), the synthetic root
  // groups, and `system / …` objects other than a closure scope
  if (type === snap.typeSynthetic || snap.v8.isStorageType(type)) return true;
  return snap.v8.isSystemObject(node) && !snap.v8.isContext(node);
}

/** A Map key as code would write it, shortened: `'t7'`, `42`, `{Tenant}`. */
export function keyText(snap: HeapSnapshot, key: number): string {
  const type = snap.nodeType(key);
  if (type === snap.typeString || type === snap.typeConsString || type === snap.typeSlicedString) {
    const text = snap.nodeName(key);
    return `'${text.length > 24 ? `${text.slice(0, 23)}…` : text}'`;
  }
  if (type === snap.typeNumber || type === snap.typeBigint) return snap.nodeName(key);
  return `{${snap.nodeName(key) || snap.nodeTypeName(key)}}`;
}

/** The step into a Map's value from its hash table reads as the entry's key, `['t7']`, not the slot number. */
function mapEntryLabel(snap: HeapSnapshot, map: number, table: number, e: number): string | null {
  if (map < 0 || snap.nodeName(map) !== NAMES.Map || snap.v8.collectionTable(map) !== table) return null;
  const key = snap.v8.tableKey(table, e);
  return key < 0 ? null : `[${keyText(snap, key)}]`;
}

/** The program's own script (not Node's, not a dependency's under node_modules). */
function isProgramScript(file: string): boolean {
  return !file.startsWith('node:') && !file.startsWith('script#') && !file.includes('/node_modules/');
}

/**
 * The printed path starts at the program's first scope on it (`… → module app.js → sessions (Map)`): how the
 * roots reach a module (an HTTP handle's listeners, the console's `require.cache`, the embedder's module wraps) is
 * plumbing a reader does not change. The JSON's retainerPath keeps every step.
 */
function fromProgram(steps: ReadableStep[]): ReadonlyArray<{ text: string; internal: boolean }> {
  const i = steps.findIndex((s) => s.programScope);
  return i >= 2 ? [{ text: '…', internal: false }, ...steps.slice(i)] : steps;
}

export function describePath(graph: HeapGraph, steps: PathStep[]): ReadablePath {
  const snap = graph.snap;
  const out: ReadableStep[] = [];
  let previous = -1;
  let beforePrevious = -1;
  let previousEdge = -1;
  for (const { node, edge } of steps) {
    const intoPrevious = previousEdge;
    previousEdge = edge;
    // an edge out of the root or a synthetic root group is just a slot number: the node alone reads better
    const fromRoot = previous >= 0 && (previous === snap.rootIndex || snap.nodeType(previous) === snap.typeSynthetic);
    const from = previous;
    const fromOf = beforePrevious;
    beforePrevious = previous;
    previous = node;
    if (node === snap.rootIndex && edge < 0) continue; // the unnamed root: every path starts there
    const cls = className(snap, node);
    // an ES module's exported binding reads by its name: `callLatency (Histogram)`, not `value (Histogram)`
    const exported =
      edge >= 0 && from >= 0 && intoPrevious >= 0 && snap.edgeName(edge) === NAMES.cellValue
        ? snap.v8.cellExportName(from, fromOf, intoPrevious, graph.retainers)
        : null;
    const label = edge >= 0 ? (exported ?? mapEntryLabel(snap, fromOf, from, edge) ?? edgeLabel(snap, edge, from)) : null;
    let text: string;
    let location = snap.location(node);
    let internal = false;
    let programScope = false;
    let scopeFile: string | undefined;
    if (snap.nodeType(node) === snap.typeSynthetic) {
      text = snap.nodeName(node);
    } else if (snap.v8.isContext(node)) {
      const ctx = describeContext(graph, node);
      text = ctx.text;
      location = ctx.location;
      programScope = location !== null && isProgramScript(location.file);
      scopeFile = location?.file;
    } else if (snap.v8.moduleRecordFile(node) !== null) {
      // a CommonJS module's record (reached through require.cache): the module, as its scope reads
      const file = snap.v8.moduleRecordFile(node) as string;
      text = `module ${shortFile(file)}`;
      programScope = isProgramScript(file);
      scopeFile = file;
    } else {
      internal = edge >= 0 && isPlumbing(snap, node, edge);
      const type = snap.nodeType(node);
      const isVmInternal = snap.v8.isStorageType(type);
      const name = type === snap.typeClosure ? `${snap.v8.functionName(node)}()` : cls;
      // V8's own structures read best by the edge that leads to them: `sessions (Map) → table`
      text = label === null || (fromRoot && snap.edgeType(edge) !== snap.edgeProperty) ? name : isVmInternal ? label : `${label} (${name})`;
    }
    out.push({
      text,
      edge: label,
      edgeType: edge >= 0 ? snap.edgeTypeName(edge) : null,
      className: cls,
      nodeId: snap.nodeId(node),
      location,
      internal,
      programScope,
      ...(scopeFile ? { scopeFile } : {}),
    });
  }
  return { steps: out, text: pathText(fromProgram(out)) };
}
