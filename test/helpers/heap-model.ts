/**
 * A heap written by hand for detector tests: objects, closures with source locations, scopes and V8's internal
 * edges, in the shapes V8 and Node give them, built into real `.heapsnapshot` text (builder.ts) and parsed by the
 * real engine. Object ids are stable per key across the snapshots of one series, as in one process.
 */
import { NAMES } from '../../src/analysis/heap/v8.js';
import { buildSnapshot, root, type BuilderEdge, type BuilderNode } from './builder.js';
import { graphOf } from './load.js';
import type { HeapGraph } from '../../src/analysis/graph/heap-graph.js';

export class Ids {
  private readonly byKey = new Map<string, number>();
  private next = 101;
  of(key: string): number {
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.next;
      this.next += 2;
      this.byKey.set(key, id);
    }
    return id;
  }
}

export class HeapModel {
  readonly nodes: BuilderNode[] = [root()];
  readonly edges: BuilderEdge[] = [];
  readonly locations: Array<[number, number, number, number]> = [];
  /** (GC roots): hold a thing for good with roots.hold(n) */
  readonly gcRoots: number;
  private held = 0;
  private readonly scripts = new Map<string, { scriptId: number; script: number }>();

  constructor(private readonly ids: Ids) {
    this.gcRoots = this.node('synthetic', '(GC roots)', 0, 'gc-roots');
    this.edge(0, 'element', 1, this.gcRoots);
  }

  node(type: string, name: string, self: number, key: string): number {
    this.nodes.push({ type, name, self, id: this.ids.of(key) });
    return this.nodes.length - 1;
  }

  edge(from: number, type: BuilderEdge['type'], name: string | number, to: number): void {
    this.edges.push({ from, type, name, to });
  }

  /** Held from the GC roots directly. */
  hold(n: number): number {
    this.edge(this.gcRoots, 'element', ++this.held, n);
    return n;
  }

  object(name: string, key: string, self = 32): number {
    return this.node('object', name, self, key);
  }

  /** A closure of `file` at line:column (1-based), with the closure -> SharedFunctionInfo -> Script chain V8 keeps. */
  closure(name: string, key: string, at: { file: string; line: number; column?: number }, context?: number): number {
    const n = this.node('closure', name, 32, key);
    let s = this.scripts.get(at.file);
    if (!s) {
      const script = this.node('code', at.file, 100, `script:${at.file}`);
      s = { scriptId: this.scripts.size + 10, script };
      this.scripts.set(at.file, s);
    }
    const sfi = this.node('code', '(shared function info)', 40, `sfi:${key}`);
    this.edge(n, 'internal', NAMES.shared, sfi);
    this.edge(sfi, 'internal', NAMES.scriptOfShared[0], s.script);
    if (context !== undefined) this.edge(n, 'internal', NAMES.closureContext, context);
    this.locations.push([n, s.scriptId, at.line - 1, (at.column ?? 1) - 1]);
    return n;
  }

  /** A closure scope (V8 Context) of the function whose ScopeInfo is `scopeInfo`. */
  context(key: string, scopeInfo: number, outer?: number): number {
    const c = this.node('object', NAMES.context, 24, key);
    this.edge(c, 'internal', NAMES.scopeInfo, scopeInfo);
    if (outer !== undefined) this.edge(c, 'internal', NAMES.outerScope, outer);
    return c;
  }

  /** A function's ScopeInfo naming the function (hidden string edges, as V8 lists them). */
  scopeInfo(functionName: string, key: string): number {
    const s = this.node('hidden', 'system / ScopeInfo', 40, key);
    const name = this.node('string', functionName, 20, `${key}:name`);
    this.edge(s, 'hidden', 0, name);
    return s;
  }

  graph(): HeapGraph {
    return graphOf(buildSnapshot(this.nodes, this.edges, { locations: this.locations }).text);
  }
}

/** One snapshot per count, each built by `build(heap, count)` with ids shared across the series. */
export function series(counts: number[], build: (h: HeapModel, count: number) => void): HeapGraph[] {
  const ids = new Ids();
  return counts.map((c) => {
    const h = new HeapModel(ids);
    build(h, c);
    return h.graph();
  });
}
