/**
 * `npm run bench`: generates synthetic session-cache heaps from a real Node process (bench/gen-heap.mjs) at about
 * 50, 300 and 900 MB (and ~3 GB with --huge), then measures each in a fresh process: leakscope's `summary` phase by
 * phase (bench/measure.mjs: seconds, peak RSS so far as a multiple of the file) and, on the same file in the same
 * run, Chrome DevTools' own loader + initialize (bench/devtools.mjs, bundled from npm at bench time; skipped with a
 * message when it cannot be had, or with --no-devtools), and the ratio. Then a diff of three ~300 MB snapshots of
 * one process (baseline, target with extra retained objects, final with part of them released).
 *
 *   npm run bench [-- --huge] [-- --only 50,300] [-- --no-diff] [-- --no-devtools] [-- --threads 1] [-- --repeat 3] [-- --capture] [-- --pause]
 * --repeat N measures each file N times with each tool, alternating, and reports each tool's median run (by time):
 * on a shared machine one run can be much slower than the next.
 * (plain JavaScript over the built dist/: the figures are those of the shipped code)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareDevTools, DEVTOOLS_VERSION } from './devtools.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'out');
mkdirSync(outDir, { recursive: true });
const args = process.argv.slice(2);
const onlyIdx = args.indexOf('--only');
const sizes = onlyIdx >= 0 ? args[onlyIdx + 1].split(',').map(Number) : [50, 300, 900, ...(args.includes('--huge') ? [3000] : [])];
const threadsIdx = args.indexOf('--threads');
const threadArgs = threadsIdx >= 0 ? ['--threads', args[threadsIdx + 1]] : [];
const repeatIdx = args.indexOf('--repeat');
const repeat = repeatIdx >= 0 ? Math.max(1, Number(args[repeatIdx + 1]) || 1) : 1;
/** the run whose time is the median of the runs (the lower middle one for an even count) */
const median = (runs, seconds) =>
  runs.length === 0 ? null : [...runs].sort((a, b) => seconds(a) - seconds(b))[Math.floor((runs.length - 1) / 2)];

