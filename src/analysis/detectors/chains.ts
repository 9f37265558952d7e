/**
 * Closure chains (Meteor's `replaceThing`): each call of a function keeps the previous call's result alive through
 * a scope variable that a sibling closure captured:
 *
 *   function reloadFlags() {
 *     const previous = flags;                              // captured by describeChange (never called) ...
 *     const describeChange = () => `was ${previous.raw}`;
 *     flags = { raw, isEnabled(name) { ... } };            // ... and isEnabled shares that scope
 *   }
 *
 * V8 gives all closures of one call a single context, so `isEnabled` keeps `previous`, whose `isEnabled` keeps the
 * call before, and so on. In the heap: a Context whose variable leads (through an object and a closure, at most
 * two steps) to another Context of the same function (the same ScopeInfo). The chain's length is the number of
 * such links; it grows by one per call.
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import { NAMES } from '../heap/v8.js';
import type { HeapGraph } from '../graph/heap-graph.js';
import { describeContext } from '../graph/paths.js';
import { shortLocation } from '../../common/format.js';
import { closuresUsingVariable } from '../places/source.js';
import { describeNode } from '../places/describe.js';
import { idKeyedSample, growthFinding, type Detector, type DetectorFinding, type JudgeContext } from './types.js';

/** functions with fewer live contexts than this are not looked at (a chain needs many) */
const MIN_CONTEXTS = 3;

interface Link {
  /** variable of the context that leads to the next one */
  variable: string;
  next: number;
  /** the function's ScopeInfo (the same for both contexts) */
  scope: number;
}

/**
 * For every context of a function with several live contexts: the link to the previous call's context, if any. A
 * link is a context variable holding a closure of the same function (its `context` edge), or an object with such a
 * closure among its properties or elements (`previous.isEnabled`): two steps, no general search, so that a heap
 * with a million scopes costs one pass over its contexts' variables.
 */
function findLinks(snap: HeapSnapshot): Map<number, Link> {
  const v8 = snap.v8;
  const contextIdx = v8.id(NAMES.context);
  const links = new Map<number, Link>();
  if (contextIdx < 0 || v8.id(NAMES.scopeInfo) < 0 || v8.id(NAMES.closureContext) < 0) return links;
  const { nodes, nodeFieldCount: nf, nodeCount, edges, edgeTypeOf, edgeFieldCount: ef, firstEdge } = snap;
  const oName = snap.layout.nName;
  const oType = snap.layout.nType;
  const oTo = snap.layout.eToNode;
  const scopeInfo = (n: number): number => {
    if (nodes[n * nf + oName] !== contextIdx) return -1;
    return v8.scopeInfo(n);
  };
  const contexts: number[] = [];
  const scopes: number[] = [];
  const perScope = new Map<number, number>();
  for (let n = 0; n < nodeCount; n++) {
    if (nodes[n * nf + oName] !== contextIdx) continue;
    const s = scopeInfo(n);
    if (s < 0) continue;
    contexts.push(n);
    scopes.push(s);
    perScope.set(s, (perScope.get(s) ?? 0) + 1);
  }
  for (let i = 0; i < contexts.length; i++) {
    const ctx = contexts[i];
    const scope = scopes[i];
    if ((perScope.get(scope) ?? 0) < MIN_CONTEXTS) continue;
    const sameFunction = (closure: number): boolean => {
      const c = v8.closureContext(closure);
      return c >= 0 && c !== ctx && scopeInfo(c) === scope;
    };
    let found = -1;
    let variable = '';
    for (let e = firstEdge[ctx], end = firstEdge[ctx + 1]; e < end && found < 0; e++) {
      if (edgeTypeOf[e] !== snap.edgeContext) continue;
      const x = edges[e * ef + oTo];
      const tx = nodes[x * nf + oType];
      if (tx === snap.typeClosure) {
        if (sameFunction(x)) found = v8.closureContext(x);
      } else if (tx === snap.typeObject && nodes[x * nf + oName] !== contextIdx) {
        for (let f = firstEdge[x], fend = firstEdge[x + 1]; f < fend; f++) {
          const t = edgeTypeOf[f];
          if (t !== snap.edgeProperty && t !== snap.edgeElement) continue;
          const y = edges[f * ef + oTo];
          if (nodes[y * nf + oType] === snap.typeClosure && sameFunction(y)) {
            found = v8.closureContext(y);
            break;
          }
        }
      }
      if (found >= 0) variable = snap.edgeName(e);
    }
    if (found >= 0) links.set(ctx, { variable, next: found, scope });
  }
  return links;
}

/** Length of the chain starting at `ctx` (1 = a context with no link), iteratively, cycle-safe. */
function chainLengths(links: Map<number, Link>): Map<number, number> {
  const length = new Map<number, number>();
  const path: number[] = [];
  for (const start of links.keys()) {
    if (length.has(start)) continue;
    path.length = 0;
    const onPath = new Set<number>();
    let cur: number | undefined = start;
    while (cur !== undefined && !length.has(cur) && !onPath.has(cur)) {
      path.push(cur);
      onPath.add(cur);
      cur = links.get(cur)?.next;
    }
    let base = cur !== undefined && length.has(cur) ? (length.get(cur) as number) : cur === undefined ? 0 : 1;
    for (let k = path.length - 1; k >= 0; k--) length.set(path[k], ++base);
  }
  return length;
}

