/**
 * Leaked closures: the number of live closures created at one source location keeps growing. Reports what their
 * scope keeps alive — including the shared-scope case: a closure that is never called keeps a large object alive
 * because a sibling closure in the same scope uses it (V8 gives all closures of a scope one context).
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import { shortLocation } from '../../common/format.js';
import { describeNode, scopeContents } from '../places/describe.js';
import { growthFinding, risingKeys, type Detector, type DetectorFinding, type JudgeContext } from './types.js';

/**
 * Calls visit(closure, key) for every closure V8 recorded a location for in the program's own scripts (not
 * Node's). Walks the snapshot's location table directly, grouping by script id first so that building each key
 * string happens once per distinct location, not once per closure.
 */
function programClosures(snap: HeapSnapshot, visit: (closure: number, key: string) => void): void {
  const L = snap.layout;
  const raw = snap.locationsRaw;
  const nf = L.file.nodeFieldCount; // object_index is an offset into the file's node array
  const keys = new Map<number, Map<number, string>>(); // scriptId -> (line, column) -> key ('' = not program code)
  const files = new Map<number, string | null>();
  for (let at = 0; at + L.locationFieldCount <= raw.length; at += L.locationFieldCount) {
    const objectIndex = raw[at + L.lObjectIndex];
    const n = objectIndex / nf;
    if (!Number.isInteger(n) || n >= snap.nodeCount || snap.nodeType(n) !== snap.typeClosure) continue;
    const scriptId = raw[at + L.lScriptId];
    let file = files.get(scriptId);
    if (file === undefined) {
      const name = snap.scriptName(scriptId);
      file = name && !name.startsWith('node:') ? name : null;
      files.set(scriptId, file);
    }
    if (file === null) continue;
    let byPos = keys.get(scriptId);
    if (!byPos) {
      byPos = new Map();
      keys.set(scriptId, byPos);
    }
    const pos = raw[at + L.lLine] * 4294967296 + raw[at + L.lColumn];
    let key = byPos.get(pos);
    if (key === undefined) {
      key = `${snap.v8.functionName(n)}@${file}:${raw[at + L.lLine] + 1}:${raw[at + L.lColumn] + 1}`;
      byPos.set(pos, key);
    }
    visit(n, key);
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
    const ctxNode = snap.v8.closureContext(n);
    const entry = reps.get(key) ?? { closure: n, scopeRetained: 0 };
    entry.scopeRetained += ctx.last.dominators.retained[n] + (ctxNode >= 0 ? ctx.last.dominators.retained[ctxNode] : 0);
    reps.set(key, entry);
  });
  for (const { key, counts } of rising) {
    const rep = reps.get(key);
    if (!rep) continue;
    const fn = snap.v8.functionName(rep.closure);
    const location = snap.location(rep.closure);
    const scope = snap.v8.closureContext(rep.closure);
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
      hint:
        'release the closures you register (delete them, or remove the listener); a closure keeps its whole scope ' +
        'alive, including variables only a sibling closure uses: move big values out of that scope or null them ' +
        'when done',
      summary: `closures ${fn} created at ${location ? shortLocation(location) : '?'}: ${counts.join(' → ')} alive${keeps ? `; each one's scope keeps ${keeps}` : ''}`,
    });
    if (f) out.push(f);
  }
  return out;
}

export const closuresDetector: Detector<Map<string, number>> = {
  id: 'closure',
  kind: 'closure',
  summary: 'live closures created at one source location that keep growing, and what their scope keeps alive',
  collect,
  judge,
};
