/**
 * Memory outside the JS heap in a snapshot: which ArrayBuffer backing stores a holder keeps (nested holders count
 * for both), the new ones only when asked, and which are whole Buffer-pool blocks (the pool's size read from
 * lib/buffer.js's allocPool; its current block is not a kept one).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NAMES } from '../../src/analysis/heap/v8.js';
import { offHeapClause, offHeapOf, offHeapTotal, offHeapUnder, poolClause } from '../../src/analysis/findings/offheap.js';
import { series, type HeapModel } from '../helpers/heap-model.js';

const POOL = 65536;

/** A Buffer viewing a fresh ArrayBuffer of `bytes` (its own, or shared when `arrayBuffer` is given). */
function buffer(h: HeapModel, key: string, bytes: number, arrayBuffer?: number): { view: number; arrayBuffer: number } {
  const view = h.object('Buffer', `${key}:view`, 96);
  let ab = arrayBuffer;
  if (ab === undefined) {
    ab = h.object(NAMES.ArrayBuffer, `${key}:ab`, 88);
    h.edge(ab, 'internal', NAMES.backingStore, h.node('native', NAMES.arrayBufferData, bytes, `${key}:store`));
  }
  h.edge(view, 'internal', NAMES.viewBuffer, ab);
  return { view, arrayBuffer: ab };
}

function heap(parked: number) {
  let ids = { outer: -1, inner: -1, pool: -1 };
  const [graph] = series([parked], (h) => {
    // lib/buffer.js's module scope keeps the current pool block
    const scope = h.hold(h.context('buffer-module', h.scopeInfo('buffer', 'buffer-si')));
    const pool = buffer(h, 'current-pool', POOL);
    h.edge(scope, 'context', NAMES.bufferPool, pool.arrayBuffer);
    const outer = h.hold(h.object(NAMES.Map, 'uploads', 32));
    const inner = h.object(NAMES.Map, 'retries', 32);
    h.edge(outer, 'property', 'retries', inner);
    for (let k = 0; k < parked; k++) h.edge(outer, 'element', k, buffer(h, `upload-${k}`, 20_000).view);
    // two slices of one old pool block, both kept by the inner Map: one block, counted once
    const slice = buffer(h, 'slice-a', POOL);
    h.edge(inner, 'element', 0, slice.view);
    h.edge(inner, 'element', 1, buffer(h, 'slice-b', 0, slice.arrayBuffer).view);
    ids = { outer, inner, pool: pool.arrayBuffer };
  });
  return { graph, ...ids };
}

describe('memory outside the JS heap', () => {
  it('a holder keeps the backing stores it dominates; a nested holder counts for both; the pool block is recognised', () => {
    const { graph, outer, inner } = heap(10);
    const by = offHeapUnder(graph, [outer, inner]);
    assert.deepEqual(by.get(inner), { bytes: POOL, stores: 1, poolBlocks: 1, poolBytes: POOL, blockSize: POOL });
    assert.deepEqual(by.get(outer), { bytes: 10 * 20_000 + POOL, stores: 11, poolBlocks: 1, poolBytes: POOL, blockSize: POOL });
    assert.equal(offHeapTotal(graph).bytes, 10 * 20_000 + 2 * POOL, 'every backing store, the current pool too');
  });

  it('only the marked (new) backing stores when asked', () => {
    const { graph, outer } = heap(4);
    const only = new Uint8Array(graph.snap.nodeCount);
    for (let n = 0; n < graph.snap.nodeCount; n++) if (graph.snap.v8.isArrayBufferData(n) && graph.snap.selfSize(n) === 20_000) only[n] = 1;
    assert.equal(offHeapOf(graph, outer, only).bytes, 4 * 20_000);
  });

  it('says it in words only when it is a material share, and explains pool blocks', () => {
    const { graph, outer } = heap(10);
    const o = offHeapOf(graph, outer);
    assert.equal(offHeapClause(o, 300_000), ', of which 265.5 kB in Buffers outside the JS heap (11 ArrayBuffers)');
    assert.equal(offHeapClause(o, 10e6), '', 'under a tenth of what the finding holds');
    assert.match(poolClause(o), /^; 1 of those is a whole 65\.5 kB Buffer-pool block \(65\.5 kB\): a small Buffer sliced from the pool/);
    assert.equal(poolClause({ ...o, poolBlocks: 0 }), '');
  });
});
