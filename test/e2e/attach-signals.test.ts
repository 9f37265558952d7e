import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import CDP from 'chrome-remote-interface';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { findInspector } from '../../src/capture/inspector-probe.js';
import { cli, said } from '../helpers/cli.js';
import { repoRoot } from '../helpers/fixtures.js';
import { cliAsync } from '../helpers/cli-async.js';
import { isAlive, withTarget } from '../helpers/targets.js';
import { scratchDir } from '../helpers/scratch.js';

// Targets start with --inspect-port=0: SIGUSR1 then opens the inspector on a free port, which leakscope finds
// through /proc — so parallel test files never fight over 9229.
const INSPECT_ANY_PORT = ['--inspect-port=0'];

/**
 * attach and snapshot under signals, lost targets and other clients (split from attach.test.ts: one file of
 * real processes each, so neither nears the per-file timeout, and the two run side by side).
 */
describe('leakscope attach / snapshot: signals, lost targets, other clients', () => {
  let tmp: string;
  before(() => {
    tmp = scratchDir('leakscope-attach-');
  });

  it('Ctrl-C (SIGINT) stops early, still writes the report, detaches, and the target lives on', async () => {
    await withTarget('session-leak', INSPECT_ANY_PORT, async (t) => {
      const out = path.join(tmp, 'interrupted');
      const run = cliAsync(['attach', String(t.pid), '--interval', '30s', '--snapshots', '3', '--out', out, '--json']);
      for (let i = 0; i < 100 && !(existsSync(out) && readdirSync(out).some((f) => f.endsWith('-1.heapprofile'))); i++) await sleep(100);
      process.kill(run.pid, 'SIGINT');
      process.kill(run.pid, 'SIGINT'); // a second Ctrl-C must not cut the clean detach short
      const r = await run.done;
      assert.equal(r.status, 130, r.stderr);
      assert.match(
        r.stderr,
        /^leakscope: interrupted by SIGINT after 1 of 3 snapshots; detached, and the inspector leakscope opened is closed; report from what was gathered \(files in .*interrupted\)$/m,
      );
      const j = JSON.parse(r.stdout);
      assert.equal(j.processes[0].interrupted, true);
      assert.equal(j.processes[0].isolates[0].snapshots.length, 1);
      assert.equal(j.verdict, 'inconclusive');
      assert.equal(j.processes[0].detach.inspectorClosed, true);
      assert.ok(isAlive(t.pid));
      assert.equal(await findInspector(t.pid), null);
    });
  });

  it('signals in the middle of snapshot transfers (Ctrl-C, twice, SIGTERM, SIGHUP): the target lives, its inspector is closed, no partial file, one line, 128+signal', async () => {
    const reps = Number(process.env.LEAKSCOPE_INTERRUPT_REPS ?? 4);
    const plan: Array<NodeJS.Signals[]> = [['SIGINT'], ['SIGINT', 'SIGINT'], ['SIGTERM'], ['SIGHUP', 'SIGINT']];
    await withTarget(
      'big-heap',
      [],
      async (t) => {
        for (let k = 0; k < reps; k++) {
          const signals = plan[k % plan.length];
          const out = scratchDir('leakscope-interrupt-');
          const file = path.join(out, 'x.heapsnapshot');
          const run = cliAsync(['snapshot', String(t.pid), '-o', file]);
          // wait until the transfer has started: the temporary file exists and has bytes
          let partial = '';
          for (let i = 0; i < 3000 && !partial; i++) {
            await sleep(20);
            partial = readdirSync(out).find((f) => f.endsWith('.partial') && statSync(path.join(out, f)).size > 0) ?? '';
          }
          assert.ok(partial, `rep ${k}: the transfer started`);
          for (const sig of signals) {
            process.kill(run.pid, sig);
            await sleep(50);
          }
          const r = await run.done;
          const code = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }[signals[0] as 'SIGINT' | 'SIGTERM' | 'SIGHUP'];
          assert.equal(r.status, code, `rep ${k} (${signals.join(', ')}): ${r.stderr}`);
          assert.match(
            r.stderr,
            new RegExp(
              `^leakscope: interrupted by ${signals[0]}: no snapshot written \\(the partial file is removed\\); detached, and the inspector leakscope opened is closed$`,
              'm',
            ),
          );
          assert.deepEqual(readdirSync(out), [], `rep ${k}: nothing left in the folder`);
          assert.ok(isAlive(t.pid), `rep ${k}: the target lives`);
          assert.equal(await findInspector(t.pid), null, `rep ${k}: no inspector left open`);
        }
      },
      { BIG_HEAP_MB: '60' },
    );
  });

  /** Waits up to `ms` for the target's inspector to be gone; returns how long it took, or -1. */
  async function inspectorGone(pid: number, ms: number): Promise<number> {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
      if ((await findInspector(pid)) === null) return Date.now() - t0;
      await sleep(100);
    }
    return -1;
  }

  it('SIGKILL of leakscope mid-transfer: the inspector it opened closes by itself, the target lives, the next run removes the .partial', async () => {
    await withTarget(
      'big-heap',
      [],
      async (t) => {
        const out = scratchDir('leakscope-kill9-');
        const run = cliAsync(['snapshot', String(t.pid), '-o', path.join(out, 'x.heapsnapshot')]);
        let partial = '';
        for (let i = 0; i < 3000 && !partial; i++) {
          await sleep(20);
          partial = readdirSync(out).find((f) => f.endsWith('.partial') && statSync(path.join(out, f)).size > 0) ?? '';
        }
        assert.ok(partial, 'the transfer started');
        process.kill(run.pid, 'SIGKILL');
        await run.done;
        // the target finishes writing the snapshot nobody reads, then notices its lifeline is gone
        const took = await inspectorGone(t.pid, 30_000);
        assert.ok(took >= 0, 'the inspector leakscope opened is closed');
        assert.ok(isAlive(t.pid));
        assert.deepEqual(readdirSync(out), [partial], 'the dead run left its partial file');
        const next = cli(['snapshot', String(t.pid), '-o', path.join(out, 'y.heapsnapshot')]);
        assert.equal(next.status, 0, next.stderr);
        assert.deepEqual(readdirSync(out), ['y.heapsnapshot'], 'the next run in that folder removed it');
        assert.equal(await findInspector(t.pid), null);
      },
      { BIG_HEAP_MB: '60' },
    );
  });

  it('SIGKILL of leakscope between snapshots and during the growth trace: the inspector closes within seconds, the wrappers remove themselves', async () => {
    await withTarget('session-leak', [], async (t) => {
      for (const [what, wait, args] of [
        ['between snapshots', 2500, ['--interval', '3s', '--snapshots', '5']],
        ['during the trace window', 6000, ['--interval', '1s', '--snapshots', '2', '--trace-window', '60s']],
      ] as const) {
        const run = cliAsync(['attach', String(t.pid), '--no-sampling', '--dir', scratchDir('leakscope-kill9-'), ...args]);
        await sleep(wait);
        assert.notEqual(await findInspector(t.pid), null, `${what}: attached`);
        process.kill(run.pid, 'SIGKILL');
        await run.done;
        const took = await inspectorGone(t.pid, 5000);
        assert.ok(took >= 0, `${what}: the inspector closed within 5 s of the kill`);
        assert.ok(isAlive(t.pid), `${what}: the target lives`);
      }
    });
  });

  it("an inspector opened by a leakscope that died (its lifeline gone) is not taken for the target's own: the next run closes it", async () => {
    await withTarget('session-leak', ['--inspect-port=0'], async (t) => {
      // open the inspector as a dead leakscope would have left it: SIGUSR1, and its record of who opened it
      process.kill(t.pid, 'SIGUSR1');
      let found = null;
      for (let i = 0; i < 50 && !found; i++) {
        await sleep(100);
        found = await findInspector(t.pid);
      }
      assert.ok(found, 'inspector open');
      const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
      const client = await CDP({ target: found.webSocketDebuggerUrl });
      await client.Runtime.evaluate({
        expression: `Object.defineProperty(globalThis, Symbol.for('leakscope.opened'), { value: { pid: ${dead}, at: Date.now() }, configurable: true })`,
      });
      await client.close();
      const r = cli(['snapshot', String(t.pid), '-o', path.join(tmp, 'orphan', 'x.heapsnapshot')]);
      assert.equal(r.status, 0, r.stderr);
      assert.ok((await inspectorGone(t.pid, 10_000)) >= 0, 'closed at the end, as if this run had opened it');
      assert.ok(isAlive(t.pid));
    });
  });

  it('a target paused at a breakpoint by another inspector client: said at once, exit 5, no hang; it runs on once resumed', async () => {
    await withTarget('session-leak', ['--inspect=127.0.0.1:0'], async (t) => {
      const port = t.inspectPort as number;
      const devtools = await CDP({ port });
      try {
        await devtools.Debugger.enable();
        const paused = new Promise((resolve) => devtools.Debugger.paused(resolve));
        await devtools.Debugger.pause();
        await paused;
        for (const args of [
          ['attach', '--port', String(port), '--interval', '1s', '--snapshots', '2', '--dir', path.join(tmp, 'paused')],
          ['snapshot', '--port', String(port), '-o', path.join(tmp, 'paused', 'x.heapsnapshot')],
        ]) {
          const r = await cliAsync(args, 60_000).done;
          assert.equal(r.status, 5, `${args[0]}: ${r.stderr}`);
          assert.match(r.stderr, /^leakscope: the target does not run its event loop: it is paused in a debugger/m);
          assert.equal(said(r.stderr).length, 1, r.stderr);
        }
        await devtools.Debugger.resume();
        assert.ok(isAlive(t.pid));
      } finally {
        await devtools.close();
      }
    });
  });

  it('two attaches on one pid at once: the second waits for the first to let go, both succeed, the inspector is closed after', async () => {
    await withTarget('session-leak', [], async (t) => {
      const a = cliAsync([
        'attach',
        String(t.pid),
        '--interval',
        '1s',
        '--snapshots',
        '3',
        '--no-sampling',
        '--dir',
        path.join(tmp, 'two-a'),
        '--json',
      ]);
      await sleep(300);
      const b = cliAsync([
        'attach',
        String(t.pid),
        '--interval',
        '1s',
        '--snapshots',
        '3',
        '--no-sampling',
        '--dir',
        path.join(tmp, 'two-b'),
        '--json',
      ]);
      const [ra, rb] = await Promise.all([a.done, b.done]);
      for (const [name, r] of [
        ['first', ra],
        ['second', rb],
      ] as const) {
        assert.equal(r.status, 0, `${name}: ${r.stderr}`);
        assert.equal(JSON.parse(r.stdout).verdict, 'leak', `${name} named the leak`);
      }
      assert.match(rb.stderr, /waiting for another leakscope \(pid \d+\) to let go of pid \d+/);
      assert.equal(await findInspector(t.pid), null);
      assert.ok(isAlive(t.pid));
    });
  });

  it('signals again and again after the let-go: the report of what was gathered is still printed, whole', async () => {
    await withTarget('session-leak', [], async (t) => {
      for (const [first, then] of [
        ['SIGINT', 'SIGTERM'],
        ['SIGTERM', 'SIGINT'],
        ['SIGHUP', 'SIGHUP'],
      ] as const) {
        const child = spawn(
          process.execPath,
          [
            path.join(repoRoot, 'bin', 'run.js'),
            'attach',
            String(t.pid),
            '--interval',
            '1s',
            '--snapshots',
            '4',
            '--no-sampling',
            '--no-trace-growth',
            '--dir',
            scratchDir('leakscope-late-'),
            '--json',
          ],
          { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const done = new Promise<{ status: number | null }>((resolve) => child.on('close', (status) => resolve({ status })));
        const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
        await sleep(3500);
        child.kill(first);
        // again and again, until the report is out (a signal in the instant Node tears itself down after that is
        // beyond any program's reach)
        for (let i = 0; i < 100 && !/\n}\n$/.test(stdout); i++) {
          await sleep(50);
          if (child.exitCode === null) child.kill(then);
        }
        const { status } = await done;
        clearTimeout(killer);
        const r = { status, stdout, stderr };
        assert.equal(r.status, 128 + constants.signals[first], `${first} then ${then}: ${r.stderr}`);
        const j = JSON.parse(r.stdout);
        assert.equal(j.schema, 'leakscope.attach/v2', 'the whole report');
        assert.equal(await findInspector(t.pid), null);
        assert.ok(isAlive(t.pid));
      }
    });
  });

  it('a target whose own inspector listens on every interface (0.0.0.0) is warned about, and left as found', async () => {
    await withTarget('session-leak', ['--inspect=0.0.0.0:0'], async (t) => {
      const r = cli([
        'attach',
        String(t.pid),
        '--interval',
        '1s',
        '--snapshots',
        '2',
        '--no-sampling',
        '--no-trace-growth',
        '--dir',
        path.join(tmp, 'exposed'),
      ]);
      assert.equal(r.status, 0, r.stderr);
      // (wrapped to the width: compared with its line breaks folded)
      assert.match(
        r.stdout.replace(/\n +/g, ' '),
        /^warning: its inspector listens on every interface \(0\.0\.0\.0:\d+\): anyone who can reach that port can run code in the process; start it with --inspect=127\.0\.0\.1/m,
      );
      assert.notEqual(await findInspector(t.pid), null, 'its own inspector stays open, as found');
      const s = cli(['snapshot', String(t.pid), '-o', path.join(tmp, 'exposed', 'x.heapsnapshot')]);
      assert.equal(s.status, 0, s.stderr);
      assert.match(s.stderr, /warning: pid \d+'s inspector listens on every interface/);
    });
  });

  it('a non-loopback inspector address is refused unless --host names it', () => {
    const r = cli(['snapshot', '--ws', 'ws://10.1.2.3:9229/abc']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /10\.1\.2\.3 is not a loopback address.*pass --host 10\.1\.2\.3/);
  });

  it('--port where no inspector listens: exit 5', () => {
    const r = cli(['snapshot', '--port', '9']);
    assert.equal(r.status, 5);
    assert.match(r.stderr, /no inspector answers on 127\.0\.0\.1:9/);
  });

  it('a target killed mid-run: a clear error, exit 3, and the snapshots taken so far are kept', async () => {
    await withTarget('session-leak', INSPECT_ANY_PORT, async (t) => {
      const out = path.join(tmp, 'killed');
      const run = cliAsync(['attach', String(t.pid), '--interval', '3s', '--snapshots', '4', '--out', out]);
      // wait for the first snapshot to land, then kill the target
      for (let i = 0; i < 100 && !(existsSync(out) && readdirSync(out).some((f) => f.endsWith('-1.heapsnapshot'))); i++) await sleep(100);
      process.kill(t.pid, 'SIGKILL');
      const r = await run.done;
      assert.equal(r.status, 3, r.stderr);
      assert.match(r.stderr, /the target went away during the run \(kept 1 snapshot\)/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.match(
        r.stdout,
        /^INCONCLUSIVE {2}only 1 snapshot taken: at least 2 are needed to compare\nerror: the target went away during the run \(kept 1 snapshot\)\n/,
      );
      assert.ok(r.stdout.includes(`\nsnapshots  1 in ${out}\n`), r.stdout);
      assert.ok(readdirSync(out).includes(`pid${t.pid}-1.heapsnapshot`));
      assert.deepEqual(
        readdirSync(out).filter((f) => f.endsWith('.partial')),
        [],
      );
    });
  });
});
