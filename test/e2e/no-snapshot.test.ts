/**
 * `attach --no-snapshot` against real Node processes: every kind of leak (a growing Map, an array used as a log, a
 * plain-object dictionary, a listener build-up on an EventEmitter and on an EventTarget, timers never cleared, a
 * sharded cache) is named by its adding line with the right kind, while its healthy twin runs beside it and must
 * stay quiet. No heap snapshot is taken; the census is removed from the target at the end. Runs on the version
 * matrix (test/matrix.mjs).
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import CDP from 'chrome-remote-interface';
import { CENSUS_KEY } from '../../src/capture/census.js';
import { findInspector } from '../../src/capture/inspector-probe.js';
import { cliAsync } from '../helpers/cli-async.js';
import { scratchDir } from '../helpers/scratch.js';
import { isAlive, startTarget, type Target } from '../helpers/targets.js';

const INSPECT_ANY_PORT = ['--inspect-port=0'];
/** the fixtures' own time constants, 10x shorter (TTLs, drains), as the precision tests run them */
const ENV = { FIXTURE_TIME_SCALE: '0.1' };
const ROUNDS = ['--interval', '2s', '--snapshots', '4'];

interface WatchFindingJson {
  kind: string;
  name: string;
  holderClass: string;
  status: string;
  shards?: number;
  location: { file: string; line: number; column: number } | null;
  addedAt: { sites: Array<{ text: string | null }> };
}

async function watch(t: Target, extra: string[] = []) {
  const r = await cliAsync(['attach', String(t.pid), '--no-snapshot', ...ROUNDS, '--json', '--fail-on', 'all', ...extra], 90_000).done;
  let report: Record<string, unknown>;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(`no JSON report (exit ${r.status}): ${r.stdout.slice(0, 500)} ${r.stderr.slice(0, 2000)}`);
  }
  return {
    r,
    report: report as { verdict: string; reason: string; findings: WatchFindingJson[]; exitCode: number } & Record<string, never>,
  };
}

