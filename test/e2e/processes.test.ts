/**
 * Several processes: two leakscope commands on two targets at the same moment (both opening inspectors with
 * SIGUSR1, which always means port 9229), a cluster attached with --children, and a target whose inspector another
 * client already uses. Real Node processes, started WITHOUT --inspect-port=0 so SIGUSR1 opens 9229, as in the field.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import CDP from 'chrome-remote-interface';
import { findInspector, probeInspector } from '../../src/capture/inspector-probe.js';
import { cli, said } from '../helpers/cli.js';
import { cliAsync } from '../helpers/cli-async.js';
import { isAlive, startTarget, withTarget } from '../helpers/targets.js';
import { scratchDir } from '../helpers/scratch.js';

function killAll(pids: number[]) {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

describe('several processes', () => {
  let tmp: string;
  before(() => {
    tmp = scratchDir('leakscope-processes-');
  });

  it('two attaches started at the same moment on two targets both succeed, and leave no inspector open (9229 free again)', async () => {
    const a = await startTarget('session-leak');
    const b = await startTarget('log-leak');
    try {
      const runA = cliAsync([
        'attach',
        String(a.pid),
        '--interval',
        '1s',
        '--snapshots',
        '3',
        '--out',
        path.join(tmp, 'a'),
        '--json',
        '--fail-on',
        'all',
      ]);
      const runB = cliAsync([
        'attach',
        String(b.pid),
        '--interval',
        '1s',
        '--snapshots',
        '3',
        '--out',
        path.join(tmp, 'b'),
        '--json',
        '--fail-on',
        'all',
      ]);
      const [ra, rb] = await Promise.all([runA.done, runB.done]);
      assert.equal(ra.status, 1, ra.stderr);
      assert.equal(rb.status, 1, rb.stderr);
      const ja = JSON.parse(ra.stdout);
      const jb = JSON.parse(rb.stdout);
      assert.equal(ja.processes[0].isolates[0].diff.findings[0].name, 'sessions');
      assert.equal(jb.processes[0].isolates[0].diff.findings[0].name, 'requestLog');
      for (const j of [ja, jb]) {
        assert.equal(j.processes[0].target.openedByUs, true);
        assert.notEqual(j.processes[0].target.inspector, '127.0.0.1:9229', 'the inspector was moved off 9229');
        assert.equal(j.processes[0].detach.inspectorClosed, true);
      }
      assert.equal(await findInspector(a.pid), null);
      assert.equal(await findInspector(b.pid), null);
      assert.equal(await probeInspector('127.0.0.1', 9229, 500), null, '9229 is free');
      assert.ok(isAlive(a.pid) && isAlive(b.pid));
    } finally {
      killAll([a.pid, b.pid]);
    }
  });

  it('attach <pid> <pid>: one report lists each process; the leaking one is named', async () => {
    const a = await startTarget('session-leak');
    const b = await startTarget('bounded-cache');
    try {
      const r = cli([
        'attach',
        String(a.pid),
        String(b.pid),
        '--interval',
        '1s',
        '--snapshots',
        '3',
        '--out',
        path.join(tmp, 'two'),
        '--json',
        '--fail-on',
        'all',
      ]);
      assert.equal(r.status, 1, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.deepEqual(
        j.processes.map((p: { target: { pid: number } }) => p.target.pid),
        [a.pid, b.pid],
      );
      assert.deepEqual(
        j.processes.map((p: { isolates: Array<{ verdict: string }> }) => p.isolates[0].verdict),
        ['leak', 'no-leak'],
      );
      assert.match(j.reason, new RegExp(`^pid ${a.pid}, main thread: sessions \\(Map\\)`));
      assert.ok(isAlive(a.pid) && isAlive(b.pid));
      assert.equal(await findInspector(a.pid), null);
      assert.equal(await findInspector(b.pid), null);
    } finally {
      killAll([a.pid, b.pid]);
    }
  });

  it('attach --children <cluster primary>: the primary and both workers are watched; the leaking worker is the one named', async () => {
    const t = await startTarget('cluster-app');
    let pids: number[] = [t.pid];
    try {
      // startTarget returns once the primary printed its "listening on" line, which names the workers
      const line = /workers (\d+),(\d+) leaking (\d+)/.exec(t.stdout());
      assert.ok(line, t.stdout());
      const [, w1, w2, leaking] = line.map(Number);
      pids = [t.pid, w1, w2];
      const r = cli([
        'attach',
        '--children',
        String(t.pid),
        '--interval',
        '1500ms',
        '--snapshots',
        '3',
        '--out',
        path.join(tmp, 'cluster'),
        '--json',
        '--fail-on',
        'all',
      ]);
      assert.equal(r.status, 1, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.deepEqual(
        j.processes.map((p: { target: { pid: number } }) => p.target.pid),
        [t.pid, w1, w2],
        'the primary, then its workers',
      );
      const verdicts = Object.fromEntries(
        j.processes.map((p: { target: { pid: number }; isolates: Array<{ verdict: string }> }) => [p.target.pid, p.isolates[0].verdict]),
      );
      assert.deepEqual(verdicts, {
        [t.pid]: 'no-leak',
        [w1]: leaking === w1 ? 'leak' : 'no-leak',
        [w2]: leaking === w2 ? 'leak' : 'no-leak',
      });
      const culprit = j.processes.find((p: { target: { pid: number } }) => p.target.pid === leaking).isolates[0].diff.findings[0];
      assert.equal(culprit.name, 'auditLog', 'a block-scoped variable is named from its ScopeInfo');
      assert.equal(culprit.holderClass, 'Array');
      assert.equal(culprit.itemClass, 'AuditRecord');
      assert.match(j.reason, new RegExp(`^pid ${leaking}, main thread: auditLog \\(Array\\) holding AuditRecord grew`));
      for (const pid of pids) {
        assert.ok(isAlive(pid), `pid ${pid} alive`);
        assert.equal(await findInspector(pid), null, `pid ${pid}: no inspector left open`);
      }
    } finally {
      killAll(pids);
    }
  });

  it('a target whose inspector another client uses: leakscope says so, and leaves the inspector open', async () => {
    await withTarget('session-leak', ['--inspect=127.0.0.1:0'], async (t) => {
      const other = await CDP({ host: '127.0.0.1', port: t.inspectPort as number, local: true });
      try {
        const r = cli(['attach', String(t.pid), '--interval', '1s', '--snapshots', '2', '--out', path.join(tmp, 'other'), '--no-sampling']);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^note: 1 other inspector client is connected to this process \(DevTools, an IDE…\)/m);
        const j = JSON.parse(
          cli([
            'attach',
            String(t.pid),
            '--interval',
            '1s',
            '--snapshots',
            '2',
            '--out',
            path.join(tmp, 'other2'),
            '--no-sampling',
            '--json',
          ]).stdout,
        );
        assert.equal(j.processes[0].target.otherClients, 1);
        assert.equal(j.processes[0].target.openedByUs, false);
        assert.ok(await probeInspector('127.0.0.1', t.inspectPort as number), 'its own inspector stays open');
      } finally {
        await other.close();
      }
    });
  });

  it('bad targeting is one line and exit 2, before any process is touched', async () => {
    await withTarget('session-leak', ['--inspect-port=0'], async (t) => {
      const cases: Array<[string[], RegExp]> = [
        [['attach', String(t.pid), '--thread', 'workers'], /^leakscope: --thread: "workers" is not main, all or a worker's thread id/],
        [['attach', String(t.pid), String(t.pid)], /^leakscope: the same pid is given twice/],
        [['attach', '--children', String(t.pid), '1'], /^leakscope: --children takes exactly one pid/],
        [['attach', '--children', String(t.pid)], new RegExp(`^leakscope: pid ${t.pid} has no Node.js child processes`)],
        [['attach', String(t.pid), '12x'], /^leakscope: "12x" is not a process id/],
        [
          ['snapshot', String(t.pid), '--thread', '7'],
          new RegExp(`^leakscope: pid ${t.pid} has no worker with thread id 7 \\(its workers: none\\)`),
        ],
      ];
      for (const [args, message] of cases) {
        const r = cli(args);
        assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.equal(said(r.stderr).length, 1, r.stderr);
      }
      assert.equal(await findInspector(t.pid), null, 'no inspector left behind by the refused commands');
      assert.ok(isAlive(t.pid));
    });
  });
});