function generate(mb, file, series = 1) {
  const probe = series > 1 ? file.replace(/\.heapsnapshot$/, '-3.heapsnapshot') : file;
  if (existsSync(probe)) return;
  process.stderr.write(`generating ${path.basename(file)}${series > 1 ? ` (series of ${series})` : ''} from a real Node process...\n`);
  const t = performance.now();
  execFileSync(
    process.execPath,
    ['--max-old-space-size=16384', path.join(here, 'gen-heap.mjs'), String(mb), file, ...(series > 1 ? ['--series', String(series)] : [])],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  process.stderr.write(`  generated in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
}

function measure(script, extra) {
  const out = execFileSync(process.execPath, ['--max-old-space-size=16384', path.join(here, script), ...extra], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').at(-1));
}

let devtools = null;
let devtoolsWhy = 'skipped (--no-devtools)';
if (!args.includes('--no-devtools')) {
  try {
    await prepareDevTools();
    devtools = DEVTOOLS_VERSION;
  } catch (err) {
    devtoolsWhy = `skipped: chrome-devtools-frontend@${DEVTOOLS_VERSION} could not be fetched or bundled (${String(err?.message ?? err).split('\n')[0]})`;
  }
}

const MB = 1e6;
const x = (v) => `${v.toFixed(2)}x`;
console.log(
  'leakscope benchmarks  (node %s, %s, %d cores: %s)',
  process.version,
  `${process.platform}-${process.arch}`,
  availableParallelism(),
  cpus()[0]?.model ?? '?',
);
console.log(
  devtools
    ? `Chrome DevTools: the heap_snapshot_worker of chrome-devtools-frontend@${devtools} (loader + initialize, with its second worker)`
    : `Chrome DevTools: ${devtoolsWhy}`,
);
console.log('');
console.log('snapshot                 size      nodes       edges | leakscope summary: s   RSS/file | DevTools: s   RSS/file | faster');
const rows = [];
for (const mb of sizes) {
  const file = path.join(outDir, `bench-${mb}.heapsnapshot`);
  generate(mb, file);
  const ours = [];
  const theirs = [];
  for (let k = 0; k < repeat; k++) {
    ours.push(measure('measure.mjs', [file, 'summary', ...threadArgs]));
    if (devtools) theirs.push(measure('devtools.mjs', [file]));
  }
  const s = median(ours, (r) => r.summarySeconds);
  const d = median(theirs, (r) => r.seconds);
  if (repeat > 1)
    process.stderr.write(
      `  ${path.basename(file)}: leakscope ${ours.map((r) => r.summarySeconds.toFixed(2)).join(' / ')} s${devtools ? `, DevTools ${theirs.map((r) => r.seconds.toFixed(2)).join(' / ')} s` : ''} ` +
        `(medians shown)\n`,
    );
  rows.push({ s, d });
  console.log(
    `${path.basename(file).padEnd(22)} ${(s.bytes / MB).toFixed(0).padStart(6)} MB ${String(s.nodes).padStart(10)} ${String(s.edges).padStart(11)} | ` +
      `${s.summarySeconds.toFixed(2).padStart(20)} ${x(s.rssMultiple).padStart(10)} | ` +
      `${d ? d.seconds.toFixed(2).padStart(11) : '—'.padStart(11)} ${d ? x(d.rssMultiple).padStart(10) : '—'.padStart(10)} | ${d ? `${(d.seconds / s.summarySeconds).toFixed(1)}x`.padStart(6) : '—'}`,
  );
}
console.log('');
console.log('leakscope by phase (seconds, and peak RSS reached by the end of the phase / file size):');
for (const { s } of rows) {
  console.log(
    `  ${path.basename(s.file).padEnd(22)} parse ${s.parseMBps.toFixed(0)} MB/s; ${s.phases.map((p) => `${p.name} ${p.seconds.toFixed(2)} s ${x(p.peakRss / s.bytes)}`).join(', ')}`,
  );
}
if (devtools) {
  console.log('DevTools by phase:');
  for (const { d } of rows)
    if (d)
      console.log(
        `  ${path.basename(d.file).padEnd(22)} load ${d.parseSeconds.toFixed(2)} s, initialize ${d.initializeSeconds.toFixed(2)} s`,
      );
}
console.log('');
console.log('summary = all of `leakscope summary` (parse, retainers, dominators, classes, largest objects and their paths).');
console.log('RSS/file = peak resident memory of a fresh process / snapshot file size.');

if (!args.includes('--no-diff')) {
  const base = path.join(outDir, 'series-300.heapsnapshot');
  generate(300, base, 3);
  const files = [1, 2, 3].map((k) => base.replace(/\.heapsnapshot$/, `-${k}.heapsnapshot`));
  const d = measure('measure-diff.mjs', files);
  console.log('');
  console.log(
    `diff of 3 snapshots of one process (largest ${(d.largest / MB).toFixed(0)} MB): ${d.seconds.toFixed(2)} ` +
      `s, peak RSS ${(d.peakRss / MB).toFixed(0)} MB = ${d.rssMultiple.toFixed(2)}x the largest file`,
  );
  console.log(`  verdict ${d.verdict}; top finding: ${d.findings[0] ?? 'none'}`);
}

if (args.includes('--capture')) {
  console.log('');
  console.log('capture (bench/capture.mjs): a live target with a ~300 MB heap');
  execFileSync(process.execPath, [path.join(here, 'capture.mjs'), '300', '8'], { stdio: ['ignore', 'inherit', 'ignore'] });
}

if (args.includes('--pause')) {
  console.log('');
  console.log('pause (bench/pause.mjs): attach --no-snapshot against one heap snapshot, ~100 MB and ~1 GB heaps');
  execFileSync(process.execPath, [path.join(here, 'pause.mjs'), '100,1000', '15'], { stdio: ['ignore', 'inherit', 'ignore'] });
}
