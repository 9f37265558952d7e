/**
 * Leaked closures: the number of live closures created at one source location keeps growing. Reports what their
 * scope keeps alive — including the shared-scope case: a closure that is never called keeps a large object alive
 * because a sibling closure in the same scope uses it (V8 gives all closures of a scope one context).
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import { closureContext, describeNode, locationKey, scopeContents } from './describe.js';
import { growthFinding, risingKeys, type Detector, type DetectorFinding, type JudgeContext } from './types.js';

function programClosures(snap: HeapSnapshot, visit: (closure: number, key: string) => void): void {
  for (let n = 0; n < snap.nodeCount; n++) {
    if (snap.nodeType(n) !== snap.typeClosure) continue;
    const loc = snap.location(n);
    if (!loc || loc.file.startsWith('node:') || loc.file.startsWith('script#')) continue;
    visit(n, `${snap.nodeName(n) || '(anonymous)'}@${locationKey(loc)}`);
  }
}

function collect(snap: HeapSnapshot): Map<string, number> {
  const counts = new Map<string, number>();
  programClosures(snap, (_n, key) => counts.set(key, (counts.get(key) ?? 0) + 1));
  return counts;
}

function judge(samples: Array<Map<string, number>>, ctx: JudgeContext): DetectorFinding[] {
  const snap = ctx.last.snap;
  const out: DetectorFinding[] = [];
  const rising = risingKeys(samples, ctx.minGrowth);
  if (rising.length === 0) return out;
  const reps = new Map<string, { closure: number; scopeRetained: number }>();
  const wanted = new Set(rising.map((r) => r.key));
  programClosures(snap, (n, key) => {
    if (!wanted.has(key)) return;
    const ctxNode = closureContext(ctx.last, n);
    const entry = reps.get(key) ?? { closure: n, scopeRetained: 0 };
    entry.scopeRetained += ctx.last.dominators.retained[n] + (ctxNode >= 0 ? ctx.last.dominators.retained[ctxNode] : 0);
    reps.set(key, entry);
  });
  for (const { key, counts } of rising) {
    const rep = reps.get(key);
    if (!rep) continue;
    const fn = snap.nodeName(rep.closure) || '(anonymous)';
    const location = snap.location(rep.closure);
    const scope = closureContext(ctx.last, rep.closure);
    const keeps = scope >= 0 ? scopeContents(ctx.last, scope) : '';
    const d = describeNode(ctx.last, rep.closure);
    const f = growthFinding(ctx, {
      kind: 'closure',
      name: fn,
      holderClass: d?.heldBy ?? '',
      itemClass: '(closure)',
      pathOf: rep.closure,
      described: d,
      location,
      countByStep: counts,
      bytes: rep.scopeRetained,
      hint: 'release the closures you register (delete them, or remove the listener); a closure keeps its whole scope alive, including variables only a sibling closure uses: move big values out of that scope or null them when done',
      summary: `closures ${fn} created at ${location ? `${location.file.split('/').slice(-2).join('/')}:${location.line}` : '?'}: ${counts.join(' → ')} alive${keeps ? `; each one's scope keeps ${keeps}` : ''}`,
    });
    if (f) out.push(f);
  }
  return out;
}

export const closuresDetector: Detector<Map<string, number>> = {
  kind: 'closure',
  summary: 'live closures created at one source location that keep growing, and what their scope keeps alive',
  collect,
  judge,
};
