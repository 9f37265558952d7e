#!/usr/bin/env node
/**
 * Refactoring check: writes what `summary` and `diff` print for every fixture series (--json, and the table and
 * markdown reports) into a folder, so that the outputs before and after a change can be compared byte for byte:
 *
 *   node bench/json-outputs.mjs /tmp/before      # on the old commit
 *   node bench/json-outputs.mjs /tmp/after       # on the new one
 *   diff -r /tmp/before /tmp/after               # no output: nothing a user sees changed
 *
 * Uses fixtures/snapshots/ as they are (generate them once with `npm run fixtures`; do not regenerate between the
 * two runs: diff's rates use the files' modification times).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2];
if (!out) {
  console.error('usage: node bench/json-outputs.mjs <output folder>');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const dir = `fixtures/snapshots/${process.version}`;
// one folder per series (make-snapshots.mjs): <program>.r<rounds>.n<requests>.<source hash>/<program>-<k>.heapsnapshot
const series = readdirSync(path.join(root, dir))
  .filter((f) => /^[\w-]+\.r3\.n\d+\.[0-9a-f]{10}$/.test(f))
  .sort();

const jobs = [];
for (const folder of series) {
  const s = folder.replace(/\.r3\.n\d+\.[0-9a-f]{10}$/, '');
  const f = (k) => `${dir}/${folder}/${s}-${k}.heapsnapshot`;
  jobs.push([`${s}.summary.json`, ['summary', f(3), '--json']]);
  jobs.push([`${s}.summary.txt`, ['summary', f(3)]]);
  jobs.push([`${s}.diff.json`, ['diff', f(1), f(2), f(3), '--json']]);
  jobs.push([`${s}.diff.txt`, ['diff', f(1), f(2), f(3)]]);
  jobs.push([`${s}.diff.md`, ['diff', f(1), f(2), f(3), '--format', 'markdown']]);
  jobs.push([`${s}.diff2.json`, ['diff', f(1), f(3), '--json']]);
}

async function one([name, args]) {
  let stdout;
  let code = 0;
  try {
    ({ stdout } = await run(process.execPath, ['bin/run.js', ...args], { cwd: root, maxBuffer: 64 << 20 }));
  } catch (err) {
    stdout = err.stdout ?? '';
    code = err.code;
  }
  writeFileSync(path.join(out, name), `${stdout}\n(exit ${code})\n`);
}

const queue = [...jobs];
await Promise.all(
  [0, 1].map(async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await one(job);
  }),
);
console.log(`${jobs.length} outputs of ${series.length} fixture series in ${out}`);
