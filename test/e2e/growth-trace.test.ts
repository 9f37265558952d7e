/**
 * Which line adds the entries (on the version matrix): attach to each leaking fixture, and the finding carries the
 * file:line of the call that adds to the holder — not its declaration — from wrappers on that instance only; after
 * the capture the holder carries no wrapper (a new snapshot, taken through the inspector, shows none), even when the
 * trace window is cut short by Ctrl-C. Where nothing can be wrapped (a plain object written by index) the growing
 * allocation site's function is read for the adding line; offline, snapshots taken with --track-heap-objects give
 * the same answer from their recorded allocation stacks (diff, run --track-allocations).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { loadSnapshot } from '../../src/analysis/heap/loader.js';
import { findInspector } from '../../src/capture/inspector-probe.js';
import { TRACE_KEY } from '../../src/capture/growth-trace.js';
import { cli } from '../helpers/cli.js';
import { cliAsync } from '../helpers/cli-async.js';
import { fixtureSnapshots } from '../helpers/fixtures.js';
import { targetNode, targetVersion } from '../helpers/nodes.js';
import { isAlive, withTarget } from '../helpers/targets.js';
import { scratchDir } from '../helpers/scratch.js';

/** fixture -> the finding, and the line that adds to its holder (the declaration is elsewhere) */
const CASES = [
  { program: 'session-leak', kind: 'growing-collection', name: 'sessions', methods: ['set'], line: 20, declared: 15 },
  { program: 'ttl-read-leak', kind: 'growing-collection', name: 'rates', methods: ['set'], line: 26, declared: 13 },
  { program: 'log-leak', kind: 'growing-collection', name: 'requestLog', methods: ['push', 'unshift', 'splice'], line: 17, declared: 14 },
  {
    program: 'listener-leak',
    kind: 'listener',
    name: 'config-changed',
    methods: ['on', 'addListener', 'prependListener'],
    line: 11,
    declared: 11,
  },
  { program: 'rpc-pending-leak', kind: 'pending-promise', name: 'pending', methods: ['set'], line: 16, declared: 10 },
] as const;

