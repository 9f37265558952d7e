/**
 * `leakscope run` end to end: real programs started by leakscope, real load, real exit codes and CI reports.
 * Uses --quick (3 s warm-up, 6 s of measuring) so the suite stays within minutes.
 */
import { mdText } from '../helpers/markdown.js';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { cli } from '../helpers/cli.js';
import { cliAsync } from '../helpers/cli-async.js';
import { scratchDir } from '../helpers/scratch.js';

describe('leakscope run', () => {
  let tmp: string;
  before(() => {
    tmp = scratchDir('leakscope-run-');
  });
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    cli(['run', '--quick', '--dir', path.join(tmp, `snap-${Math.random().toString(36).slice(2)}`), ...args], { env, timeoutMs: 120_000 });

  it('a leaking program: exit 1, and the JSON names the culprit, its path and its line', () => {
    const r = run(['--json', '--', 'node', 'fixtures/programs/session-leak.mjs']);
    assert.equal(r.status, 1, `${r.stdout.slice(0, 4000)}\n${r.stderr}`);
    const j = JSON.parse(r.stdout);
    assert.equal(j.schema, 'leakscope.run/v1');
    assert.equal(j.verdict, 'leak');
    assert.equal(j.exitCode, 1);
    const f = j.failing[0];
    assert.equal(f.kind, 'growing-collection');
    assert.equal(f.name, 'sessions');
    assert.match(f.location.file, /session-leak\.mjs$/);
    assert.equal(f.location.line, 15);
    assert.match(f.pathText, /module fixtures\/programs\/session-leak\.mjs → sessions \(Map\)$/);
    assert.ok(j.trend.low > 0, `the heap rises with confidence: ${JSON.stringify(j.trend)}`);
    assert.equal(j.program.stoppedByUs, true);
  });

  it('two leaks that share their objects (a sharded cache and a listener): one verdict, the same in every line, the JSON and the HTML banner', () => {
    const dir = path.join(tmp, 'shared');
    const r = cli(['run', '--quick', '--dir', dir, '--', 'node', 'fixtures/programs/tenant-cache-listener-leak.mjs'], {
      timeoutMs: 120_000,
    });
    assert.equal(r.status, 1, `${r.stdout.slice(0, 4000)}\n${r.stderr}`);
    const lines = r.stdout.split('\n');
    const verdicts = lines.filter((l) => /^(LEAK|NO LEAK|INCONCLUSIVE)\b/.test(l));
    assert.equal(verdicts.length, 1, `one verdict line: ${verdicts.join(' | ')}`);
    assert.match(lines[0], /^LEAK at /);
    assert.ok(r.stdout.includes("'repriced' listeners on priceEvents (EventEmitter)"), 'the listener leak is named');
    // the cache leak is named too, as one finding of 20 shards (compared with the lines' wrapping folded)
    const flat = r.stdout.replace(/\s+/g, ' ');
    assert.match(
      flat,
      / \d\. tenantCaches \(Map\) — growing collection counts [\d,]+ → [\d,]+ → [\d,]+ entries in all \(\+[\d,]+ per snapshot\), 20 shards \(Map of PriceList\), retaining /,
      'the cache leak is named too',
    );
    assert.match(flat, / declared fixtures\/programs\/lib\/tenant-cache\.cjs:17:7 /);
    assert.doesNotMatch(r.stdout, /No finding|NO-LEAK|no material/);
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    assert.match(html, /<div class="verdict leak" id="verdict"><span class="word">LEAK<\/span>/);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.heapsnapshot'))
      .sort()
      .map((f) => path.join(dir, f));
    const j = JSON.parse(cli(['diff', ...files, '--json']).stdout);
    assert.equal(j.verdict, 'leak');
    assert.deepEqual(
      j.findings
        .filter((f: { status: string }) => f.status === 'leak')
        .map((f: { kind: string; name: string }) => `${f.kind} ${f.name}`)
        .sort(),
      ['growing-collection tenantCaches', 'listener repriced'],
    );
  });

  it('a program that throws mid-run (Node then waits for the debugger to disconnect): exit 3 with its error, no hang', () => {
    const r = run(['--json', '--', 'node', 'fixtures/programs/throws-midway.mjs']);
    assert.equal(r.status, 3, `${r.stdout.slice(0, 2000)}\n${r.stderr}`);
    const j = JSON.parse(r.stdout);
    assert.equal(j.verdict, 'inconclusive');
    assert.deepEqual(j.program.exit, { code: 1, signal: null }, 'its own exit, not our SIGTERM');
    assert.equal(j.program.stoppedByUs, false);
    assert.match(j.reason, /^the program exited \(exit code 1\) during the run$/);
    assert.match(r.stderr, /Error: boom: the quote feed returned nothing/);
  });

  it("the program's whole tree is stopped at the end, a detached grandchild (its own process group) too", () => {
    const pidFile = path.join(tmp, 'grandchild.pid');
    const r = run(['--', 'node', 'fixtures/programs/spawns-detached.mjs'], { GRANDCHILD_PID_FILE: pidFile });
    assert.equal(r.status, 0, `${r.stdout.slice(0, 2000)}\n${r.stderr}`);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(grandchild > 0);
    let alive = true;
    try {
      process.kill(grandchild, 0);
    } catch {
      alive = false;
    }
    if (alive) process.kill(grandchild, 'SIGKILL');
    assert.equal(alive, false, 'the detached grandchild was stopped with the program');
  });

  it('through a package manager (npm start): the program is found, not npm itself', () => {
    const pkg = path.join(tmp, 'pkg');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      path.join(pkg, 'package.json'),
      JSON.stringify({ name: 'pkg', version: '1.0.0', scripts: { start: `node ${path.resolve('fixtures/programs/log-leak.mjs')}` } }),
    );
    const r = run(['--json', '--', 'npm', 'start', '--prefix', pkg]);
    assert.equal(r.status, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.failing[0]?.name, 'requestLog');
  });

  it('JUnit and SARIF reports name the culprit; --output writes the file and prints one line', () => {
    const xml = path.join(tmp, 'leakscope.xml');
    const r = run(['--format', 'junit', '--output', xml, '--', 'node', 'fixtures/programs/timer-leak.mjs'], { LEAKSCOPE_REQUESTS: '20' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^leakscope: leak — /);
    const text = readFileSync(xml, 'utf8');
    assert.match(
      text,
      /<testcase classname="leakscope" name="timer: setInterval timers are cleared">\s*<failure message="1 leak: keepAlive \(timer-leak\.mjs:9\)" type="timer">/,
    );
    const sarifFile = path.join(tmp, 'leakscope.sarif');
    const s = run(['--format', 'sarif', '--output', sarifFile, '--', 'node', 'fixtures/programs/timer-leak.mjs'], {
      LEAKSCOPE_REQUESTS: '20',
    });
    assert.equal(s.status, 1, s.stderr);
    const sarif = JSON.parse(readFileSync(sarifFile, 'utf8'));
    const result = sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'timer');
    assert.equal(result.level, 'error');
    assert.match(result.locations[0].physicalLocation.artifactLocation.uri, /fixtures\/programs\/timer-leak\.mjs$/);
    assert.equal(result.locations[0].physicalLocation.region.startLine, 9);
  });

  for (const program of ['bounded-cache', 'warm-cache', 'sawtooth']) {
    it(`a healthy program (${program}): exit 0, one quiet line`, () => {
      const r = run(['--', 'node', `fixtures/programs/${program}.mjs`]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^NO LEAK {2}no material leak finding; post-GC heap [+-][\d.]+ MB\/min/);
      // quiet: the verdict (wrapped at 80 columns without a terminal) and where the report is, nothing else
      const lines = r.stdout.trim().split('\n');
      assert.ok(lines.length <= 4, r.stdout);
      assert.match(lines.at(-1) as string, /^ {2}report +\S+report\.html$/);
    });
  }

  it('a program that crashes at start: exit 3, with its stderr shown', () => {
    const r = run(['--', 'node', 'fixtures/programs/crash-at-start.mjs']);
    assert.equal(r.status, 3);
    assert.match(
      r.stderr,
      /the program exited \(exit code 1\) before it was ready; its stderr ended with:\nfatal: DATABASE_URL is not set/,
    );
    assert.match(r.stdout, /fatal: DATABASE_URL is not set/);
  });

  it('a --load command that fails is reported: exit 3 with its output', () => {
    const r = run(
      [
        '--ready-log',
        'listening on (http://\\S+)',
        '--load',
        'node fixtures/load.mjs --fail',
        '--',
        'node',
        'fixtures/programs/session-leak.mjs',
      ],
      { LEAKSCOPE_SELF_LOAD: '0' },
    );
    assert.equal(r.status, 3, r.stdout);
    assert.match(
      r.stderr,
      /the --load command failed \(exit code 1\); its output ended with:\nload: cannot reach the target \(simulated failure\)/,
    );
    assert.match(r.stdout, /^load +node fixtures\/load\.mjs --fail — 1 run, FAILED$/m);
  });

  it('--load drives a program that does not load itself; --ready-log passes the URL; a baseline accepts the known leak', () => {
    const baseline = path.join(tmp, 'baseline.json');
    const args = ['--ready-log', 'listening on (http://\\S+)', '--load', 'node fixtures/load.mjs --seconds 30', '--baseline', baseline];
    const env = { LEAKSCOPE_SELF_LOAD: '0' };
    const update = run([...args, '--update-baseline', '--json', '--', 'node', 'fixtures/programs/log-leak.mjs'], env);
    assert.equal(update.status, 0, update.stderr);
    const written = JSON.parse(readFileSync(baseline, 'utf8'));
    assert.equal(written.schema, 'leakscope.baseline/v1');
    assert.ok(
      written.accepted.some(
        (a: { kind: string; name: string; location: string }) =>
          a.kind === 'growing-collection' && a.name === 'requestLog' && a.location === 'fixtures/programs/log-leak.mjs:14',
      ),
      JSON.stringify(written),
    );
    // the heap-growth limit is raised so that only findings decide: the accepted one must not fail the run
    const again = run([...args, '--max-growth', '1GB/min', '--json', '--', 'node', 'fixtures/programs/log-leak.mjs'], env);
    const j = JSON.parse(again.stdout);
    assert.equal(again.status, 0, j.reason);
    assert.ok(j.accepted.some((f: { name: string }) => f.name === 'requestLog'));
    assert.deepEqual(j.failing, []);
  });

  it('markdown goes to $GITHUB_STEP_SUMMARY', () => {
    const summary = path.join(tmp, 'summary.md');
    writeFileSync(summary, '');
    const r = run(['--', 'node', 'fixtures/programs/session-leak.mjs'], { GITHUB_STEP_SUMMARY: summary });
    assert.equal(r.status, 1);
    const md = readFileSync(summary, 'utf8');
    assert.match(md, /^# leakscope run: leak/);
    assert.match(mdText(md), /### sessions \(Map\)/);
  });

  it('usage errors: exit 2', () => {
    const badJson = path.join(tmp, 'bad.json');
    writeFileSync(badJson, '{ nope');
    const wrongSchema = path.join(tmp, 'schema.json');
    writeFileSync(wrongSchema, '{"accepted": []}');
    for (const [args, re] of [
      [['--quick'], /no program to run/],
      [['--max-growth', 'fast', '--', 'node', 'x.js'], /--max-growth: "fast" is not a rate/],
      [
        ['--fail-on', 'bogus', '--', 'node', 'x.js'],
        /--fail-on: "bogus" names an unknown kind \(all, none, or some of growing-collection, /,
      ],
      [['--warmup', 'soon', '--', 'node', 'x.js'], /--warmup: "soon" is not a duration/],
      [
        ['--interval', '0', '--', 'node', 'x.js'],
        /^leakscope: --interval: 0 is a duration, but this one must be more than 0 \(e\.g\. 30s, 5m, 1500ms\)$/m,
      ],
      [['--update-baseline', '--', 'node', 'x.js'], /--update-baseline needs --baseline/],
      [['--baseline', path.join(tmp, 'missing.json'), '--', 'node', 'x.js'], /missing\.json: cannot read the baseline \(ENOENT\)/],
      [['--baseline', badJson, '--', 'node', 'x.js'], /bad\.json: the baseline is not valid JSON/],
      [['--baseline', wrongSchema, '--', 'node', 'x.js'], /schema\.json: not a leakscope baseline/],
      [['--ready-log', '(', '--', 'node', 'x.js'], /--ready-log "\(" is not a valid regular expression/],
      [['--output', tmp, '--', 'node', 'x.js'], /refusing to write .*: it is a directory, not a regular file/],
      [['--min-heap-rate', 'lots', '--', 'node', 'x.js'], /--min-heap-rate: "lots" is not a rate/],
    ] as Array<[string[], RegExp]>) {
      const r = cli(['run', ...args]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  it('Ctrl-C during a run: says it was interrupted, no verdict, exit 130, and the program is stopped', async () => {
    const out = path.join(tmp, 'interrupted-run');
    const r0 = cliAsync([
      'run',
      '--warmup',
      '1s',
      '--duration',
      '60s',
      '--interval',
      '20s',
      '--out',
      out,
      '--',
      'node',
      'fixtures/programs/session-leak.mjs',
    ]);
    for (let i = 0; i < 300 && !(existsSync(out) && readdirSync(out).some((f) => f.endsWith('-1.heapsnapshot'))); i++) await sleep(100);
    process.kill(r0.pid, 'SIGINT');
    const r = await r0.done;
    assert.equal(r.status, 130, r.stderr);
    assert.match(r.stdout, /^INCONCLUSIVE {2}interrupted by SIGINT after 1 of 4 snapshots: no verdict\n/);
    assert.match(r.stderr, /^leakscope: interrupted by SIGINT after 1 of 4 snapshots: no verdict; the program was stopped$/m);
  });

  it('a program that never becomes ready is stopped as soon as it exits on SIGTERM, not after the whole --grace', () => {
    const started = Date.now();
    const r = cli([
      'run',
      '--ready-log',
      'never printed',
      '--ready-timeout',
      '2s',
      '--grace',
      '60s',
      '--quick',
      '--',
      'node',
      'fixtures/programs/timer-healthy.mjs',
    ]);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /the program did not log \/never printed\/ within 2 s/);
    // a hang check, not a speed measurement: waiting out a 60 s grace period would take a minute
    assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
  });
});
