/**
 * Files a snapshot names are untrusted: a source line or a source map is read only from a regular file inside the
 * project's folders, never through /proc, /dev, a FIFO, a link that leaves the project, or `..`; and reading never
 * hangs. Real files on disk, no processes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import { readSourceFile, setSourceRoots } from '../../src/common/source-files.js';
import { scratchDir } from '../helpers/scratch.js';

describe('reading source files a snapshot names', () => {
  let project: string;
  let outside: string;
  before(() => {
    const tmp = scratchDir('leakscope-sources-');
    project = path.join(tmp, 'project');
    outside = path.join(tmp, 'outside');
    mkdirSync(path.join(project, 'lib'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(path.join(project, 'lib', 'cache.js'), 'const cache = new Map();\ncache.set(1, 2);\n');
    writeFileSync(path.join(outside, 'secret.txt'), 'SECRET_TOKEN=hunter2\n');
    symlinkSync(path.join(outside, 'secret.txt'), path.join(project, 'lib', 'innocent.js'));
    symlinkSync(outside, path.join(project, 'vendor'));
    execFileSync('mkfifo', [path.join(project, 'lib', 'fifo.js')]);
    writeFileSync(path.join(project, 'big.js'), Buffer.alloc(2048, 0x61));
    setSourceRoots([project]);
  });

  it('reads a regular file inside the project, by path or file:// URL', () => {
    const file = path.join(project, 'lib', 'cache.js');
    assert.equal(readSourceFile(file).text, 'const cache = new Map();\ncache.set(1, 2);\n');
    assert.equal(readSourceFile(pathToFileURL(file).href).text?.split('\n')[0], 'const cache = new Map();');
  });

  const refused: Array<[string, () => string, RegExp]> = [
    ['a file outside the project', () => path.join(outside, 'secret.txt'), /outside the project/],
    ['.. out of the project', () => `${project}/lib/../../outside/secret.txt`, /outside the project/],
    ['a link inside the project to a file outside', () => path.join(project, 'lib', 'innocent.js'), /outside the project/],
    ['a linked folder that leaves the project', () => path.join(project, 'vendor', 'secret.txt'), /outside the project/],
    ['/etc/passwd', () => '/etc/passwd', /outside the project/],
    ['/proc/self/environ', () => '/proc/self/environ', /a system path/],
    ['file:///proc/self/environ', () => 'file:///proc/self/environ', /a system path/],
    ['/dev/zero', () => '/dev/zero', /a system path/],
    ['/dev/stdin', () => '/dev/stdin', /a system path/],
    ['a FIFO inside the project (never opened for blocking)', () => path.join(project, 'lib', 'fifo.js'), /not a regular file/],
    ['a folder', () => path.join(project, 'lib'), /not a regular file/],
    ['a relative name', () => 'lib/cache.js', /not a local file/],
    ['a node: name', () => 'node:internal/timers', /not a local file/],
  ];
  for (const [what, name, why] of refused) {
    it(`refuses ${what}, and says why without any of its content`, () => {
      const r = readSourceFile(name());
      assert.equal(r.text, null);
      assert.ok('why' in r);
      assert.match(r.why, why);
      assert.doesNotMatch(JSON.stringify(r), /hunter2/);
    });
  }

  it('refuses a file over the size cap', () => {
    const r = readSourceFile(path.join(project, 'big.js'), 1024);
    assert.equal(r.text, null);
  });
});