/** A snapshot of the target now: no wrapper of ours left in its heap (no trace symbol, no own adding method). */
async function assertNoWrapper(pid: number, file: string, methods: readonly string[]): Promise<void> {
  const r = cli(['snapshot', String(pid), '-o', file, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const snap = await loadSnapshot(file);
  const symbolEdge = `<symbol ${TRACE_KEY}>`;
  for (let n = 0; n < snap.nodeCount; n++) {
    for (let e = snap.firstEdge[n]; e < snap.firstEdge[n + 1]; e++) {
      if (snap.edgeType(e) !== snap.edgeProperty) continue;
      const name = snap.edgeName(e);
      assert.notEqual(name, symbolEdge, `a ${snap.nodeName(n)} still has the trace symbol`);
      // an instance's own method named like an adding method is a wrapper left behind (prototypes hold the real ones)
      if (methods.includes(name) && snap.nodeType(snap.edgeTo(e)) === snap.typeClosure && snap.nodeName(snap.edgeTo(e)) === 'wrapper')
        assert.fail(`${snap.nodeName(n)}.${name} is still our wrapper`);
    }
  }
}

describe(`growth trace: which line adds the entries, targets on Node ${targetVersion}`, () => {
  let tmp: string;
  before(() => {
    tmp = scratchDir('leakscope-trace-');
  });

  for (const c of CASES) {
    it(`${c.program}: ${c.name} gets its adding line (${c.line}), then the instance is as it was`, async () => {
      await withTarget(c.program, [], async (t) => {
        const r = cli([
          'attach',
          String(t.pid),
          '--interval',
          '1s',
          '--snapshots',
          '3',
          '--trace-window',
          '2s',
          '--no-sampling',
          '--dir',
          path.join(tmp, c.program),
          '--json',
          '--fail-on',
          'all',
        ]);
        assert.equal(r.status, 1, r.stderr);
        const p = JSON.parse(r.stdout).processes[0];
        const f = p.isolates[0].diff.findings.find((x: { name: string }) => x.name === c.name);
        assert.ok(f, JSON.stringify(p.isolates[0].diff.findings.map((x: { kind: string; name: string }) => [x.kind, x.name])));
        assert.equal(f.kind, c.kind);
        assert.equal(f.location.line, c.declared, 'the location stays the declaration');
        const a = f.addedAt;
        assert.equal(a.source, 'instrumentation', JSON.stringify(a));
        assert.deepEqual(a.methods, c.methods);
        assert.ok(a.calls > 0, JSON.stringify(a));
        const site = a.sites[0];
        assert.equal(path.basename(site.file), `${c.program}.mjs`, JSON.stringify(site));
        assert.equal(site.line, c.line, JSON.stringify(site));
        assert.ok(site.text && site.text.length > 0, 'the source line');
        assert.equal(p.growthTrace.undone, true, p.growthTrace.text);
        assert.match(p.growthTrace.text, /the wrappers were on those instances only, and are removed$/);
        assert.equal(await findInspector(t.pid), null);
        await assertNoWrapper(t.pid, path.join(tmp, `${c.program}-after.heapsnapshot`), c.methods);
        assert.ok(isAlive(t.pid));
      });
    });
  }

  it("a leak inside a dependency: added at the program's line that calls into it, through the package's own line", async () => {
    await withTarget('dependency-leak', [], async (t) => {
      const r = cli([
        'attach',
        String(t.pid),
        '--interval',
        '1s',
        '--snapshots',
        '3',
        '--trace-window',
        '2s',
        '--no-sampling',
        '--dir',
        path.join(tmp, 'dependency'),
        '--json',
      ]);
      assert.equal(r.status, 0, r.stderr);
      const f = JSON.parse(r.stdout).processes[0].isolates[0].diff.findings.find((x: { name: string }) => x.name === 'cache');
      assert.ok(f, r.stdout.slice(0, 2000));
      assert.deepEqual(f.package, { name: 'tiny-memo', version: '1.0.0' });
      assert.equal(path.basename(f.owner.file), 'dependency-leak.mjs');
      const site = f.addedAt.sites[0];
      assert.equal(path.basename(site.file), 'dependency-leak.mjs', JSON.stringify(site));
      assert.equal(site.line, 17);
      assert.equal(site.text, 'res.end(renderUser(user).html);');
      assert.equal(site.via.package, 'tiny-memo@1.0.0');
      assert.ok(site.via.file.endsWith('node_modules/tiny-memo/index.js'), site.via.file);
      assert.equal(site.via.line, 6);
      assert.ok(isAlive(t.pid));
    });
  });

  it('a sharded cache (a Map of Maps): the trace wraps the inner Maps that grew most, added at the inner set', async () => {
    await withTarget('tenant-cache-leak-200', [], async (t) => {
      const r = cli([
        'attach',
        String(t.pid),
        '--interval',
        '1s',
        '--snapshots',
        '3',
        '--trace-window',
        '2s',
        '--no-sampling',
        '--dir',
        path.join(tmp, 'sharded'),
        '--json',
      ]);
      assert.equal(r.status, 0, r.stderr);
      const p = JSON.parse(r.stdout).processes[0];
      const findings = p.isolates[0].diff.findings;
      assert.deepEqual(
        findings.map((x: { kind: string; name: string }) => `${x.kind} ${x.name}`),
        ['growing-collection tenantCaches'],
      );
      const site = findings[0].addedAt.sites[0];
      assert.equal(findings[0].addedAt.source, 'instrumentation');
      assert.equal(path.basename(site.file), 'tenant-cache.cjs');
      assert.equal(site.line, 38);
      assert.equal(site.text, 'cache.set(key, list);');
      assert.equal(p.growthTrace.undone, true, p.growthTrace.text);
      assert.ok(isAlive(t.pid));
    });
  });

  it('--no-trace-growth: nothing is installed and the report says nothing of a trace', async () => {
    await withTarget('session-leak', [], async (t) => {
      const r = cli([
        'attach',
        String(t.pid),
        '--interval',
        '1s',
        '--snapshots',
        '2',
        '--no-trace-growth',
        '--no-sampling',
        '--dir',
        path.join(tmp, 'off'),
        '--json',
      ]);
      assert.equal(r.status, 0, r.stderr);
      const p = JSON.parse(r.stdout).processes[0];
      assert.equal(p.growthTrace, null);
      assert.ok(p.isolates[0].diff.findings.every((f: { addedAt?: unknown }) => f.addedAt === undefined));
    });
  });

  it('Ctrl-C during the trace window: the wrappers are removed at once, the target lives on', async () => {
    await withTarget('session-leak', [], async (t) => {
      const run = cliAsync([
        'attach',
        String(t.pid),
        '--interval',
        '1s',
        '--snapshots',
        '2',
        '--trace-window',
        '60s',
        '--no-sampling',
        '--dir',
        path.join(tmp, 'ctrl-c'),
        '--json',
      ]);
      // two snapshots a second apart and the diff take a few seconds; the window is a minute
      await sleep(7000);
      process.kill(run.pid, 'SIGINT');
      const r = await run.done;
      assert.equal(r.status, 130, `${r.stdout.slice(0, 500)}${r.stderr}`);
      assert.equal(await findInspector(t.pid), null);
      await assertNoWrapper(t.pid, path.join(tmp, 'ctrl-c-after.heapsnapshot'), ['set']);
      assert.ok(isAlive(t.pid));
    });
  });
});

/** The plain object written by index (`lastSeen[id] = …`, line 11 of dict-leak.mjs, in remember() declared at line 9). */
const DICT = {
  program: 'dict-leak',
  kind: 'growing-collection',
  name: 'lastSeen',
  line: 11,
  declared: 6,
  function: 'remember',
  functionLine: 9,
} as const;

describe(`which line adds, where nothing can be wrapped: plain objects, and offline diff (Node ${targetVersion})`, () => {
  let tmp: string;
  before(() => {
    tmp = scratchDir('leakscope-trace-');
  });

  it('attach, a plain object used as a dictionary: not wrapped, the allocation site that grew is read for the line that adds', async () => {
    await withTarget(DICT.program, [], async (t) => {
      const r = cli([
        'attach',
        String(t.pid),
        '--interval',
        '1s',
        '--snapshots',
        '3',
        '--trace-window',
        '2s',
        '--dir',
        path.join(tmp, DICT.program),
        '--json',
        '--fail-on',
        'all',
      ]);
      assert.equal(r.status, 1, r.stderr);
      const p = JSON.parse(r.stdout).processes[0];
      const f = p.isolates[0].diff.findings.find((x: { name: string }) => x.name === DICT.name);
      assert.ok(f, JSON.stringify(p.isolates[0].diff.findings.map((x: { kind: string; name: string }) => [x.kind, x.name])));
      assert.equal(f.kind, DICT.kind);
      assert.equal(f.holderClass, 'Object');
      assert.equal(f.location.line, DICT.declared);
      const a = f.addedAt;
      assert.equal(a.source, 'allocation-sites', JSON.stringify(a));
      assert.match(a.why, /plain object/);
      const site = a.sites[0];
      assert.deepEqual(
        [path.basename(site.file), site.line, site.function, site.declaredAt],
        [`${DICT.program}.mjs`, DICT.line, DICT.function, DICT.functionLine],
        JSON.stringify(site),
      );
      assert.match(site.text, /^lastSeen\[id\] = /);
      assert.match(p.growthTrace.text, /^growth trace: lastSeen \(Object: not traced, a plain object.*; nothing was installed$/);
      assert.ok(isAlive(t.pid));
    });
  });

  it('run --track-allocations, a plain object: the program runs with allocation stacks, and the finding names the line that adds', () => {
    const r = cli(
      [
        'run',
        '--quick',
        '--track-allocations',
        '--dir',
        path.join(tmp, 'run-tracked'),
        '--json',
        '--',
        targetNode,
        `fixtures/programs/${DICT.program}.mjs`,
      ],
      { timeoutMs: 120_000 },
    );
    assert.equal(r.status, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    const f = report.diff.findings.find((x: { name: string }) => x.name === DICT.name);
    assert.ok(f, r.stdout.slice(0, 2000));
    assert.equal(f.kind, DICT.kind);
    assert.equal(f.addedAt.source, 'allocation-tracking', JSON.stringify(f.addedAt));
    const site = f.addedAt.sites[0];
    assert.deepEqual(
      [path.basename(site.file), site.line, site.function, site.declaredAt],
      [`${DICT.program}.mjs`, DICT.line, DICT.function, DICT.functionLine],
      JSON.stringify(site),
    );
  });

  for (const c of [...CASES, DICT]) {
    it(`diff of snapshots taken with --track-heap-objects: ${c.program}'s ${c.name} gets its adding line (${c.line}) from the recorded allocation stacks`, async () => {
      const files = fixtureSnapshots(c.program, 3, 400, { track: true });
      const r = cli(['diff', ...files, '--json']);
      assert.equal(r.status, 0, r.stderr);
      const f = JSON.parse(r.stdout).findings.find((x: { name: string }) => x.name === c.name);
      assert.ok(f, r.stdout.slice(0, 2000));
      assert.equal(f.kind, c.kind);
      assert.equal(f.location.line, c.declared, 'the location stays the declaration');
      const a = f.addedAt;
      assert.equal(a.source, 'allocation-tracking', JSON.stringify(a));
      const site = a.sites[0];
      assert.deepEqual([path.basename(site.file), site.line], [`${c.program}.mjs`, c.line], JSON.stringify(site));
      assert.ok(site.declaredAt > 0 && site.declaredAt < c.line, 'the allocating function is declared above the line');
      assert.ok(site.samples > 0 && site.bytes > 0, JSON.stringify(site));
      const text = cli(['diff', ...files]);
      assert.match(text.stdout.replace(/\s+/g, ' '), new RegExp(` added at fixtures/programs/${c.program}\\.mjs:${c.line}:\\d+ \``));
    });
  }

  it('diff of snapshots without allocation stacks: no addedAt (nothing is guessed)', () => {
    const r = cli(['diff', ...fixtureSnapshots('session-leak'), '--json']);
    assert.equal(r.status, 0, r.stderr);
    const f = JSON.parse(r.stdout).findings.find((x: { name: string }) => x.name === 'sessions');
    assert.ok(f);
    assert.equal(f.addedAt, undefined);
  });
});
