/**
 * Measures `leakscope diff` on a series of snapshots of one process, in a fresh process with the built code, and
 * prints one JSON line: seconds, peak RSS, and peak RSS over the largest file.
 *
 *   node bench/measure-diff.mjs a.heapsnapshot b.heapsnapshot c.heapsnapshot
 */
import { statSync } from 'node:fs';
import { DEFAULT_DIFF_OPTIONS } from '../dist/analysis/diff/diff.js';
import { diffFiles } from '../dist/analysis/diff/diff-files.js';
import { allowExposingGc } from '../dist/analysis/heap/release.js';

// measured as the CLI runs: leakscope's own process may force the GC that frees a dropped snapshot
allowExposingGc();

const files = process.argv.slice(2);
const largest = Math.max(...files.map((f) => statSync(f).size));
const t0 = performance.now();
const result = await diffFiles(files, DEFAULT_DIFF_OPTIONS);
const seconds = (performance.now() - t0) / 1000;
const rss = process.resourceUsage().maxRSS * 1024;
console.log(
  JSON.stringify({
    files,
    largest,
    seconds,
    peakRss: rss,
    rssMultiple: rss / largest,
    verdict: result.verdict,
    findings: result.findings
      .slice(0, 3)
      .map((f) => `${f.name} (${f.holderClass}) +${f.newObjects} ${f.itemClass} ${f.countByStep.join('/')}`),
  }),
);
