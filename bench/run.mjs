/**
 * `npm run bench`: generates synthetic session-cache heaps from a real Node process (bench/gen-heap.mjs) at about
 * 50 MB and 300 MB (and ~900 MB with --large), then measures each in a fresh process (bench/measure.ts) and prints
 * parse MB/s, seconds for the full analysis, and peak RSS as a multiple of the file size.
 *
 *   npm run bench [-- --large] [-- --only 50,300] [-- --no-diff] [-- --capture]
 * Then a diff of three ~300 MB snapshots of one process (baseline, target with extra retained objects, final with
 * part of them released), as `leakscope diff` runs it.
 * (plain JavaScript over the built dist/: the figures are those of the shipped code)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'out');
mkdirSync(outDir, { recursive: true });
const args = process.argv.slice(2);
const onlyIdx = args.indexOf('--only');
const sizes = onlyIdx >= 0 ? args[onlyIdx + 1].split(',').map(Number) : [50, 300, ...(args.includes('--large') ? [900] : [])];

function generate(mb, file, series = 1) {
  const probe = series > 1 ? file.replace(/\.heapsnapshot$/, '-3.heapsnapshot') : file;
  if (existsSync(probe)) return;
  process.stderr.write(`generating ${path.basename(file)}${series > 1 ? ` (series of ${series})` : ''} from a real Node process...\n`);
  const t = performance.now();
  execFileSync(process.execPath, ['--max-old-space-size=16384', path.join(here, 'gen-heap.mjs'), String(mb), file, ...(series > 1 ? ['--series', String(series)] : [])], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
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

const MB = 1e6;
console.log('leakscope benchmarks  (node %s, %s)', process.version, `${process.platform}-${process.arch}`);
console.log('');
console.log('snapshot                  size       nodes       edges  parse s  parse MB/s  analysis s  RSS/file | summary s  RSS/file');
for (const mb of sizes) {
  const file = path.join(outDir, `bench-${mb}.heapsnapshot`);
  generate(mb, file);
  const a = measure('measure.mjs', [file, 'analysis']);
  const s = measure('measure.mjs', [file, 'summary']);
  console.log(
    `${path.basename(file).padEnd(22)} ${(a.bytes / MB).toFixed(0).padStart(6)} MB ${String(a.nodes).padStart(10)} ${String(a.edges).padStart(11)} ` +
      `${a.parseSeconds.toFixed(2).padStart(8)} ${a.parseMBps.toFixed(0).padStart(11)} ${a.analysisSeconds.toFixed(2).padStart(11)} ` +
      `${a.rssMultiple.toFixed(2).padStart(8)}x | ${s.summarySeconds.toFixed(2).padStart(9)} ${s.rssMultiple.toFixed(2).padStart(8)}x`,
  );
}
console.log('');
console.log('analysis = parse + retainers + dominators + retained sizes; summary = all of `leakscope summary`.');
console.log('RSS/file = peak resident memory of a fresh process / snapshot file size.');

if (!args.includes('--no-diff')) {
  const base = path.join(outDir, 'series-300.heapsnapshot');
  generate(300, base, 3);
  const files = [1, 2, 3].map((k) => base.replace(/\.heapsnapshot$/, `-${k}.heapsnapshot`));
  const d = measure('measure-diff.mjs', files);
  console.log('');
  console.log(`diff of 3 snapshots of one process (largest ${(d.largest / MB).toFixed(0)} MB): ${d.seconds.toFixed(2)} s, peak RSS ${(d.peakRss / MB).toFixed(0)} MB = ${d.rssMultiple.toFixed(2)}x the largest file`);
  console.log(`  verdict ${d.verdict}; top finding: ${d.findings[0] ?? 'none'}`);
}

if (args.includes('--capture')) {
  console.log('');
  console.log('capture (bench/capture.mjs): a live target with a ~300 MB heap');
  execFileSync(process.execPath, [path.join(here, 'capture.mjs'), '300', '8'], { stdio: ['ignore', 'inherit', 'ignore'] });
}
