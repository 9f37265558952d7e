/**
 * Files are written only one way (src/common/files.ts): never through a link, never into a FIFO or device, 0600 from the
 * first byte, atomically. Real files in a temp folder; the attacker's moves are made with the real syscalls.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { beginFile, checkDestination, cleanDeadPartials, writeFileAtomic } from '../../src/common/files.js';
import { printable } from '../../src/common/text.js';
import { makeCaptureDir } from '../../src/live/capture-dir.js';
import { scratchDir } from '../helpers/scratch.js';

const dir = () => scratchDir('leakscope-files-');

describe('writing files safely', () => {
  it('a symlink planted at X.partial is never followed: its target is untouched, X is a new 0600 file', () => {
    const d = dir();
    const victim = path.join(d, 'victim.txt');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, path.join(d, 'x.heapsnapshot.partial'));
    writeFileAtomic(path.join(d, 'x.heapsnapshot'), 'snapshot');
    assert.equal(readFileSync(victim, 'utf8'), 'precious');
    assert.equal(readFileSync(path.join(d, 'x.heapsnapshot'), 'utf8'), 'snapshot');
    assert.equal(statSync(path.join(d, 'x.heapsnapshot')).mode & 0o777, 0o600);
    assert.ok(lstatSync(path.join(d, 'x.heapsnapshot.partial')).isSymbolicLink(), 'the planted link is left as it was');
  });

  it('an existing 0644 destination becomes 0600 (the new file replaces it, it is not rewritten in place)', () => {
    const d = dir();
    const f = path.join(d, 'x.heapsnapshot');
    writeFileSync(f, 'old', { mode: 0o644 });
    chmodSync(f, 0o644);
    writeFileAtomic(f, 'new');
    assert.equal(statSync(f).mode & 0o777, 0o600);
    assert.equal(readFileSync(f, 'utf8'), 'new');
  });

  it('refuses a symlink, a FIFO, a device and a directory as the destination (exit 2), and leaves them as they were', () => {
    const d = dir();
    const link = path.join(d, 'link');
    symlinkSync(path.join(d, 'elsewhere'), link);
    const fifo = path.join(d, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [target, kind] of [
      [link, 'a symbolic link'],
      [fifo, 'a named pipe (FIFO)'],
      ['/dev/null', 'a device'],
      [d, 'a directory'],
    ] as const) {
      assert.throws(
        () => writeFileAtomic(target, 'x'),
        (err: Error & { exitCode?: number }) =>
          err.message === `refusing to write ${target}: it is ${kind}, not a regular file` && err.exitCode === 2,
      );
    }
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.ok(lstatSync(fifo).isFIFO());
    assert.ok(!existsSync(path.join(d, 'elsewhere')));
  });

  it('refuses a folder anyone may write to without the sticky bit; a sticky one (like /tmp) is fine', () => {
    const d = dir();
    const open = path.join(d, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    assert.throws(
      () => checkDestination(path.join(open, 'x.heapsnapshot')),
      /refusing to write into .*open: anyone may write there \(mode 777, no sticky bit\)/,
    );
    chmodSync(open, 0o1777);
    checkDestination(path.join(open, 'x.heapsnapshot'));
  });

  it('an abandoned transfer leaves no file behind, under either name', () => {
    const d = dir();
    const f = beginFile(path.join(d, 'x.heapsnapshot'));
    f.write('half a snap');
    f.abandon();
    f.abandon();
    assert.deepEqual(readdirSync(d), []);
  });

  it('names from a heap or the user are made printable: ESC sequences, newlines, bidi overrides', () => {
    assert.equal(printable('evil\u001b]0;pwned\u0007\u001b[2J'), 'evil\\x1b]0;pwned\\x07\\x1b[2J');
    assert.equal(printable('a\nb\r\tc'), 'a\\nb\\r\tc');
    assert.equal(printable('abc\u202edef'), 'abc\\u202edef');
    assert.equal(printable('Session ✓ ü'), 'Session ✓ ü');
  });
});

describe('folders named for a file', () => {
  it('a symbolic link to a folder is refused (exit 2) for the report and for a capture folder, and nothing is written through it', () => {
    const d = dir();
    mkdirSync(path.join(d, 'real'));
    symlinkSync(path.join(d, 'real'), path.join(d, 'link'));
    assert.throws(
      () => checkDestination(path.join(d, 'link', 'report.md')),
      (err: Error & { exitCode?: number }) => /it is a symbolic link to a folder/.test(err.message) && err.exitCode === 2,
    );
    assert.throws(() => writeFileAtomic(path.join(d, 'link', 'report.md'), 'secret'), /symbolic link to a folder/);
    assert.throws(() => makeCaptureDir(path.join(d, 'link')), /symbolic link to a folder/);
    assert.deepEqual(readdirSync(path.join(d, 'real')), []);
    checkDestination(path.join(d, 'real', 'report.md'));
  });
});

describe('leftovers of a dead run', () => {
  it("a SIGKILLed run's .partial files are removed by the next write in that folder; a live writer's, links and other names stay", () => {
    const d = dir();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number; // exited: its pid runs nothing now
    const names = {
      dead: `x.heapsnapshot.${dead}.0123456789ab.partial`,
      live: `x.heapsnapshot.${process.pid}.0123456789ab.partial`,
      link: `y.heapsnapshot.${dead}.abcdefabcdef.partial`,
      other: `notes.${dead}.partial`,
    };
    writeFileSync(path.join(d, names.dead), 'secrets');
    writeFileSync(path.join(d, names.live), 'in flight');
    symlinkSync('/etc/hostname', path.join(d, names.link));
    writeFileSync(path.join(d, names.other), 'not ours');
    const f = beginFile(path.join(d, 'z.heapsnapshot'));
    f.abandon();
    assert.deepEqual(readdirSync(d).sort(), [names.live, names.other, names.link].sort());
    assert.deepEqual(cleanDeadPartials(d), [], 'nothing more to remove');
  });
});
