/**
 * The library entry (`import { expectNoLeak } from 'leakscope'`, `require('leakscope')`): what it loads, and that it
 * leaves nothing behind. Its behaviour on leaking and healthy functions is shown by the example test files in
 * examples/ (node:test ESM and CommonJS, Vitest), which `npm test` runs as they are.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../helpers/fixtures.js';

/** Every module file the entry loads, following static and dynamic relative imports and bare package names. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g)) {
      const spec = m[1];
      if (spec.startsWith('.')) todo.push(path.resolve(path.dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  }
  return { files, packages };
}

describe('the library entry', () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));

  it('package.json exports the API for import and require, with types, and the entry loads no CLI code', () => {
    const entry = pkg.exports['.'];
    for (const f of [entry.import.default, entry.import.types, entry.require.default, entry.require.types])
      assert.ok(existsSync(path.join(repoRoot, f)), f);
    const { files, packages } = importGraph(path.join(repoRoot, entry.import.default));
    assert.ok(files.size > 10, 'the analysis is loaded');
    assert.ok(!packages.has('@oclif/core'), `packages: ${[...packages].join(', ')}`);
    assert.ok(
      ![...files].some((f) => f.includes(`${path.sep}commands${path.sep}`) || f.includes(`${path.sep}cli${path.sep}`)),
      'no command or CLI module',
    );
  });

  it('resolves by name from ESM and CommonJS, and leaves no temporary folder behind', () => {
    // the children's temporary folder is a private one: whatever else runs on the machine cannot add to it
    const tmp = mkdtempSync(path.join(tmpdir(), 'leakscope-api-'));
    try {
      const env = { ...process.env, TMPDIR: tmp };
      // and no V8 flag of the caller's process is changed: gc is not exposed to new contexts afterwards
      const esm = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "import { expectNoLeak } from 'leakscope'; import vm from 'node:vm'; const r = await expectNoLeak(() => ({ a: 1 }), { iterations: 20 }); console.log(r.verdict, vm.runInNewContext('typeof gc'))",
        ],
        { cwd: repoRoot, encoding: 'utf8', timeout: 60_000, env },
      );
      assert.equal(esm.trim(), 'no-leak undefined');
      const cjs = execFileSync(
        process.execPath,
        ['-e', "require('leakscope').expectNoLeak(() => 1, { iterations: 20, rounds: 2 }).then((r) => console.log(r.verdict, r.rounds))"],
        { cwd: repoRoot, encoding: 'utf8', timeout: 60_000, env },
      );
      assert.equal(cjs.trim(), 'no-leak 2');
      assert.deepEqual(readdirSync(tmp), [], 'the snapshots and their folder are removed');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a function that never settles: a TimeoutError within the timeout option, and no folder left', () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'leakscope-api-'));
    try {
      const script =
        "import { expectNoLeak } from 'leakscope'; const t0 = Date.now(); await expectNoLeak(() => new Promise(() => {}), { iterations: 5, timeout: 1500 }).catch((e) => console.log(e.name, Date.now() - t0 < 10000, e.message)); console.log('done');";
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, TMPDIR: tmp },
      });
      const [first, second] = out.trim().split('\n');
      assert.match(first, /^TimeoutError true expectNoLeak: the check did not finish within 1500 ms \(call 0 had not settled\)/);
      assert.equal(second, 'done', 'the test process goes on (nothing left waiting)');
      assert.deepEqual(readdirSync(tmp), [], 'the temporary folder is removed');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('bad options are a clear error, not a hang', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { expectNoLeak } from 'leakscope'; for (const o of [{ iterations: 0 }, { rounds: 1.5 }]) await expectNoLeak(() => 1, o).catch((e) => console.log(e.name, e.message)); await expectNoLeak('x').catch((e) => console.log(e.name));",
      ],
      { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 },
    );
    assert.deepEqual(out.trim().split('\n'), [
      'RangeError expectNoLeak: iterations must be a positive integer (got 0)',
      'RangeError expectNoLeak: rounds must be a positive integer (got 1.5)',
      'TypeError',
    ]);
  });
});
