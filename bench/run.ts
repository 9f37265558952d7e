/**
 * `npm run bench`: generates synthetic session-cache heaps from a real Node process (bench/gen-heap.mjs) at about
 * 50 MB and 300 MB (and ~900 MB with --large), then measures each in a fresh process (bench/measure.ts) and prints
 * parse MB/s, seconds for the full analysis, and peak RSS as a multiple of the file size.
 *
 *   npm run bench [-- --large] [-- --only 50,300]
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

function generate(mb: number, file: string, series = 1): void {
  const probe = series > 1 ? file.replace(/\.heapsnapshot$/, '-3.heapsnapshot') : file;
  if (existsSync(probe)) return;
  process.stderr.write(`generating ${path.basename(file)}${series > 1 ? ` (series of ${series})` : ''} from a real Node process...\n`);
  const t = performance.now();
  execFileSync(process.execPath, ['--max-old-space-size=16384', path.join(here, 'gen-heap.mjs'), String(mb), file, ...(series > 1 ? ['--series', String(series)] : [])], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  process.stderr.write(`  generated in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
}

function measure(script: string, extra: string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, ['--max-old-space-size=16384', '--import', 'tsx', path.join(here, script), ...extra], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').at(-1) as string) as Record<string, unknown>;
}

const MB = 1e6;
console.log('leakscope benchmarks  (node %s, %s)', process.version, `${process.platform}-${process.arch}`);
console.log('');
console.log('snapshot                      size      nodes       edges   parse s   parse MB/s   analysis s   peak RSS   RSS/file');
for (const mb of sizes) {
  const file = path.join(outDir, `bench-${mb}.heapsnapshot`);
  generate(mb, file);
  const r = measure('measure.ts', [file]) as {
    bytes: number; nodes: number; edges: number; parseSeconds: number; parseMBps: number; analysisSeconds: number; peakRss: number; rssMultiple: number;
  };
  console.log(
    `${path.basename(file).padEnd(26)} ${(r.bytes / MB).toFixed(0).padStart(6)} MB ${String(r.nodes).padStart(10)} ${String(r.edges).padStart(11)} ` +
      `${r.parseSeconds.toFixed(2).padStart(8)} ${r.parseMBps.toFixed(0).padStart(12)} ${r.analysisSeconds.toFixed(2).padStart(12)} ` +
      `${(r.peakRss / MB).toFixed(0).padStart(7)} MB ${r.rssMultiple.toFixed(2).padStart(9)}x`,
  );
}
