import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { before, describe, it } from 'node:test';
import { loadSnapshot } from '../../src/analysis/heap/loader.js';
import type { HeapSnapshot } from '../../src/analysis/heap/snapshot.js';
import { HeapGraph } from '../../src/analysis/graph/heap-graph.js';
import { summarize } from '../../src/analysis/summary.js';
import { SnapshotFormatError } from '../../src/common/errors.js';
import { fixtureSnapshots } from '../helpers/fixtures.js';
import { parseText } from '../helpers/load.js';

const require = createRequire(import.meta.url);

describe('real snapshots of a real Node program', () => {
  let file: string;
  let snap: HeapSnapshot;
  before(async () => {
    file = fixtureSnapshots('session-leak')[2];
    snap = await loadSnapshot(file);
  });

  it('agrees with the heapsnapshot-parser oracle on counts and per-class self sizes', () => {
    const oracle = require('heapsnapshot-parser').parse(readFileSync(file, 'utf8')) as {
      nodes: Array<{ type: string; name: string; self_size: number; id: number }>;
      edges: unknown[];
    };
    assert.equal(snap.nodeCount, oracle.nodes.length);
    assert.equal(snap.edgeCount, oracle.edges.length);
    const ours = new Map<string, [number, number]>();
    for (let n = 0; n < snap.nodeCount; n++) {
      const k = `${snap.nodeTypeName(n)}|${snap.nodeName(n)}`;
      const v = ours.get(k) ?? [0, 0];
      v[0]++;
      v[1] += snap.selfSize(n);
      ours.set(k, v);
    }
    const theirs = new Map<string, [number, number]>();
    for (const node of oracle.nodes) {
      const k = `${node.type}|${node.name}`;
      const v = theirs.get(k) ?? [0, 0];
      v[0]++;
      v[1] += node.self_size;
      theirs.set(k, v);
    }
    assert.deepEqual(ours, theirs);
    assert.deepEqual(ours.get('object|Session')?.[0], 1200, '400 requests a round, 3 rounds, none freed');
  });

  it('dominators equal a plain iterative data-flow computation (Cooper, Harvey & Kennedy) on every node', () => {
    const g = new HeapGraph(snap);
    const N = snap.nodeCount;
    // predecessors over retaining edges, and a reverse postorder from the root (iterative DFS)
    const preds: number[][] = Array.from({ length: N }, () => []);
    for (let n = 0; n < N; n++) {
      for (let e = snap.firstEdge[n]; e < snap.firstEdge[n + 1]; e++) if (g.essential.has(e)) preds[snap.edgeTo(e)].push(n);
    }
    const post = new Int32Array(N).fill(-1);
    const order: number[] = [];
    const seen = new Uint8Array(N);
    const stack: Array<[number, number]> = [[0, snap.firstEdge[0]]];
    seen[0] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [n, e] = top;
      if (e < snap.firstEdge[n + 1]) {
        top[1]++;
        const t = snap.edgeTo(e);
        if (!seen[t] && g.essential.has(e)) {
          seen[t] = 1;
          stack.push([t, snap.firstEdge[t]]);
        }
      } else {
        post[n] = order.length;
        order.push(n);
        stack.pop();
      }
    }
    const idom = new Int32Array(N).fill(-1);
    idom[0] = 0;
    const intersect = (a: number, b: number) => {
      while (a !== b) {
        while (post[a] < post[b]) a = idom[a];
        while (post[b] < post[a]) b = idom[b];
      }
      return a;
    };
    for (let changed = true; changed; ) {
      changed = false;
      for (let k = order.length - 2; k >= 0; k--) {
        const b = order[k];
        let d = -1;
        for (const p of preds[b]) if (idom[p] !== -1) d = d === -1 ? p : intersect(p, d);
        if (idom[b] !== d) {
          idom[b] = d;
          changed = true;
        }
      }
    }
    let compared = 0;
    for (let n = 1; n < N; n++) {
      if (!seen[n]) continue;
      assert.equal(g.dominators.idom[n], idom[n], `idom of node #${n}`);
      compared++;
    }
    assert.ok(compared > 10000);
  });

  it('names the culprit in the summary: the sessions Map, its path and its module', () => {
    const result = summarize(new HeapGraph(snap), file, { top: 10 });
    const session = result.classes.find((c) => c.name === 'Session');
    assert.ok(session, 'Session is among the top classes');
    assert.equal(session.count, 1200);
    const map = result.largest.find((o) => o.className === 'Map');
    assert.ok(map, 'the sessions Map is among the largest objects');
    assert.equal(map, result.largest[0], 'and it is the largest');
    assert.match(map.pathText, /module fixtures\/programs\/session-leak\.mjs → sessions \(Map\)$/);
    assert.ok(map.retainedSize > 1200 * 200, `the Map retains the sessions (${map.retainedSize})`);
    assert.ok(result.totals.reachableSize <= result.totals.selfSize);
    assert.match(result.snapshot.runtime ?? '', /^Node v\d+\./);
  });

  it('truncated at 50 random offsets or with 50 flipped bytes: a format error or a result, never a crash', () => {
    const bytes = readFileSync(file);
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const attempt = (input: Buffer, what: string) => {
      try {
        const s = parseText(input, [65536]);
        // a flipped byte can leave a valid snapshot: then the graph must still be computable
        new HeapGraph(s).dominators;
      } catch (err) {
        assert.ok(err instanceof SnapshotFormatError, `${what}: ${String((err as Error).stack)}`);
        assert.equal(err.message.includes('\n'), false);
      }
    };
    for (let i = 0; i < 50; i++) {
      const cut = rand(bytes.length);
      assert.throws(() => parseText(bytes.subarray(0, cut), [65536]), SnapshotFormatError, `truncated at ${cut}`);
    }
    for (let i = 0; i < 50; i++) {
      const copy = Buffer.from(bytes);
      const at = rand(copy.length);
      copy[at] = rand(256);
      attempt(copy, `byte ${at} set to ${copy[at]}`);
    }
  });
});
