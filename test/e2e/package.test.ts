/**
 * The package a team installs: `npm pack --dry-run` lists what the tarball ships — what leakscope runs (bin/run.js,
 * dist's JavaScript and types, the oclif manifest that makes --help fast), its README and LICENSE — and nothing else: no source maps pointing at sources it
 * does not ship, no development launcher, no tests, fixtures or TypeScript sources.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/fixtures.js';

describe('the npm package', () => {
  it('ships what it runs, and nothing more', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 120_000,
    });
    const files: string[] = JSON.parse(out)[0].files.map((f: { path: string }) => f.path);
    for (const must of [
      'bin/run.js',
      'dist/commands/run.js',
      'dist/commands/attach.js',
      'dist/api/index.js',
      'dist/api/index.d.ts',
      'dist/api/require.cjs',
      'dist/hooks/not-found.js',
      'oclif.manifest.json',
      'README.md',
      'LICENSE',
      'package.json',
    ]) {
      assert.ok(files.includes(must), `ships ${must}`);
    }
    const extra = files.filter(
      (f) =>
        f.endsWith('.map') ||
        f === 'bin/dev.js' ||
        /^(src|test|fixtures|bench|docs|scripts|examples)\//.test(f) ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')),
    );
    assert.deepEqual(extra, [], 'no source maps without their sources, no dev launcher, no sources, tests or fixtures');
  });
});
