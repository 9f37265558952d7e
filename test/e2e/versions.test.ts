/**
 * The live side on the Node that runs the targets (LEAKSCOPE_TARGET_NODE in the version matrix, test/matrix.mjs):
 * SIGUSR1 and the inspector moved off 9229, snapshots streamed and closed again, a soak run, and a snapshot
 * transfer interrupted by Ctrl-C — each on every supported version, since each leans on Node's own inspector.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { loadSnapshot } from '../../src/analysis/heap/loader.js';
import { runtimeVersion } from '../../src/analysis/heap/v8.js';
import { findInspector } from '../../src/capture/inspector-probe.js';
import { cli } from '../helpers/cli.js';
import { cliAsync } from '../helpers/cli-async.js';
import { targetNode, targetVersion } from '../helpers/nodes.js';
import { isAlive, withTarget } from '../helpers/targets.js';
import { scratchDir } from '../helpers/scratch.js';

describe(`the live side with targets on Node ${targetVersion}`, () => {
  let tmp: string;
  before(() => {
    tmp = scratchDir('leakscope-versions-');
  });

  it('snapshot <pid> (SIGUSR1 on the default port, moved, closed): the file is a snapshot of that Node', async () => {
    await withTarget('session-leak', [], async (t) => {
      const file = path.join(tmp, 'one.heapsnapshot');
      const r = cli(['snapshot', String(t.pid), '-o', file, '--json']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const snap = await loadSnapshot(file);
      assert.equal(runtimeVersion(snap.strings), `Node ${targetVersion}`);
      assert.equal(await findInspector(t.pid), null);
      assert.ok(isAlive(t.pid));
    });
  });

  it('attach <pid>: the leaking Map with its kind and line; the target lives on with its inspector closed', async () => {
    await withTarget('session-leak', [], async (t) => {
      const r = cli([
        'attach',
        String(t.pid),
        '--interval',
        '1s',
        '--snapshots',
        '3',
        '--out',
        path.join(tmp, 'attach'),
        '--json',
        '--fail-on',
        'all',
      ]);
      assert.equal(r.status, 1, r.stderr);
      const j = JSON.parse(r.stdout);
      const f = j.processes[0].isolates[0].diff.findings[0];
      assert.deepEqual(
        [f.kind, f.name, f.holderClass, f.itemClass, path.basename(f.location.file), f.location.line],
        ['growing-collection', 'sessions', 'Map', 'Session', 'session-leak.mjs', 15],
      );
      assert.ok(j.processes[0].isolates[0].allocationSites.length > 0, 'the sampling profiler answered');
      assert.equal(j.processes[0].detach.inspectorClosed, true);
      assert.equal(await findInspector(t.pid), null);
      assert.ok(isAlive(t.pid));
    });
  });

  it('run: a leaking program fails with its culprit, a healthy one passes quietly', () => {
    const leak = cli(
      ['run', '--quick', '--out', path.join(tmp, 'run-leak'), '--json', '--', targetNode, 'fixtures/programs/timer-leak.mjs'],
      { timeoutMs: 120_000 },
    );
    assert.equal(leak.status, 1, leak.stderr);
    const j = JSON.parse(leak.stdout);
    assert.equal(j.failing[0].kind, 'timer');
    const healthy = cli(
      ['run', '--quick', '--out', path.join(tmp, 'run-healthy'), '--', targetNode, 'fixtures/programs/timer-healthy.mjs'],
      { timeoutMs: 120_000 },
    );
    assert.equal(healthy.status, 0, `${healthy.stdout}${healthy.stderr}`);
    assert.match(healthy.stdout, /^NO LEAK {2}/);
  });

  it('Ctrl-C in the middle of a snapshot transfer: the target lives, its inspector is closed, no partial file', async () => {
    await withTarget('big-heap', [], async (t) => {
      const out = scratchDir('leakscope-version-interrupt-');
      const run = cliAsync(['snapshot', String(t.pid), '-o', path.join(out, 'x.heapsnapshot')]);
      let started = false;
      for (let i = 0; i < 3000 && !started; i++) {
        await sleep(20);
        started = readdirSync(out).some((f) => f.endsWith('.partial') && statSync(path.join(out, f)).size > 0);
      }
      assert.ok(started, 'the transfer started');
      process.kill(run.pid, 'SIGINT');
      const r = await run.done;
      assert.equal(r.status, 130, r.stderr);
      assert.deepEqual(readdirSync(out), []);
      assert.ok(isAlive(t.pid));
      assert.equal(await findInspector(t.pid), null);
    });
  });
});
