/**
 * The target's pause (issue 28): `attach --no-snapshot` rounds against one heap snapshot, on a busy HTTP target
 * (bench/capture-target.mjs) with a ~100 MB and a ~1 GB heap. For each:
 *   - throughput (req/s from 16 keep-alive clients) unwatched, and for the whole time `attach --no-snapshot`
 *     watches it (4 rounds, `seconds` apart: connect, census, rounds, let go): goal within 5 %;
 *   - the longest pause of the watch, as leakscope measured its calls and as the target felt it (the event loop's
 *     longest delay, GET /lag), against one `leakscope snapshot` of the same heap: goal at least 20x shorter.
 *
 *   node bench/pause.mjs [sizes=100,1000] [seconds=15]      (npm run bench -- --pause)
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpLoad } from './http-load.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');
const sizes = (process.argv[2] ?? '100,1000').split(',').map(Number);
const seconds = Number(process.argv[3] ?? 15);
const out = path.join(here, 'out', 'pause');
mkdirSync(out, { recursive: true });

function leakscope(args) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    execFile(process.execPath, [path.join(root, 'bin', 'run.js'), ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, stdout, stderr, seconds: (performance.now() - t0) / 1000 }),
    );
  });
}

async function one(heapMB) {
  const child = spawn(
    process.execPath,
    ['--inspect-port=0', '--max-old-space-size=8192', path.join(here, 'capture-target.mjs'), String(heapMB)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let load = null;
  try {
    const { port, used } = await new Promise((resolve) => {
      let text = '';
      child.stdout.on('data', (d) => {
        text += d;
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+) heapUsed=(\d+)/.exec(text);
        if (m) resolve({ port: Number(m[1]), used: Number(m[2]) });
      });
    });
    load = httpLoad(port);
    const { get, throughput } = load;
    const lag = async () => JSON.parse(await get('/lag')).maxMs;
    await throughput(3000);
    const phase = 4 * seconds * 1000;
    const base1 = await throughput(phase);
    await lag();
    // the load for as long as the watch lasts, from connecting to letting go
    const extra = process.env.PAUSE_EXTRA ? process.env.PAUSE_EXTRA.split(' ') : [];
    const watch = leakscope([
      'attach',
      String(child.pid),
      '--no-snapshot',
      '--interval',
      `${seconds}s`,
      '--snapshots',
      '4',
      '--json',
      ...extra,
    ]);
    const watched = await throughput(0, watch);
    const w = await watch;
    const watchLag = await lag();
    const report = JSON.parse(w.stdout);
    const base2 = await throughput(phase);
    await lag();
    const file = path.join(out, `snapshot-${heapMB}.heapsnapshot`);
    const s = await leakscope(['snapshot', String(child.pid), '-o', file, '--force']);
    const snapLag = await lag();
    rmSync(file, { force: true });
    const base = (base1 + base2) / 2;
    return {
      heapMB: Math.round(used / 1e6),
      snapshotS: s.seconds,
      snapshotLagMs: snapLag,
      watchLongestMs: report.pauses.longestMs,
      watchTotalMs: report.pauses.totalMs,
      watchLagMs: watchLag,
      ratio: snapLag / Math.max(1, watchLag),
      base,
      watched,
      lower: ((base - watched) / base) * 100,
      verdict: report.verdict,
    };
  } finally {
    load?.destroy();
    child.kill('SIGKILL');
  }
}

console.log(`node ${process.version}; rounds ${seconds} s apart; load unwatched, watched (the whole watch), unwatched`);
console.log('heap     snapshot pause   --no-snapshot longest pause (leakscope / target)   ratio   req/s unwatched -> watched');
for (const mb of sizes) {
  const r = await one(mb);
  console.log(
    `${String(r.heapMB).padStart(5)} MB  ${(r.snapshotLagMs / 1000).toFixed(1).padStart(6)} s        ` +
      `${String(r.watchLongestMs).padStart(5)} ms / ${r.watchLagMs.toFixed(0).padStart(5)} ms (total ${r.watchTotalMs} ms)` +
      `            ${r.ratio.toFixed(0).padStart(4)}x   ${r.base.toFixed(0)} -> ${r.watched.toFixed(0)} (${r.lower >= 0 ? '-' : '+'}${Math.abs(r.lower).toFixed(1)} %)`,
  );
}