/** A leak and its healthy twin, started and watched at once (two cores: one each). */
async function pair(leak: string, twin: string) {
  const targets: Target[] = [];
  try {
    targets.push(await startTarget(leak, INSPECT_ANY_PORT, ENV), await startTarget(twin, INSPECT_ANY_PORT, ENV));
    // let the self-load warm the programs up, as a service under traffic is
    await new Promise((r) => setTimeout(r, 1500));
    const [a, b] = await Promise.all(targets.map((t) => watch(t)));
    for (const t of targets) {
      assert.ok(isAlive(t.pid), 'the target is alive after the watch');
      assert.equal(await findInspector(t.pid), null, 'the inspector leakscope opened is closed again');
    }
    return { leak: a, twin: b };
  } finally {
    for (const t of targets) {
      try {
        process.kill(t.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

function culprit(w: Awaited<ReturnType<typeof watch>>, kind: string, name: string, file: string, line: number, text: RegExp) {
  const { r, report } = w;
  assert.equal(report.verdict, 'leak', `${report.reason} ${JSON.stringify(report.findings.map((f) => [f.kind, f.name, f.status]))}`);
  assert.equal(r.status, 1, r.stderr);
  const f = report.findings.find((x) => x.status === 'leak');
  assert.ok(f);
  assert.equal(f.kind, kind);
  assert.equal(f.name, name);
  assert.ok(f.location, 'placed at its adding line');
  assert.ok(f.location.file.endsWith(`fixtures/programs/${file}`), f.location.file);
  assert.equal(f.location.line, line);
  assert.match(f.addedAt.sites[0]?.text ?? '', text);
  // one leak, one finding: nothing else is called a leak
  assert.deepEqual(
    report.findings.filter((x) => x.status === 'leak').map((x) => x.name),
    [name],
  );
  return f;
}

function quiet(w: Awaited<ReturnType<typeof watch>>) {
  const { r, report } = w;
  assert.equal(report.verdict, 'no-leak', `${report.reason} ${JSON.stringify(report.findings.map((f) => [f.kind, f.name, f.status]))}`);
  assert.equal(r.status, 0, r.stderr);
}

describe('attach --no-snapshot: a verdict without a heap snapshot', () => {
  it('a growing Map (sessions) vs a bounded LRU cache', async () => {
    const { leak, twin } = await pair('session-leak', 'bounded-cache');
    const f = culprit(leak, 'growing-collection', 'sessions', 'session-leak.mjs', 20, /sessions\.set\(session\.token, session\)/);
    assert.equal(f.holderClass, 'Map');
    quiet(twin);
    // what it cost the target: every pause measured, none of them a snapshot's
    const pauses = (leak.report as unknown as { pauses: { longestMs: number; rounds: unknown[] } }).pauses;
    assert.equal(pauses.rounds.length, 4);
    assert.ok(pauses.longestMs > 0);
  });

  it('an array used as a log (requestLog) vs a sawtooth that is trimmed', async () => {
    const { leak, twin } = await pair('log-leak', 'sawtooth');
    const f = culprit(leak, 'growing-collection', 'requestLog', 'log-leak.mjs', 17, /requestLog\.push\(/);
    assert.equal(f.holderClass, 'Array');
    quiet(twin);
  });

  it('a plain-object dictionary (lastSeen) vs an in-flight table that deletes', async () => {
    const { leak, twin } = await pair('dict-leak', 'dict-healthy');
    const f = culprit(leak, 'growing-collection', 'lastSeen', 'dict-leak.mjs', 11, /lastSeen\[id\] =/);
    assert.equal(f.holderClass, 'Object');
    quiet(twin);
  });

  it('listeners piling up on an EventEmitter vs removed on finish', async () => {
    const { leak, twin } = await pair('listener-leak', 'listener-healthy');
    const f = culprit(leak, 'listener', 'config-changed', 'listener-leak.mjs', 11, /bus\.on\('config-changed'/);
    assert.equal(f.holderClass, 'ConfigBus');
    quiet(twin);
  });

  it('timers never cleared vs cleared', async () => {
    const { leak, twin } = await pair('timer-leak', 'timer-healthy');
    culprit(leak, 'timer', 'keepAlive', 'timer-leak.mjs', 9, /setInterval\(function keepAlive/);
    quiet(twin);
  });

  it('abort listeners on an EventTarget vs removed', async () => {
    const { leak, twin } = await pair('abort-listener-leak', 'abort-listener-healthy');
    const f = culprit(leak, 'listener', 'abort', 'abort-listener-leak.mjs', 13, /addEventListener\('abort'/);
    assert.equal(f.holderClass, 'AbortSignal');
    quiet(twin);
  });

  it('a sharded cache (a Map of per-tenant Maps): one finding named by the outer Map', async () => {
    const { leak, twin } = await pair('tenant-cache-leak', 'tenant-cache-healthy');
    const f = culprit(leak, 'growing-collection', 'tenantCaches', 'lib/tenant-cache.cjs', 38, /cache\.set\(key, list\)/);
    assert.ok((f.shards ?? 0) > 1, `its inner Maps added up (${f.shards})`);
    quiet(twin);
  });

  it('leaves the target as found: the census removed, the methods the originals, its own inspector open', async () => {
    const t = await startTarget('session-leak', ['--inspect=127.0.0.1:0'], ENV);
    try {
      assert.ok(t.inspectPort, 'the target has its own inspector');
      // with a pause budget no call can meet: the GCs and the profile reads after the first are skipped, and said
      // (without a GC the heap's growth is read from samples that carry garbage, so the bytes may stay unknown and
      // the growing Map a watch item: what is asserted is that it is found, not how sure the verdict is)
      const { report } = await watch(t, ['--max-pause', '1ms']);
      assert.ok(
        report.findings.some((f) => f.name === 'sessions' && f.location?.line === 20),
        JSON.stringify(report.findings.map((f) => [f.name, f.status])),
      );
      assert.equal((report as unknown as { target: { openedByUs: boolean } }).target.openedByUs, false);
      const rounds = (
        report as unknown as { pauses: { rounds: Array<{ gcMs: number | null; profileMs: number | null; skipped: string[] }> } }
      ).pauses.rounds;
      assert.ok(
        rounds.every((x) => x.gcMs === null),
        'no forced GC',
      );
      assert.match(rounds[0].skipped.join(), /GC \(estimated \d+ ms > --max-pause 1 ms\)/);
      // a profile read is skipped once one took longer than the budget (one that took 1 ms or less is within it)
      const reads = rounds;
      for (const [k, x] of reads.entries())
        if (k > 0 && (reads[k - 1].profileMs ?? 0) > 1)
          assert.match(x.skipped.join(), /sampling profile \(last \d+ ms > --max-pause 1 ms\)/);
      assert.ok(reads.some((x) => x.skipped.some((y) => y.startsWith('sampling profile'))) || reads.every((x) => (x.profileMs ?? 0) <= 1));
      const census = (report as unknown as { census: { removed: boolean; passThrough: number; wrapped: string[] } }).census;
      assert.equal(census.removed, true);
      assert.equal(census.passThrough, 0);
      assert.ok(census.wrapped.includes('Map.prototype.set'));
      const c = await CDP({ host: '127.0.0.1', port: t.inspectPort as number });
      try {
        const r = await c.Runtime.evaluate({
          expression: `[Map.prototype.set, Set.prototype.add, Array.prototype.push, require('node:events').EventEmitter.prototype.on, setInterval].map(String).join('|') + '#' + String(globalThis[Symbol.for(${JSON.stringify(CENSUS_KEY)})])`,
          includeCommandLineAPI: true,
          returnByValue: true,
        });
        const [methods, key] = String(r.result.value).split('#');
        for (const m of methods.split('|').slice(0, 3)) assert.match(m, /\[native code\]/, m);
        assert.doesNotMatch(methods, /note\(|Reflect\.apply\(orig/);
        assert.equal(key, 'undefined');
      } finally {
        await c.close();
      }
    } finally {
      process.kill(t.pid, 'SIGKILL');
    }
  });

  it('evidence at out-of-memory: a target that leaks until its heap limit kills it leaves a file naming the culprit', async () => {
    const dir = scratchDir('leakscope-oom-');
    const t = await startTarget('oom-leak', ['--max-old-space-size=64', ...INSPECT_ANY_PORT], ENV);
    try {
      const r = await cliAsync(
        ['attach', String(t.pid), '--no-snapshot', '--interval', '3s', '--snapshots', '40', '--dir', dir, '--json'],
        150_000,
      ).done;
      // the target died of its heap (V8's "JavaScript heap out of memory"), which ends the watch: exit 3
      assert.equal(r.status, 3, r.stderr);
      assert.match(t.stderr(), /heap out of memory/);
      const report = JSON.parse(r.stdout);
      assert.equal(report.targetGone, true);
      assert.ok(report.evidence, 'evidence was written before it died');
      assert.equal(report.evidence.error, null);
      assert.ok(report.evidence.heapUsed / report.evidence.limit > 0.8);
      assert.equal(path.dirname(report.evidence.file), dir);
      assert.equal(statSync(report.evidence.file).mode & 0o777, 0o600);
      // the file alone names the culprit: its kind, its name, the line that adds
      const evidence = JSON.parse(readFileSync(report.evidence.file, 'utf8'));
      assert.equal(evidence.schema, 'leakscope.watch/v1');
      assert.equal(evidence.verdict, 'leak', evidence.reason);
      const f = evidence.findings.find((x: WatchFindingJson) => x.status === 'leak');
      assert.equal(f.kind, 'growing-collection');
      assert.equal(f.name, 'renderedReports');
      assert.ok(f.location.file.endsWith('fixtures/programs/oom-leak.mjs'), f.location.file);
      assert.equal(f.location.line, 10);
      // and so does the report leakscope printed after the target died
      assert.equal(report.verdict, 'leak');
      assert.equal(report.findings[0].name, 'renderedReports');
    } finally {
      try {
        process.kill(t.pid, 'SIGKILL');
      } catch {
        // it died, as it should
      }
    }
  });

  it('Ctrl-C in the middle of the watch: exit 130, the census removed, a report of the rounds gathered', async () => {
    const t = await startTarget('session-leak', ['--inspect=127.0.0.1:0'], ENV);
    try {
      const run = cliAsync(['attach', String(t.pid), '--no-snapshot', '--interval', '2s', '--snapshots', '20', '--json'], 60_000);
      await new Promise((r) => setTimeout(r, 7000));
      process.kill(run.pid, 'SIGINT');
      const r = await run.done;
      assert.equal(r.status, 130, r.stderr);
      assert.match(r.stderr, /interrupted by SIGINT after \d+ of 20 rounds; census removed/);
      const report = JSON.parse(r.stdout);
      assert.equal(report.interrupted, true);
      assert.equal(report.census.removed, true);
      assert.ok(report.rounds >= 1 && report.rounds < 20, String(report.rounds));
      assert.equal(await censusLeft(t.inspectPort as number), 'undefined|native');
      assert.ok(isAlive(t.pid));
    } finally {
      process.kill(t.pid, 'SIGKILL');
    }
  });

  it('bad input: one line, exit 2, nothing touched', async () => {
    for (const [args, message] of [
      [['attach', '1', '2', '--no-snapshot'], /^leakscope: --no-snapshot watches one process: give one pid \(or --port \/ --ws\)$/m],
      [['attach', '1', '--no-snapshot', '--thread', '2'], /^leakscope: --no-snapshot watches the main thread only: leave out --thread$/m],
      [
        ['attach', '1', '--no-snapshot', '--format', 'markdown'],
        /^leakscope: --no-snapshot reports as a table or --json: leave out --format$/m,
      ],
      [['attach', '4194300', '--no-snapshot'], /^leakscope: .*4194300.*$/m],
    ] as const) {
      const r = await cliAsync([...args], 30_000).done;
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout, '');
    }
  });
});

/** What the census left in a target: its global key (`undefined`) and whether Map.prototype.set is native again. */
async function censusLeft(port: number): Promise<string> {
  const c = await CDP({ host: '127.0.0.1', port });
  try {
    const r = await c.Runtime.evaluate({
      expression: `String(globalThis[Symbol.for(${JSON.stringify(CENSUS_KEY)})]) + '|' + (/\\[native code\\]/.test(String(Map.prototype.set)) ? 'native' : 'wrapped')`,
      returnByValue: true,
    });
    return String(r.result.value);
  } finally {
    await c.close();
  }
}
