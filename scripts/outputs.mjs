#!/usr/bin/env node
// Writes what `summary` and `diff` print for every generated fixture (fixtures/snapshots/<node>/<case>/) — JSON,
// table and Markdown — into one folder, one file per case and format, so a refactor can prove that behaviour did
// not change: run it before and after, then `diff -r before after` must print nothing.
//   node scripts/outputs.mjs <out-dir> [fixtures-dir]
// Uses the built CLI (npm run compile first), a fixed 80-column width and no colour.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [out, fixturesArg] = process.argv.slice(2);
if (!out) {
  process.stderr.write('usage: node scripts/outputs.mjs <out-dir> [fixtures-dir]\n');
  process.exit(2);
}
const fixtures = path.resolve(fixturesArg ?? path.join(root, 'fixtures', 'snapshots'));
mkdirSync(out, { recursive: true });
const env = { ...process.env, COLUMNS: '80', NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true' };

function cli(args) {
  try {
    return execFileSync(process.execPath, [path.join(root, 'bin', 'run.js'), ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    return `${e.stdout ?? ''}\n[exit ${e.status}]\n${e.stderr ?? ''}`;
  }
}

let count = 0;
for (const version of readdirSync(fixtures).sort()) {
  for (const name of readdirSync(path.join(fixtures, version)).sort()) {
    const dir = path.join(fixtures, version, name);
    const files = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')).sort().map((f) => path.join(dir, f));
    if (files.length === 0) continue;
    const base = path.join(out, `${version}.${name}`);
    const rel = (f) => path.relative(root, f);
    writeFileSync(`${base}.summary.json`, cli(['summary', rel(files[0]), '--json']));
    writeFileSync(`${base}.summary.txt`, cli(['summary', rel(files[0])]));
    writeFileSync(`${base}.summary.md`, cli(['summary', rel(files[0]), '--format', 'markdown']));
    if (files.length > 1) {
      writeFileSync(`${base}.diff.json`, cli(['diff', ...files.map(rel), '--json']));
      writeFileSync(`${base}.diff.txt`, cli(['diff', ...files.map(rel)]));
      writeFileSync(`${base}.diff.md`, cli(['diff', ...files.map(rel), '--format', 'markdown']));
    }
    count++;
    process.stderr.write(`\r${count} cases`);
  }
}
process.stderr.write(`\n${count} cases written to ${out}\n`);
