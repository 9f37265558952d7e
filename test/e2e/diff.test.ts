import { mdText } from '../helpers/markdown.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { cli } from '../helpers/cli.js';
import { fixtureSnapshots, repoRoot } from '../helpers/fixtures.js';
import { scratchDir } from '../helpers/scratch.js';

function json(args: string[]) {
  const r = cli([...args, '--json']);
  assert.equal(r.stderr, '');
  return { status: r.status, j: JSON.parse(r.stdout) };
}

describe('leakscope diff', () => {
  let leak: string[];
  let log: string[];
  let healthy: string[];
  before(() => {
    leak = fixtureSnapshots('session-leak');
    log = fixtureSnapshots('log-leak');
    healthy = fixtureSnapshots('bounded-cache');
  });

  it('names the Map that leaks sessions: path, declaration line, entries per snapshot', () => {
    const { status, j } = json(['diff', ...leak]);
    assert.equal(status, 0);
    assert.equal(j.schema, 'leakscope.diff/v1');
    assert.equal(j.verdict, 'leak');
    assert.equal(j.idsComparable, true);
    const f = j.findings[0];
    assert.equal(f.kind, 'growing-collection');
    assert.equal(f.name, 'sessions');
    assert.equal(f.holderClass, 'Map');
    assert.equal(f.itemClass, 'Session');
    assert.deepEqual(f.countByStep, [400, 800, 1200]);
    assert.equal(f.bytesByStep.length, 3);
    assert.deepEqual(f.retainerPath.slice(-2), ['module fixtures/programs/session-leak.mjs', 'sessions (Map)']);
    assert.deepEqual(f.location, { file: path.join(repoRoot, 'fixtures/programs/session-leak.mjs'), line: 15, column: 7, scriptId: -1 });
    assert.equal(f.severity === 'high' || f.severity === 'medium', true);
    assert.match(f.hint, /LRU|sweeper|WeakMap/);
    assert.equal(j.findings.length, 1, JSON.stringify(j.findings.map((x: { name: string }) => x.name)));
  });

  it('names the array used as a log', () => {
    const { j } = json(['diff', ...log]);
    assert.equal(j.verdict, 'leak');
    const f = j.findings[0];
    assert.equal(f.name, 'requestLog');
    assert.equal(f.holderClass, 'Array');
    assert.equal(f.itemClass, 'RequestRecord');
    assert.equal(f.location.line, 14);
    assert.match(f.location.file, /log-leak\.mjs$/);
    assert.deepEqual(f.countByStep, [400, 800, 1200]);
  });

  it('says no-leak, with no finding at all, for the healthy twin (bounded LRU cache)', () => {
    const { status, j } = json(['diff', ...healthy, '--fail-on-leak']);
    assert.equal(status, 0);
    assert.equal(j.verdict, 'no-leak');
    assert.deepEqual(j.findings, []);
  });

  it('with two snapshots, growth is inconclusive (warm-up and leak look alike): exit 7 when kinds fail, 0 when none do', () => {
    assert.equal(json(['diff', leak[0], leak[2]]).status, 0, 'diff reports only, by default');
    const { status, j } = json(['diff', leak[0], leak[2], '--fail-on-leak']);
    assert.equal(status, 7);
    assert.equal(j.verdict, 'inconclusive');
    assert.equal(j.findings[0].name, 'sessions');
  });

  it('--fail-on-leak exits 1 on a leak, and the table names the culprit', () => {
    const r = cli(['diff', ...leak, '--fail-on-leak']);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^LEAK at fixtures\/programs\/session-leak\.mjs:15:7: sessions \(Map\)\n/);
    assert.match(
      r.stdout,
      /^1\. sessions \(Map\) — growing collection\n {3}counts +400 → 800 → 1,200 entries \(\+400 per snapshot\) of Session,/m,
    );
    assert.match(r.stdout, /^ {3}declared +fixtures\/programs\/session-leak\.mjs:15:7$/m);
    assert.match(r.stdout, /^ {3}held by +… → module fixtures\/programs\/session-leak\.mjs → sessions \(Map\)$/m);
    // the evidence's sizes are the heap's (not the files')
    assert.match(r.stdout.replace(/\s+/g, ' '), / snapshots 3 in \S+session-leak\S* \(heap [\d.]+ [kM]B → [\d.]+ [kM]B\)/);
  });

  it('--fail-on names the kinds that fail; -o writes the report atomically and prints the verdict line', () => {
    const tmp = scratchDir('leakscope-diff-o-');
    assert.equal(
      cli(['diff', ...leak, '--fail-on', 'timer,listener']).status,
      0,
      'a growing collection does not fail a build that fails on timers and listeners',
    );
    assert.equal(cli(['diff', ...leak, '--fail-on', 'none']).status, 0);
    const out = path.join(tmp, 'diff.md');
    const r = cli(['diff', ...leak, '--fail-on', 'growing-collection', '--format', 'markdown', '-o', out]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, 'leakscope: leak — sessions (Map) holding Session grew at every one of 3 snapshots (400 → 800 → 1200)\n');
    assert.match(mdText(readFileSync(out, 'utf8')), /^# leakscope diff: leak\n[\s\S]*### sessions \(Map\) — medium\n/);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const bad = cli(['diff', ...leak, '--fail-on', 'leaks']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^leakscope: --fail-on: "leaks" names an unknown kind \(all, none, or some of growing-collection, timer, /);
    const dir = cli(['diff', ...leak, '-o', tmp]);
    assert.equal(dir.status, 2, 'a directory as -o is refused before any work');
    assert.match(dir.stderr, /refusing to write .*: it is a directory, not a regular file/);
  });

  it('thresholds are flags: a relative-growth floor above the growth makes the leak a watch item (exit 0)', () => {
    const { status, j } = json(['diff', ...leak, '--min-relative-growth', '500%', '--fail-on-leak']);
    assert.equal(status, 0);
    assert.equal(j.verdict, 'no-leak');
    assert.equal(j.findings[0].status, 'watch');
    assert.match(j.findings[0].statusReason, /^grew 200 % of its size, within the wobble of a bounded cache \(floor 500 %\)/);
    assert.match(j.reason, /^no material growth; watch: sessions \(Map\) holding Session grew at every step \(400 → 800 → 1200\)/);
    const bad = cli(['diff', ...leak, '--min-rate', 'fast']);
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, `leakscope: --min-rate: "fast" is not a rate (e.g. 64kB/min, 1MB/min, 0)\n`);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  });

  it('markdown output', () => {
    const r = cli(['diff', ...leak, '--format', 'markdown']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^# leakscope diff: leak/);
    assert.match(r.stdout, /## Growing collections/);
    assert.match(mdText(r.stdout), /### sessions \(Map\)/);
  });

  it('snapshots of different programs: says the ids differ, matches no holder across them, no leak verdict', () => {
    const { status, j } = json(['diff', leak[0], log[1], log[2]]);
    assert.equal(status, 0);
    assert.equal(j.idsComparable, false);
    assert.match(j.warnings[0], /object ids are not comparable .*separate inspector sessions, restarts or different programs/);
    assert.notEqual(j.verdict, 'leak');
    for (const f of j.findings) assert.equal(f.kind, 'class-growth');
  });

  describe('bad input: one line, exit 2', () => {
    let tmp: string;
    before(() => {
      tmp = scratchDir('leakscope-diff-');
    });
    const cases: Array<[string, () => string[], RegExp]> = [
      ['one snapshot only', () => [leak[0]], /at least two snapshots/],
      ['the same file twice', () => [leak[0], leak[0]], /same snapshot file is given twice/],
      [
        'the same file under a symlink',
        () => {
          const l = path.join(tmp, 'link.heapsnapshot');
          if (!existsSync(l)) symlinkSync(path.resolve(leak[0]), l);
          return [leak[0], l, leak[1]];
        },
        /session-leak-1\.heapsnapshot and .*link\.heapsnapshot are the same file/,
      ],
      [
        'the same file under a hard link',
        () => {
          const h = path.join(tmp, 'hard.heapsnapshot');
          if (!existsSync(h)) linkSync(leak[1], h);
          return [leak[0], leak[1], h];
        },
        /session-leak-2\.heapsnapshot and .*hard\.heapsnapshot are the same file/,
      ],
      ['the same file, relative and absolute', () => [path.relative(repoRoot, leak[0]), path.resolve(leak[0])], /are the same file/],
      [
        'a named pipe (it would block forever if opened)',
        () => {
          const f = path.join(tmp, 'pipe.heapsnapshot');
          if (!existsSync(f)) execFileSync('mkfifo', [f]);
          return [leak[0], f];
        },
        /pipe\.heapsnapshot: a named pipe, not a heap snapshot file/,
      ],
      ['snapshots out of order', () => [leak[2], leak[1], leak[0]], /was taken before .*oldest first/],
      [
        'a non-snapshot in the list',
        () => {
          const f = path.join(tmp, 'notes.json');
          writeFileSync(f, '{"a":1}');
          return [leak[0], f];
        },
        /notes\.json: not a readable heap snapshot: no "snapshot" header/,
      ],
      ['a missing file in the list', () => [leak[0], path.join(tmp, 'gone.heapsnapshot')], /gone\.heapsnapshot: no such file/],
    ];
    for (const [what, files, re] of cases) {
      it(what, () => {
        const r = cli(['diff', ...files()]);
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, re);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      });
    }
  });
});
