import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_DISTANCE } from '../../src/analysis/graph/distances.js';
import { describePath, shortestRetainerPath } from '../../src/analysis/graph/paths.js';
import { buildSnapshot, root, type BuilderEdge, type BuilderNode } from '../helpers/builder.js';
import { graphOf } from '../helpers/load.js';
import { sortPairs } from '../../src/analysis/heap/sort.js';

const obj = (name: string, self: number): BuilderNode => ({ type: 'object', name, self });

describe('dominators and retained sizes', () => {
  // 0 root, 1 (GC roots), 2 A, 3 B, 4 C, 5 D, 6 W (held only weakly), 7 E
  const nodes = [
    root(),
    { type: 'synthetic', name: '(GC roots)', self: 0 },
    obj('A', 10),
    obj('B', 20),
    obj('C', 30),
    obj('D', 40),
    obj('W', 50),
    obj('E', 60),
  ];
  const edges: BuilderEdge[] = [
    { from: 0, type: 'element', name: 1, to: 1 },
    { from: 1, type: 'element', name: 1, to: 2 },
    { from: 2, type: 'property', name: 'b', to: 3 },
    { from: 2, type: 'property', name: 'c', to: 4 },
    { from: 3, type: 'property', name: 'd', to: 5 },
    { from: 4, type: 'property', name: 'd', to: 5 },
    { from: 5, type: 'property', name: 'back', to: 3 }, // cycle B -> D -> B
    { from: 3, type: 'weak', name: 'w', to: 6 },
    { from: 4, type: 'property', name: 'e', to: 7 },
    { from: 7, type: 'property', name: 'a', to: 2 }, // cycle back to A
  ];
  const g = graphOf(buildSnapshot(nodes, edges).text);

  it('computes exact immediate dominators, with a cycle and a weakly held node', () => {
    assert.deepEqual(Array.from(g.dominators.idom), [0, 0, 1, 2, 2, 2, 0, 4]);
    assert.deepEqual(Array.from(g.dominators.reachable), [1, 1, 1, 1, 1, 1, 0, 1]);
  });

  it('computes exact retained sizes; unreachable nodes count toward the root only', () => {
    assert.deepEqual(Array.from(g.dominators.retained), [210, 160, 160, 20, 90, 40, 50, 60]);
    assert.equal(g.dominators.reachableSize, 160);
    assert.equal(g.dominators.totalSize, 210);
  });

  it('computes distances over retaining edges only', () => {
    assert.deepEqual(Array.from(g.distances), [0, 1, 2, 3, 3, 4, NO_DISTANCE, 4]);
  });

  it('finds the shortest retainer path, cycle-safe, and reads it as code', () => {
    const steps = shortestRetainerPath(g, 5);
    assert.deepEqual(
      steps?.map((s) => s.node),
      [0, 1, 2, 3, 5],
    );
    const readable = describePath(g, steps ?? []);
    assert.equal(readable.text, '(GC roots) → A → b (B) → d (D)');
    assert.equal(shortestRetainerPath(g, 6), null, 'weakly held: no retainer path');
  });
});

describe('the essential-edge rule', () => {
  it('shortcut edges retain only from the root', () => {
    const nodes = [root(), obj('G', 1), obj('X', 5), obj('Y', 7)];
    const edges: BuilderEdge[] = [
      { from: 0, type: 'shortcut', name: 'global', to: 1 },
      { from: 1, type: 'property', name: 'x', to: 2 },
      { from: 1, type: 'shortcut', name: 'y', to: 3 },
    ];
    const g = graphOf(buildSnapshot(nodes, edges).text);
    assert.equal(g.dominators.reachable[1], 1);
    assert.equal(g.dominators.reachable[3], 0, 'a shortcut from a non-root node does not retain');
    assert.equal(g.dominators.retained[1], 6);
  });

  it('a WeakMap table does not retain its values; the key does', () => {
    // 0 root, 1 (GC roots), 2 WeakMap, 3 table, 4 key K, 5 value V; K is held by the roots in case A only
    const build = (keyHeld: boolean) => {
      const nodes = [
        root(),
        { type: 'synthetic', name: '(GC roots)', self: 0 },
        obj('WeakMap', 8),
        { type: 'array', name: '', self: 16, id: 41 },
        obj('K', 4),
        obj('V', 1000),
      ];
      const pair = 'part of key (K @9) -> value (V @11) pair in WeakMap (table @41)';
      const edges: BuilderEdge[] = [
        { from: 0, type: 'element', name: 1, to: 1 },
        { from: 1, type: 'element', name: 1, to: 2 },
        { from: 2, type: 'internal', name: 'table', to: 3 },
        { from: 3, type: 'weak', name: 0, to: 4 },
        { from: 3, type: 'internal', name: pair, to: 5 },
        { from: 4, type: 'internal', name: pair, to: 5 },
      ];
      if (keyHeld) edges.push({ from: 1, type: 'element', name: 2, to: 4 });
      return graphOf(buildSnapshot(nodes, edges).text);
    };
    const held = build(true);
    assert.equal(held.dominators.idom[5], 4, 'V is kept alive by its key');
    assert.equal(held.dominators.retained[2], 8 + 16, 'the WeakMap does not retain V');
    const dropped = build(false);
    assert.equal(dropped.dominators.reachable[5], 0, 'with the key gone, nothing retains V');
  });
});

