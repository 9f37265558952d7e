/**
 * Capture benchmarks (issue 5), on a real target with a ~300 MB heap (bench/capture-target.mjs):
 *  1. time for one heap snapshot via leakscope (inspector, streamed to disk) vs v8.writeHeapSnapshot inside the
 *     same target (goal: ≤ 1.2×);
 *  2. the target's request throughput with and without the sampling heap profiler running (goal: ≤ 3 % lower);
 *  3. the same with the growth trace wrapping the Map that every request writes to (goal: within noise).
 *
 *   node bench/capture.mjs [heapMB=300] [seconds=8]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectToTarget } from '../dist/capture/connect.js';
import { traceGrowth } from '../dist/capture/growth-trace.js';
import { httpLoad } from './http-load.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const heapMB = Number(process.argv[2] ?? 300);
const seconds = Number(process.argv[3] ?? 8);
const out = path.join(here, 'out', 'capture');
mkdirSync(out, { recursive: true });

const child = spawn(
  process.execPath,
  ['--inspect-port=0', '--max-old-space-size=4096', path.join(here, 'capture-target.mjs'), String(heapMB)],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const port = await new Promise((resolve) => {
  let text = '';
  child.stdout.on('data', (d) => {
    text += d;
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+) heapUsed=(\d+)/.exec(text);
    if (m) {
      console.log(`target pid ${child.pid}: heap used ${(Number(m[2]) / 1e6).toFixed(0)} MB`);
      resolve(Number(m[1]));
    }
  });
});
const { get, throughput, destroy } = httpLoad(port);

try {
  // 1. snapshot time
  const inProcessFile = path.join(out, 'in-process.heapsnapshot');
  const inProcess = JSON.parse(await get(`/write-snapshot?file=${encodeURIComponent(inProcessFile)}`)).ms / 1000;
  const conn = await connectToTarget({ pid: child.pid, host: '127.0.0.1' });
  const viaFile = path.join(out, 'leakscope.heapsnapshot');
  const t0 = performance.now();
  await conn.session.takeSnapshot(viaFile);
  const via = (performance.now() - t0) / 1000;
  console.log(
    `snapshot: v8.writeHeapSnapshot in the target ${inProcess.toFixed(2)} s (${(statSync(inProcessFile).size / 1e6).toFixed(0)} ` +
      `MB); leakscope over the inspector ${via.toFixed(2)} s (${(statSync(viaFile).size / 1e6).toFixed(0)} ` +
      `MB) = ${(via / inProcess).toFixed(2)}x`,
  );
  rmSync(inProcessFile);
  rmSync(viaFile);

  // 2. throughput with and without the sampling heap profiler
  await throughput(2000); // warm-up
  const base1 = await throughput(seconds * 1000);
  // 3. (before the sampling profiler) the growth trace: every /work request calls the wrapped recent.set
  const { result } = await conn.session.channel.send('Runtime.evaluate', { expression: 'globalThis.benchRecent' });
  const { heapSnapshotObjectId } = await conn.session.channel.send('HeapProfiler.getHeapObjectId', { objectId: result.objectId });
  // measured once the wrapper is in: finding the object by its heap id is a one-off pause (reported apart)
  let installMs = 0;
  let installed;
  const installedNow = new Promise((resolve) => (installed = resolve));
  const window = traceGrowth(
    conn.session,
    [{ nodeId: Number(heapSnapshotObjectId), methods: ['set'] }],
    seconds * 1000 + 1000,
    new AbortController().signal,
    (ms) => {
      installMs = ms;
      installed();
    },
  );
  await installedNow;
  const traced = await throughput(seconds * 1000);
  const [outcome] = await window;
  await conn.session.startSampling();
  const sampled = await throughput(seconds * 1000);
  await conn.session.detach();
  const base2 = await throughput(seconds * 1000);
  const base = (base1 + base2) / 2;
  console.log(
    `throughput: ${base.toFixed(0)} req/s without the sampling profiler (${base1.toFixed(0)}, ${base2.toFixed(0)}), ` +
      `${sampled.toFixed(0)} req/s with it = ${(((base - sampled) / base) * 100).toFixed(1)} % lower`,
  );
  console.log(
    `growth trace: finding the Map by its heap id and wrapping it took ${(installMs / 1000).toFixed(2)} s ` +
      `(one pause, like a GC's); then ${traced.toFixed(0)} req/s while recent.set was wrapped (${outcome.calls} ` +
      `calls counted, ${outcome.sampled} stacks sampled, removed: ${outcome.restored}) = ${(((base - traced) / base) * 100).toFixed(1)} ` +
      `% lower than without`,
  );
} finally {
  destroy();
  child.kill('SIGKILL');
}
