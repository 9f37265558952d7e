/**
 * Measures one snapshot in a fresh process (so peak RSS is this file's alone) with the built code (dist/), and
 * prints one JSON line: parse seconds and MB/s, then each phase of `leakscope summary` (seconds, and the peak RSS
 * reached by the end of it), and the totals.
 *
 *   node bench/measure.mjs <file> [analysis|summary] [--threads N]
 * `analysis` stops after retained sizes; `summary` goes on to the whole `leakscope summary` computation (what the
 * command prints, as data) in the same process.
 */
import { statSync } from 'node:fs';
import { loadSnapshot } from '../dist/analysis/heap/loader.js';
import { HeapGraph } from '../dist/analysis/graph/heap-graph.js';
import { summarize } from '../dist/analysis/summary.js';
import { allowExposingGc } from '../dist/analysis/heap/release.js';

// measured as the CLI runs: leakscope's own process may force the GC that frees a dropped snapshot
allowExposingGc();

const args = process.argv.slice(2);
const [file, mode = 'summary'] = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1] === '--threads'));
const threadsAt = args.indexOf('--threads');
const threads = threadsAt >= 0 ? Number(args[threadsAt + 1]) : undefined;
const bytes = statSync(file).size;
const peak = () => process.resourceUsage().maxRSS * 1024;
const phases = [];
const t0 = performance.now();
let last = t0;
const mark = (name) => {
  const now = performance.now();
  phases.push({ name, seconds: (now - last) / 1000, peakRss: peak() });
  last = now;
};
const snap = await loadSnapshot(file, threads === undefined ? {} : { threads });
mark('parse');
const t1 = performance.now();
const graph = new HeapGraph(snap);
void graph.retainers;
mark('retainers');
void graph.dominators;
mark('dominators');
const t2 = performance.now();
if (mode === 'summary') {
  summarize(graph, file, { top: 20 });
  mark('summary');
}
const t3 = performance.now();
const rss = peak();
console.log(
  JSON.stringify({
    file,
    bytes,
    nodes: snap.nodeCount,
    edges: snap.edgeCount,
    parseSeconds: (t1 - t0) / 1000,
    parseMBps: bytes / 1e6 / ((t1 - t0) / 1000),
    analysisSeconds: (t2 - t0) / 1000,
    summarySeconds: mode === 'summary' ? (t3 - t0) / 1000 : null,
    phases,
    peakRss: rss,
    rssMultiple: rss / bytes,
  }),
);