describe('scale', () => {
  it('keeps retained totals above 4 GB exact', () => {
    const big = 4_000_000_000;
    const nodes = [root(), obj('Holder', 8), obj('Buf', big), obj('Buf', big), obj('Buf', big)];
    const edges: BuilderEdge[] = [
      { from: 0, type: 'element', name: 1, to: 1 },
      { from: 1, type: 'element', name: 0, to: 2 },
      { from: 1, type: 'element', name: 1, to: 3 },
      { from: 1, type: 'element', name: 2, to: 4 },
    ];
    const g = graphOf(buildSnapshot(nodes, edges).text);
    assert.equal(g.dominators.retained[1], 3 * big + 8);
    assert.equal(g.dominators.totalSize, 12_000_000_008);
  });
});

describe('id index', () => {
  it('maps ids to ordinals for unsorted ids, and says -1 for unknown ids', () => {
    const nodes = [
      { ...root(), id: 1 },
      { ...obj('a', 1), id: 900001 },
      { ...obj('b', 1), id: 3 },
      { ...obj('c', 1), id: 70001 },
      { ...obj('d', 1), id: 65537 },
    ];
    const g = graphOf(buildSnapshot(nodes, []).text);
    assert.equal(g.ids.ordinalOf(900001), 1);
    assert.equal(g.ids.ordinalOf(3), 2);
    assert.equal(g.ids.ordinalOf(70001), 3);
    assert.equal(g.ids.ordinalOf(65537), 4);
    assert.equal(g.ids.ordinalOf(5), -1);
  });
});

describe('source locations', () => {
  it("finds a node's location when V8 listed them out of node order, a node listed twice keeping its last record", () => {
    const nodes = [root(), { type: 'synthetic', name: '(GC roots)', self: 0 }, obj('A', 10), obj('B', 20), obj('C', 30), obj('D', 40)];
    const edges: BuilderEdge[] = [
      { from: 0, type: 'element', name: 1, to: 1 },
      ...[2, 3, 4, 5].map((to) => ({ from: 1, type: 'element' as const, name: to, to })),
    ];
    const g = graphOf(
      buildSnapshot(nodes, edges, {
        locations: [
          [5, 3, 50, 1],
          [2, 3, 20, 2],
          [5, 3, 51, 3],
          [4, 3, 40, 4],
        ],
      }).text,
    );
    const at = (n: number) => {
      const l = g.snap.location(n);
      return l && [l.scriptId, l.line, l.column];
    };
    assert.deepEqual([at(2), at(3), at(4), at(5)], [[3, 21, 3], null, [3, 41, 5], [3, 52, 4]]);
  });

  it('sorts millions of (node, record) pairs stably by node, across both 16-bit halves', () => {
    const n = 200_000;
    const keys = new Uint32Array(n);
    const values = new Uint32Array(n);
    let x = 12345;
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      keys[i] = i % 3 === 0 ? x % 1000 : x; // many repeats, and keys over 2^16
      values[i] = i;
    }
    const expected = Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
    const k0 = keys.slice();
    sortPairs(keys, values);
    assert.deepEqual(Array.from(values), expected);
    assert.deepEqual(
      Array.from(keys),
      expected.map((i) => k0[i]),
    );
  });
});