/** The longest chain per (function, variable): key `<ScopeInfo id>:<variable>` -> links. */
export type ChainSample = Map<string, number>;

interface Chain {
  /** the newest context, where the longest chain starts */
  head: number;
  links: number;
  variable: string;
}

/** The longest chain of each (function, variable) in a snapshot, by key. */
function longestChains(snap: HeapSnapshot): Map<string, Chain> {
  const links = findLinks(snap);
  const lengths = chainLengths(links);
  const out = new Map<string, Chain>();
  for (const [ctx, link] of links) {
    const key = `${snap.nodeId(link.scope)}:${link.variable}`;
    const len = (lengths.get(ctx) ?? 1) - 1; // links, not contexts
    if (len > (out.get(key)?.links ?? 0)) out.set(key, { head: ctx, links: len, variable: link.variable });
  }
  return out;
}

function collect(snap: HeapSnapshot): ChainSample {
  const out: ChainSample = new Map();
  for (const [key, chain] of longestChains(snap)) out.set(key, chain.links);
  return out;
}

/** Closures alive in this scope, e.g. ['isEnabled'] */
function liveClosures(graph: HeapGraph, ctx: number): string[] {
  const snap = graph.snap;
  const names = new Set<string>();
  const retainers = graph.retainers;
  const { firstRetainer, retainingNodes } = retainers;
  for (let r = firstRetainer[ctx], end = firstRetainer[ctx + 1]; r < end; r++) {
    const from = retainingNodes[r];
    if (snap.v8.isScopeEdge(from, retainers.edge(ctx, r))) names.add(snap.v8.functionName(from));
  }
  return [...names];
}

/** The node that stands for the whole chain: the newest link's holder above the head context (object or closure). */
function chainTop(graph: HeapGraph, head: number): number {
  const snap = graph.snap;
  let top = head;
  for (let a = graph.dominators.idom[head], k = 0; k < 4 && a !== snap.rootIndex; a = graph.dominators.idom[a], k++) {
    const t = snap.nodeType(a);
    if (t !== snap.typeObject && t !== snap.typeClosure) break;
    if (snap.v8.isSystemObject(a)) break;
    top = a;
  }
  return top;
}

function judge(samples: ChainSample[], ctx: JudgeContext): DetectorFinding[] {
  const out: DetectorFinding[] = [];
  const last = samples[samples.length - 1];
  let heads: Map<string, Chain> | null = null; // the last snapshot's chains, found once when one is rising
  for (const [key, n] of last) {
    const counts = samples.map((s) => s.get(key) ?? 0);
    if (n - counts[0] < 3) continue;
    heads ??= longestChains(ctx.last.snap);
    const found = heads.get(key);
    if (!found) continue;
    const scope = describeContext(ctx.last, found.head);
    const fn = scope.functionName ?? 'the module';
    const live = liveClosures(ctx.last, found.head);
    const users = scope.location
      ? closuresUsingVariable(ctx.last, scope.location, found.variable).filter((u) => !live.includes(u.name))
      : [];
    const shared = [...live, ...users.map((u) => u.name)];
    const unused = users[0];
    const top = chainTop(ctx.last, found.head);
    const d = describeNode(ctx.last, top);
    const at = scope.location ? ` (${shortLocation(scope.location)})` : '';
    const sharedText =
      shared.length > 1 ? `a scope shared by ${shared.join(' and ')}` : shared.length === 1 ? `the scope of ${shared[0]}` : 'its scope';
    const f = growthFinding(ctx, {
      kind: 'closure',
      name: found.variable,
      holderClass: `${fn}() scope`,
      itemClass: '(closure chain)',
      pathOf: top,
      described: d,
      location: unused?.location ?? scope.location,
      countByStep: counts,
      bytes: ctx.last.dominators.retained[found.head],
      hint:
        `${unused ? `${unused.name} captures ${found.variable}` : `a closure captures ${found.variable}`}, and ` +
        `every closure of one ${fn}() call shares one scope, so ${live[0] ?? 'the live closure'} keeps the previous ` +
        `${found.variable} alive: set ${found.variable} = null once done, or move the closure that uses it out ` +
        `of ${fn}()`,
      summary:
        `each ${fn}() call keeps the previous \`${found.variable}\` alive ` +
        `through ${sharedText}${at}${unused ? `; ${unused.name} (${shortLocation(unused.location)}) uses \`${found.variable}\` and is never kept` : ''}; ` +
        `chain ${counts.join(' → ')} links`,
    });
    if (f) out.push(f);
  }
  return out;
}

export const chainsDetector: Detector<ChainSample> = {
  id: 'closure-chain',
  kind: 'closure',
  summary: "closure chains: each call keeps the previous call's result alive through a shared scope (Meteor's replaceThing)",
  collect,
  judge,
  ...idKeyedSample(':'),
};
