/**
 * Memory outside the JS heap on live processes (on the version matrix): an upload service that parks request bodies
 * (Buffers) in a Map that is never drained. heapUsed barely moves; arrayBuffers and rss climb. `run` must fail it
 * with the growth attributed to Buffers outside the heap and the holder named; `attach` must say where the memory
 * grows; the healthy twin (the parked bodies expire) must pass quietly.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { findInspector } from '../../src/capture/inspector-probe.js';
import { cli } from '../helpers/cli.js';
import { targetNode, targetVersion } from '../helpers/nodes.js';
import { isAlive, withTarget } from '../helpers/targets.js';
import { scratchDir } from '../helpers/scratch.js';

describe(`memory outside the JS heap, targets on Node ${targetVersion}`, () => {
  let tmp: string;
  before(() => {
    tmp = scratchDir('leakscope-offheap-');
  });

  it('run: parked upload bodies fail the run, attributed to Buffers outside the heap, the Map named', () => {
    const r = cli(
      ['run', '--quick', '--out', path.join(tmp, 'run-leak'), '--json', '--', targetNode, 'fixtures/programs/upload-leak.mjs'],
      { timeoutMs: 120_000 },
    );
    assert.equal(r.status, 1, `${r.stdout.slice(0, 2000)}${r.stderr}`);
    const j = JSON.parse(r.stdout);
    assert.equal(j.verdict, 'leak');
    const f = j.failing[0];
    assert.deepEqual(
      [f.kind, f.name, f.holderClass, f.itemClass, path.basename(f.location.file), f.location.line],
      ['growing-collection', 'parkedUploads', 'Map', 'Buffer', 'upload-leak.mjs', 6],
    );
    assert.ok(
      f.offHeap && f.offHeap.bytes >= 0.9 * f.newBytes,
      `nearly all of it outside the heap: ${JSON.stringify(f.offHeap)} of ${f.newBytes}`,
    );
    assert.match(f.summary, /retaining [\d.]+ MB, of which [\d.]+ MB in Buffers outside the JS heap/);
    // the series: Buffers grow, and that is what the verdict says
    assert.equal(
      j.memory.growing[0],
      'buffers',
      JSON.stringify(j.memory.parts.map((p: { part: string; trend: { slope: number } }) => [p.part, p.trend.slope])),
    );
    assert.match(
      j.reason,
      /^parkedUploads \(Map\) .*; memory grows outside the JS heap, in Buffers: arrayBuffers \+[\d.]+ MB\/min, while the post-GC heap/,
    );
    // a --quick run's few seconds give a change, a longer one a rate
    assert.match(
      j.memory.text,
      /^Buffers and ArrayBuffers outside the JS heap \(arrayBuffers\) (rose \+[\d.]+ [kM]B|rises \+[\d.]+ MB\/min \(\+[\d.]+ [kM]B\)), usually Buffers \(or typed arrays\) kept alive/,
    );
    const buffers = j.memory.parts.find((p: { part: string }) => p.part === 'buffers');
    const heap = j.memory.parts.find((p: { part: string }) => p.part === 'heap');
    assert.ok(buffers.trend.slope > 10 * Math.max(heap.trend.slope, 0.1e6), 'Buffers grow an order of magnitude faster than the heap');
  });

  it('run: the healthy twin (parked bodies expire) passes quietly', () => {
    const r = cli(['run', '--quick', '--out', path.join(tmp, 'run-healthy'), '--', targetNode, 'fixtures/programs/upload-healthy.mjs'], {
      timeoutMs: 120_000,
    });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^NO LEAK {2}/);
    assert.ok(r.stdout.trim().split('\n').length <= 4, `a quiet verdict and where the report is: ${r.stdout}`);
  });

  it('attach: the report says where the memory grows, beside the culprit; the target lives on, inspector closed', async () => {
    await withTarget('upload-leak', [], async (t) => {
      const r = cli([
        'attach',
        String(t.pid),
        '--interval',
        '2s',
        '--snapshots',
        '4',
        '--out',
        path.join(tmp, 'attach'),
        '--json',
        '--fail-on',
        'all',
      ]);
      assert.equal(r.status, 1, r.stderr);
      const i = JSON.parse(r.stdout).processes[0].isolates[0];
      const f = i.diff.findings[0];
      assert.deepEqual(
        [f.kind, f.name, path.basename(f.location.file), f.location.line],
        ['growing-collection', 'parkedUploads', 'upload-leak.mjs', 6],
      );
      assert.ok(f.offHeap.bytes >= 0.9 * f.newBytes, JSON.stringify(f.offHeap));
      assert.ok(
        i.memory.growing.includes('buffers'),
        JSON.stringify(i.memory.parts.map((p: { part: string; trend: { slope: number } }) => [p.part, p.trend.slope])),
      );
      assert.equal(await findInspector(t.pid), null);
      assert.ok(isAlive(t.pid));
    });
  });
});
