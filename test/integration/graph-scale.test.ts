/**
 * The graph passes at scale (integration tier: a million-node heap built and loaded whole): no recursion anywhere,
 * so a 1,000,000-long chain neither overflows the stack nor loses exactness.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shortestRetainerPath } from '../../src/analysis/graph/paths.js';
import { buildSnapshot, root, type BuilderEdge, type BuilderNode } from '../helpers/builder.js';
import { graphOf } from '../helpers/load.js';

const obj = (name: string, self: number): BuilderNode => ({ type: 'object', name, self });

describe('scale', () => {
  it('handles a 1,000,000-long linked list without recursion', () => {
    const N = 1_000_000;
    const nodes: BuilderNode[] = [root(), { type: 'synthetic', name: '(GC roots)', self: 0 }];
    const edges: BuilderEdge[] = [
      { from: 0, type: 'element', name: 1, to: 1 },
      { from: 1, type: 'element', name: 1, to: 2 },
    ];
    for (let i = 0; i < N; i++) {
      nodes.push(obj('ListNode', 3));
      if (i + 1 < N) edges.push({ from: 2 + i, type: 'property', name: 'next', to: 3 + i });
    }
    const g = graphOf(buildSnapshot(nodes, edges).text);
    assert.equal(g.dominators.retained[2], 3 * N);
    assert.equal(g.dominators.idom[N + 1], N);
    assert.equal(g.distances[N + 1], N + 1);
    const path = shortestRetainerPath(g, N + 1);
    assert.equal(path?.length, N + 2);
  });
});
