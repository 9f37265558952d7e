/**
 * Measures one snapshot in a fresh process (so peak RSS is this file's alone) with the built code (dist/), and
 * prints one JSON line: parse seconds and MB/s, full analysis seconds (parse + retainers + dominators + retained
 * sizes), then the rest of `summary` (classes, distances, paths), and peak RSS.
 *
 *   node bench/measure.mjs <file> [analysis|summary]
 * `analysis` stops after retained sizes (peak RSS of the full analysis alone); `summary` goes on to the whole
 * `leakscope summary` computation in the same process.
 */
import { statSync } from 'node:fs';
import { loadSnapshot } from '../dist/analysis/heap/loader.js';
import { HeapGraph } from '../dist/analysis/graph/heap-graph.js';
import { summarize } from '../dist/analysis/summary.js';

const [file, mode = 'summary'] = process.argv.slice(2);
const bytes = statSync(file).size;
const t0 = performance.now();
const snap = await loadSnapshot(file);
const t1 = performance.now();
const graph = new HeapGraph(snap);
const phases = {};
let last = performance.now();
const mark = (name) => {
  const now = performance.now();
  phases[name] = (now - last) / 1000;
  last = now;
};
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
const rss = process.resourceUsage().maxRSS * 1024;
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
