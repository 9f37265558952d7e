/**
 * The house's rules, checked on src/ as it is (docs/ARCHITECTURE.md): no import cycle between modules (type imports
 * included), and each floor imports only the floors below it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/fixtures.js';

const SRC = path.join(repoRoot, 'src');

/** Every module under src/ and the modules of ours it imports (relative specifiers, .js -> .ts). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.c?ts$/.test(e.name)) {
        const text = readFileSync(p, 'utf8');
        const deps = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?\bfrom\s*['"](\.[^'"]+)['"]/g)].map((m) =>
          path
            .relative(SRC, path.resolve(path.dirname(p), m[1]))
            .replace(/\.js$/, '.ts')
            .replace(/\.cjs$/, '.cts'),
        );
        graph.set(path.relative(SRC, p), deps);
      }
    }
  };
  walk(SRC);
  return graph;
}

/** The strongly connected components of more than one module (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** What each floor may import (besides itself), from the top down. */
const MAY_IMPORT: Record<string, string[]> = {
  common: ['formats'],
  formats: [],
  analysis: ['common', 'formats'],
  capture: ['common', 'formats'],
  contracts: ['analysis', 'capture', 'common', 'formats'],
  reporters: ['analysis', 'contracts', 'common', 'formats'],
  live: ['analysis', 'capture', 'contracts', 'common', 'formats'],
  api: ['analysis', 'capture', 'common', 'formats', 'contracts'],
};

describe('the house', () => {
  const graph = importGraph();

  it('reads every module under src/', () => {
    assert.ok(graph.size > 80, `${graph.size} modules`);
    assert.ok(graph.get('commands/attach.ts')?.includes('live/attach.ts'), 'imports are resolved');
  });

  it('has no import cycle, type imports included', () => {
    assert.deepEqual(cycles(graph), []);
  });

  it('each floor imports only the floors below it (reporters never capture/, analysis never live/ or capture/)', () => {
    const wrong: string[] = [];
    for (const [file, deps] of graph) {
      const floor = file.split(path.sep)[0];
      const allowed = MAY_IMPORT[floor];
      if (!allowed) continue; // commands/, cli/, hooks/: the top floor imports anything
      for (const d of deps) {
        const to = d.split(path.sep)[0];
        if (to !== floor && !allowed.includes(to)) wrong.push(`${file} -> ${d}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});
