/**
 * The CLI's conventions, end to end through bin/run.js: help (`help`, `-h`, `--help`), version (`-v`, `--version`),
 * a typo's suggestion, errors as JSON under --json with the same exit codes, bad counts refused before any work,
 * a program that is not Node, a soak that saw no work (INCONCLUSIVE, exit 7, not a pass), and what a passing run
 * leaves on disk (its report, not its snapshots; `.leakscope/.gitignore`).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { cli, said } from '../helpers/cli.js';
import { repoRoot } from '../helpers/fixtures.js';
import { scratchDir } from '../helpers/scratch.js';

const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };

describe('CLI conventions', () => {
  let tmp: string;
  before(() => {
    tmp = scratchDir('leakscope-cli-');
  });

  it("help, -h and --help show the commands; `help run`, `run -h` and `run --help` show run's usage with `-- <command>` and its flag groups", () => {
    for (const args of [['help'], ['-h'], ['--help']]) {
      const r = cli(args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      for (const command of ['attach', 'diff', 'run', 'snapshot', 'summary'])
        assert.match(r.stdout, new RegExp(`^ {2}${command} +\\S`, 'm'), `${args.join(' ')} lists ${command}`);
    }
    for (const args of [
      ['help', 'run'],
      ['run', '-h'],
      ['run', '--help'],
    ]) {
      const r = cli(args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /\$ leakscope run \[FLAGS\] -- <command> \[ARGS\.\.\.\]/, args.join(' '));
      // the groups read by purpose: what to watch, how to capture, when to fail, how to report, then --json/--debug
      const groups = [...r.stdout.matchAll(/^([A-Z]+) FLAGS$/gm)].map((m) => m[1]);
      assert.deepEqual(groups, ['TARGET', 'CAPTURE', 'VERDICT', 'OUTPUT', 'GLOBAL'], args.join(' '));
      // the defaults shown as written
      assert.match(r.stdout, /--max-growth=<value>.*\[default: 1MB\/min\]/);
    }
    // `-h` after `--` is the program's, not leakscope's
    const r = cli(['run', '--quick', '--dir', path.join(tmp, 'h'), '--', 'sh', '-c', 'exit 0', '-h']);
    assert.notEqual(r.status, 0);
    assert.doesNotMatch(r.stdout, /USAGE/);
  });

  it('-v, --version and `version` print the version, without loading the commands', () => {
    for (const args of [['-v'], ['--version'], ['version']]) {
      const r = cli(args);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `leakscope/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`);
    }
  });

  it('a typo: one line with the closest command and exit 2; under --json the same as JSON on stdout', () => {
    const r = cli(['atach', '123']);
    assert.equal(r.status, 2);
    assert.deepEqual(said(r.stderr), [
      "leakscope: unknown command 'atach'; did you mean 'attach'? (commands: attach, diff, run, snapshot, summary; see leakscope --help)",
    ]);
    assert.equal(r.stdout, '');
    const far = cli(['frobnicate']);
    assert.equal(far.status, 2);
    assert.doesNotMatch(far.stderr, /did you mean/, 'no suggestion when nothing is close');
    const j = cli(['dif', 'a', 'b', '--json']);
    assert.equal(j.status, 2);
    assert.deepEqual(JSON.parse(j.stdout).error.suggestion, 'diff');
  });

  it('--json: errors are JSON on stdout with the same exit codes (usage, bad input, missing argument)', () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['diff', '--json'], 2, /^missing argument <files> \(two or more \.heapsnapshot files/],
      [['diff', '--json', '--bogus', 'a', 'b'], 2, /Nonexistent flag: --bogus/],
      [['diff', '--json', path.join(tmp, 'none-1.heapsnapshot'), path.join(tmp, 'none-2.heapsnapshot')], 2, /none-1\.heapsnapshot/],
      [['attach', '--json', '--snapshots', '1', String(process.pid)], 2, /--snapshots/],
    ];
    for (const [args, code, message] of cases) {
      const r = cli(args);
      assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
      const j = JSON.parse(r.stdout);
      assert.equal(j.error.exitCode, code);
      assert.match(j.error.message, message, args.join(' '));
      assert.equal(said(r.stderr).length, 1, `one line on stderr too: ${r.stderr}`);
    }
    // without --json: the same one line, nothing on stdout
    const plain = cli(['diff']);
    assert.equal(plain.status, 2);
    assert.equal(plain.stdout, '');
    assert.match(said(plain.stderr)[0] as string, /^leakscope: missing argument <files> \(/);
  });

  it('bad counts are refused before any work: --snapshots 1, --duration 0s', () => {
    const one = cli(['attach', '--snapshots', '1', String(process.pid)]);
    assert.equal(one.status, 2);
    assert.equal(said(one.stderr).join('\n'), 'leakscope: --snapshots: Expected an integer greater than or equal to 2 but received: 1');
    const zero = cli(['run', '--duration', '0s', '--', 'node', '-e', '0']);
    assert.equal(zero.status, 2);
    assert.equal(
      said(zero.stderr).join('\n'),
      'leakscope: --duration: 0s is a duration, but this one must be more than 0 (e.g. 30s, 5m, 1500ms)',
    );
  });

  it('a program that is not Node: says so (exit 2), not that it "exited before it was ready"', () => {
    const r = cli(['run', '--quick', '--dir', path.join(tmp, 'sh'), '--', 'sh', '-c', 'echo hello; exit 0']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(said(r.stderr)[0] as string, /^leakscope: sh is not a Node\.js program, or starts none/);
  });

  it('a soak that saw no work is not a pass: INCONCLUSIVE, exit 7, saying to add --load', () => {
    // a Node program that is alive and does nothing: no server, no load, next to no allocation
    const r = cli(['run', '--quick', '--json', '--dir', path.join(tmp, 'idle'), '--', 'node', '-e', 'setInterval(() => {}, 1000)'], {
      timeoutMs: 120_000,
    });
    assert.equal(r.status, 7, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.verdict, 'inconclusive');
    assert.equal(j.exitCode, 7);
    assert.match(j.reason, /did next to no work.*--load/);
    const t = cli(['run', '--quick', '--dir', path.join(tmp, 'idle-text'), '--', 'node', '-e', 'setInterval(() => {}, 1000)'], {
      timeoutMs: 120_000,
    });
    assert.equal(t.status, 7);
    assert.match(t.stdout.split('\n')[0] as string, /^INCONCLUSIVE {2}/);
    assert.match(t.stdout, /--load/);
  });

  it('a passing run keeps its report, drops its snapshots (unless --keep-snapshots), and .leakscope/ carries a .gitignore of *', () => {
    const cwd = scratchDir('leakscope-cli-project-');
    const program = path.join(repoRoot, 'fixtures', 'programs', 'bounded-cache.mjs');
    const r = cli(['run', '--quick', '--', 'node', program], { cwd, timeoutMs: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(readFileSync(path.join(cwd, '.leakscope', '.gitignore'), 'utf8'), /^\*$/m);
    const runs = readdirSync(path.join(cwd, '.leakscope')).filter((f) => f !== '.gitignore');
    assert.equal(runs.length, 1);
    const files = readdirSync(path.join(cwd, '.leakscope', runs[0] as string));
    assert.ok(files.includes('report.html'), files.join(' '));
    assert.deepEqual(
      files.filter((f) => f.endsWith('.heapsnapshot')),
      [],
      'the snapshots of a passing run are dropped',
    );
    assert.match(r.stdout, /report +\S+report\.html/);
    const kept = path.join(tmp, 'kept');
    const k = cli(['run', '--quick', '--keep-snapshots', '--out', kept, '--', 'node', program], { timeoutMs: 120_000 });
    assert.equal(k.status, 0, k.stdout + k.stderr);
    assert.ok(readdirSync(kept).filter((f) => f.endsWith('.heapsnapshot')).length >= 2, readdirSync(kept).join(' '));
    assert.ok(existsSync(path.join(kept, 'report.html')));
  });
});
