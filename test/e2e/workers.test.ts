/**
 * Worker threads: each is its own V8 isolate, invisible to a main-thread snapshot. attach, snapshot and run find
 * them through the inspector's NodeWorker domain and judge each isolate on its own. Real Node processes running
 * real worker threads (targets on LEAKSCOPE_TARGET_NODE in the version matrix).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { findInspector } from '../../src/capture/inspector-probe.js';
import { cli } from '../helpers/cli.js';
import { cliAsync } from '../helpers/cli-async.js';
import { targetNode } from '../helpers/nodes.js';
import { isAlive, withTarget } from '../helpers/targets.js';
import { scratchDir } from '../helpers/scratch.js';

const INSPECT_ANY_PORT = ['--inspect-port=0'];

interface Isolate {
  thread: { id: number; kind: string; title: string; url: string };
  label: string;
  verdict: string;
  snapshots: string[];
  usage: unknown[];
  firstRound: number;
  exited: { afterSnapshots: number } | null;
  diff: {
    findings: Array<{
      name: string;
      kind: string;
      holderClass: string;
      itemClass: string;
      location: { file: string; line: number } | null;
    }>;
  } | null;
}

describe('worker threads', () => {
  let tmp: string;
  before(() => {
    tmp = scratchDir('leakscope-workers-');
  });

  it('attach: a leak that lives only in a worker is flagged, with the worker named (thread id, name, script); the main thread is clean', async () => {
    await withTarget('worker-leak', INSPECT_ANY_PORT, async (t) => {
      const out = path.join(tmp, 'leak');
      const r = cli(['attach', String(t.pid), '--interval', '1500ms', '--snapshots', '3', '--out', out, '--json', '--fail-on', 'all']);
      const j = JSON.parse(r.stdout);
      assert.equal(r.status, 1, `${r.stderr} ${j.reason}`);
      assert.equal(j.verdict, 'leak');
      const isolates: Isolate[] = j.processes[0].isolates;
      assert.deepEqual(
        isolates.map((i) => i.thread.kind),
        ['main', 'worker'],
      );
      const [main, worker] = isolates;
      assert.equal(main.verdict, 'no-leak', main.diff ? JSON.stringify(main.diff.findings.map((f) => f.name)) : '');
      assert.equal(worker.verdict, 'leak');
      assert.ok(worker.thread.id >= 1);
      assert.match(worker.thread.title, /pricing-pool/);
      assert.ok(worker.thread.url.endsWith('/fixtures/programs/worker-leak-pricing.mjs'), worker.thread.url);
      assert.match(
        j.reason,
        new RegExp(`^worker ${worker.thread.id} "pricing-pool" \\(.*worker-leak-pricing\\.mjs\\): quotes \\(Map\\) holding Quote grew`),
      );
      const f = worker.diff?.findings[0];
      assert.ok(f);
      assert.equal(f.kind, 'growing-collection');
      assert.equal(f.name, 'quotes');
      assert.equal(f.holderClass, 'Map');
      assert.equal(f.itemClass, 'Quote');
      assert.ok(f.location?.file.endsWith('fixtures/programs/worker-leak-pricing.mjs'), f.location?.file);
      assert.equal(f.location?.line, 13);
      // the growth trace runs in the worker too: the line that adds, then the wrapper removed
      const added = (f as { addedAt?: { source: string; sites: Array<{ file: string; line: number }> } }).addedAt;
      assert.equal(added?.source, 'instrumentation', JSON.stringify(added));
      assert.deepEqual([path.basename(added.sites[0].file), added.sites[0].line], ['worker-leak-pricing.mjs', 17]);
      assert.match(
        j.processes[0].growthTrace.text,
        new RegExp(
          `^growth trace for \\d+ s: quotes in worker ${worker.thread.id} "pricing-pool" .*\\(Map\\.set: [\\d,]+ calls\\); the wrappers were on those instances only, and are removed$`,
        ),
      );
      assert.equal(j.processes[0].growthTrace.undone, true);
      // a series per worker, files named by thread id, 0600
      assert.equal(worker.snapshots.length, 3);
      worker.snapshots.forEach((file, k) => assert.equal(path.basename(file), `pid${t.pid}-t${worker.thread.id}-${k + 1}.heapsnapshot`));
      for (const file of [...main.snapshots, ...worker.snapshots]) assert.equal(statSync(file).mode & 0o777, 0o600, file);
      assert.ok(worker.usage.length >= 3, 'heap usage per isolate');
      assert.equal(worker.exited, null, 'detached at the end is not exited');
      assert.deepEqual(
        readdirSync(out).filter((f) => f.endsWith('.partial')),
        [],
      );
      assert.equal(j.processes[0].detach.inspectorClosed, true);
      assert.equal(await findInspector(t.pid), null);
      assert.ok(isAlive(t.pid));
      // the table names the worker too
      const table = cli([
        'attach',
        String(t.pid),
        '--interval',
        '1s',
        '--snapshots',
        '3',
        '--out',
        path.join(tmp, 'leak-table'),
        '--thread',
        String(worker.thread.id),
      ]);
      assert.equal(table.status, 0, table.stderr);
      assert.match(table.stdout, /^LEAK at \S+:\d+:\d+: quotes \(Map\)\n/);
      assert.doesNotMatch(table.stdout, /main thread/, '--thread <id> watches that worker only');
      assert.ok(isAlive(t.pid));
    });
  });

  it('attach on the healthy twin (a bounded Map in the worker): no leak in either isolate, exit 0', async () => {
    await withTarget('worker-healthy', INSPECT_ANY_PORT, async (t) => {
      const r = cli([
        'attach',
        String(t.pid),
        '--interval',
        '1500ms',
        '--snapshots',
        '3',
        '--out',
        path.join(tmp, 'healthy'),
        '--json',
        '--fail-on',
        'all',
      ]);
      const j = JSON.parse(r.stdout);
      assert.equal(r.status, 0, `${r.stderr} ${j.reason}`);
      assert.equal(j.verdict, 'no-leak');
      const isolates: Isolate[] = j.processes[0].isolates;
      assert.deepEqual(
        isolates.map((i) => [i.thread.kind, i.verdict]),
        [
          ['main', 'no-leak'],
          ['worker', 'no-leak'],
        ],
      );
      for (const i of isolates) assert.deepEqual(i.diff?.findings, []);
      assert.ok(isAlive(t.pid));
    });
  });

  it('--thread main: the old blind spot, as asked (one isolate, no leak seen)', async () => {
    await withTarget('worker-leak', INSPECT_ANY_PORT, async (t) => {
      const r = cli([
        'attach',
        String(t.pid),
        '--interval',
        '1s',
        '--snapshots',
        '3',
        '--out',
        path.join(tmp, 'main-only'),
        '--json',
        '--thread',
        'main',
      ]);
      const j = JSON.parse(r.stdout);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(
        j.processes[0].isolates.map((i: Isolate) => i.label),
        ['main thread'],
      );
      assert.equal(j.verdict, 'no-leak');
    });
  });

  it('workers that start and exit during the watch are reported, not errors', async () => {
    await withTarget('worker-churn', INSPECT_ANY_PORT, async (t) => {
      const r = cli([
        'attach',
        String(t.pid),
        '--interval',
        '1500ms',
        '--snapshots',
        '3',
        '--out',
        path.join(tmp, 'churn'),
        '--json',
        '--no-sampling',
      ]);
      assert.equal(r.status, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.processes[0].error, null);
      const workers: Isolate[] = j.processes[0].isolates.filter((i: Isolate) => i.thread.kind === 'worker');
      assert.ok(
        workers.some((w) => w.exited !== null),
        `a worker exited during the watch: ${JSON.stringify(workers.map((w) => [w.label, w.exited, w.firstRound]))}`,
      );
      assert.ok(
        workers.some((w) => w.firstRound > 1),
        'a worker started during the watch',
      );
      assert.notEqual(j.verdict, 'leak');
      assert.ok(isAlive(t.pid));
      assert.equal(await findInspector(t.pid), null);
    });
  });

  it('Ctrl-C while a worker is watched: exit 130, the worker and the main thread let go, inspector closed, no partial file', async () => {
    await withTarget('worker-leak', INSPECT_ANY_PORT, async (t) => {
      const out = path.join(tmp, 'interrupted');
      const run = cliAsync(['attach', String(t.pid), '--interval', '30s', '--snapshots', '3', '--out', out, '--json']);
      for (let i = 0; i < 200 && !(existsSync(out) && readdirSync(out).some((f) => /-t\d+-1\.heapsnapshot$/.test(f))); i++)
        await sleep(100);
      process.kill(run.pid, 'SIGINT');
      const r = await run.done;
      assert.equal(r.status, 130, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.processes[0].interrupted, true);
      assert.deepEqual(
        j.processes[0].isolates.map((i: Isolate) => [i.thread.kind, i.snapshots.length]),
        [
          ['main', 1],
          ['worker', 1],
        ],
      );
      assert.equal(j.processes[0].detach.inspectorClosed, true);
      assert.deepEqual(j.processes[0].detach.errors, []);
      assert.deepEqual(
        readdirSync(out).filter((f) => f.endsWith('.partial')),
        [],
      );
      assert.ok(isAlive(t.pid));
      assert.equal(await findInspector(t.pid), null);
    });
  });

  it("snapshot: one file per isolate, the worker's named by its thread id", async () => {
    await withTarget('worker-leak', INSPECT_ANY_PORT, async (t) => {
      const file = path.join(tmp, 'snap', 'x.heapsnapshot');
      const r = cli(['snapshot', String(t.pid), '-o', file, '--json']);
      assert.equal(r.status, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.files.length, 2);
      assert.equal(j.files[0].file, file);
      assert.match(j.files[1].file, /x-t\d+\.heapsnapshot$/);
      for (const f of j.files) assert.equal(statSync(f.file).mode & 0o777, 0o600);
      assert.equal(await findInspector(t.pid), null);
      assert.ok(isAlive(t.pid));
    });
  });

  it("run: the soak test fails on the worker's leak and says which thread", () => {
    const r = cli(['run', '--quick', '--out', path.join(tmp, 'run'), '--json', '--', targetNode, 'fixtures/programs/worker-leak.mjs'], {
      timeoutMs: 120_000,
    });
    const j = JSON.parse(r.stdout);
    assert.equal(r.status, 1, `${r.stderr} ${j.reason}`);
    assert.equal(j.verdict, 'leak');
    assert.match(j.reason, /^worker \d+ "pricing-pool" \(.*worker-leak-pricing\.mjs\): .*quotes \(Map\)/);
    assert.equal(j.workers.length, 1);
    assert.equal(j.workers[0].verdict, 'leak');
    assert.ok(j.failing.some((f: { name: string; summary: string }) => f.name === 'quotes' && /^in worker \d+/.test(f.summary)));
  });

  it('run on the healthy twin: quiet, exit 0', () => {
    const r = cli(['run', '--quick', '--out', path.join(tmp, 'run-healthy'), '--', targetNode, 'fixtures/programs/worker-healthy.mjs'], {
      timeoutMs: 120_000,
    });
    assert.equal(r.status, 0, `${r.stdout} ${r.stderr}`);
    assert.match(r.stdout, /^NO LEAK {2}/);
  });
});
