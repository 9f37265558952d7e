/**
 * Allocation stacks recorded in a snapshot: a process started with `--track-heap-objects` (or DevTools' "allocation
 * instrumentation on timeline") writes `trace_function_infos` (per function: name, script, the line and column where
 * the function is declared, 1-based) and `trace_tree` (a call tree, each node `[id, function_info_index, count,
 * size, children]`), and each heap node's `trace_node_id` names the tree node that allocated it. A node's stack is
 * its tree node and the tree node's ancestors. Field positions come from `meta.trace_function_info_fields` and
 * `meta.trace_node_fields`; nothing is assumed beyond those names.
 */
import { scriptPath } from '../../common/paths.js';
import type { HeapSnapshot } from './snapshot.js';

export interface TraceFunction {
  name: string;
  /** the script's path (file:// stripped) or name; '' for V8's own entries */
  file: string;
  /** where the function is declared (1-based); 0 when unknown */
  line: number;
  column: number;
}

export class AllocationTraces {
  private readonly functions: TraceFunction[] = [];
  /** per trace node id: its function's index and its parent's id (0 at the root) */
  private readonly fn = new Map<number, number>();
  private readonly parent = new Map<number, number>();

  private constructor(snap: HeapSnapshot) {
    const meta = snap.header.meta;
    const ff = meta.trace_function_info_fields ?? [];
    const per = ff.length;
    const at = (name: string) => ff.indexOf(name);
    const [oName, oScript, oLine, oColumn] = [at('name'), at('script_name'), at('line'), at('column')];
    const infos = snap.traceFunctionInfos;
    for (let i = 0; per > 0 && i + per <= infos.length; i += per) {
      const str = (o: number) => (o >= 0 ? (snap.strings[infos[i + o]] ?? '') : '');
      const file = scriptPath(str(oScript));
      const num = (o: number) => (o >= 0 ? infos[i + o] : 0);
      this.functions.push({ name: str(oName) || '(anonymous)', file, line: num(oLine), column: num(oColumn) });
    }
    const nf = meta.trace_node_fields ?? [];
    const [tId, tFn, tChildren] = [nf.indexOf('id'), nf.indexOf('function_info_index'), nf.indexOf('children')];
    if (tId < 0 || tFn < 0 || tChildren < 0) return;
    // iterative walk: the tree can be deep (recursion in the traced program)
    const stack: Array<{ list: unknown[]; parent: number }> = [{ list: snap.traceTree ?? [], parent: 0 }];
    while (stack.length > 0) {
      const { list, parent } = stack.pop() as { list: unknown[]; parent: number };
      for (let i = 0; i + nf.length <= list.length; i += nf.length) {
        const id = Number(list[i + tId]);
        this.fn.set(id, Number(list[i + tFn]));
        this.parent.set(id, parent);
        const children = list[i + tChildren];
        if (Array.isArray(children) && children.length > 0) stack.push({ list: children, parent: id });
      }
    }
  }

  /** The snapshot's allocation stacks, or null when it was not taken with allocation tracking. */
  static of(snap: HeapSnapshot): AllocationTraces | null {
    if (snap.layout.nTraceNodeId < 0 || snap.traceFunctionInfos.length === 0 || !snap.traceTree) return null;
    const traces = new AllocationTraces(snap);
    return traces.fn.size > 0 ? traces : null;
  }

  /** The stack of a trace node, innermost function first (the tree's root entry left out). */
  stack(traceNodeId: number, max = 32): TraceFunction[] {
    const out: TraceFunction[] = [];
    for (let id = traceNodeId; id !== 0 && out.length < max; id = this.parent.get(id) ?? 0) {
      const f = this.functions[this.fn.get(id) ?? -1];
      if (!f) break;
      if (this.parent.get(id) === 0 && f.name === '(root)') break;
      out.push(f);
    }
    return out;
  }
}
