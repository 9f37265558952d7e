/**
 * The parallel loader (heap/parallel.ts) against the one-thread one, on the same files: the same snapshot, and for
 * broken files the same one-line error at the same byte. Real worker threads, real files.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SnapshotFormatError } from '../../src/common/errors.js';
import { loadSnapshot } from '../../src/analysis/heap/loader.js';
import type { HeapSnapshot } from '../../src/analysis/heap/snapshot.js';
import { buildSnapshot, root } from '../helpers/builder.js';
import { scratchDir } from '../helpers/scratch.js';

const dir = scratchDir('leakscope-parallel-');
let seq = 0;
function file(text: string): string {
  const f = path.join(dir, `s${seq++}.heapsnapshot`);
  writeFileSync(f, text);
  return f;
}

/** A heap of a few thousand objects, a chain, a cycle, named and indexed edges, non-ASCII names. */
function sample(objects = 3000) {
  const nodes = [root(), { type: 'synthetic', name: '(GC roots)', self: 0 }];
  const edges: Array<{ from: number; type: 'element' | 'property' | 'internal' | 'weak'; name: string | number; to: number }> = [
    { from: 0, type: 'element', name: 1, to: 1 },
  ];
  for (let i = 0; i < objects; i++) {
    nodes.push({ type: 'object', name: i % 7 === 0 ? `Grüße ${i % 13}` : `Item${i % 5}`, self: 16 + (i % 40) });
    const n = nodes.length - 1;
    edges.push({ from: i % 3 === 0 ? 1 : n - 1, type: 'property', name: `k${i % 11}`, to: n });
    if (i % 5 === 0) edges.push({ from: n, type: 'element', name: i, to: Math.max(2, n - 3) });
    if (i % 9 === 0) edges.push({ from: n, type: 'weak', name: 'w', to: 2 });
  }
  return buildSnapshot(nodes, edges, { layout: 'node20', locations: [[2, 7, 11, 4]] }).text;
}

function same(a: HeapSnapshot, b: HeapSnapshot): void {
  assert.deepEqual(Array.from(b.nodes), Array.from(a.nodes));
  assert.deepEqual(Array.from(b.edges), Array.from(a.edges));
  assert.deepEqual(Array.from(b.firstEdge), Array.from(a.firstEdge));
  assert.deepEqual(b.strings, a.strings);
  assert.deepEqual(Array.from(b.locationsRaw), Array.from(a.locationsRaw));
  assert.equal(b.nodeCount, a.nodeCount);
}

async function error(f: string, threads: number, stagingRecords?: number): Promise<SnapshotFormatError> {
  try {
    await loadSnapshot(f, { threads, chunkBytes: 1 << 20, ...(stagingRecords ? { stagingRecords } : {}) });
  } catch (err) {
    assert.ok(err instanceof SnapshotFormatError, `expected SnapshotFormatError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

describe('parallel parse: worker threads read the nodes and edges sections', () => {
  it('gives the same snapshot as one thread, whatever the read size', async () => {
    const f = file(sample());
    const one = await loadSnapshot(f, { threads: 1 });
    for (const chunkBytes of [1 << 20, 4 << 20]) same(one, await loadSnapshot(f, { threads: 3, chunkBytes }));
    // records handed from reader to sink a few at a time, on both paths
    for (const threads of [1, 3]) same(one, await loadSnapshot(f, { threads, stagingRecords: 3 }));
    assert.ok((one.nodes.buffer as unknown) instanceof ArrayBuffer);
    const par = await loadSnapshot(f, { threads: 3 });
    assert.ok((par.nodes.buffer as unknown) instanceof SharedArrayBuffer, 'the parallel path really ran');
  });

  const good = sample(200);
  const cases: Array<[string, string]> = [
    ['a letter inside nodes', good.replace('"nodes":[9', '"nodes":[x')],
    ['a letter inside edges', good.replace(/"edges":\[(\d+),/, '"edges":[$1,y')],
    ['truncated inside nodes', good.slice(0, good.indexOf('"nodes"') + 40)],
    ['truncated inside edges', good.slice(0, good.indexOf('"edges"') + 40)],
    ['truncated inside strings', good.slice(0, good.length - 10)],
    ['node_count too small', good.replace(/"node_count":\d+/, '"node_count":3')],
    ['node_count too large', good.replace(/"node_count":\d+/, '"node_count":205')],
    ['edge_count too large', good.replace(/"edge_count":\d+/, (m) => `"edge_count":${Number(m.split(':')[1]) + 1}`)],
    ['edge outside the node array', good.replace(/"edges":\[(\d+),(\d+),(\d+)/, '"edges":[$1,$2,70000')],
    ['a node of an unknown type', good.replace('"nodes":[9', '"nodes":[99')],
    [
      'a bad string in strings, after a bad edge',
      good.replace(/"edges":\[(\d+),(\d+),(\d+)/, '"edges":[$1,$2,70000').replace('"strings":["', '"strings":[x"'),
    ],
    [
      'a letter in edges and one in strings: the first wins',
      good.replace(/"edges":\[(\d+),/, '"edges":[$1,y').replace('"strings":["', '"strings":[x"'),
    ],
  ];
  for (const [what, text] of cases) {
    it(`the same error as one thread: ${what}`, async () => {
      const f = file(text);
      const one = await error(f, 1);
      const par = await error(f, 3);
      assert.equal(par.message, one.message);
      assert.equal(par.byteOffset, one.byteOffset);
      const staged = await error(f, 3, 3);
      assert.equal(staged.message, one.message);
      assert.equal(staged.byteOffset, one.byteOffset);
    });
  }
});
