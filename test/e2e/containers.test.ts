/**
 * Containers without Docker: a pid namespace made with `unshare --pid --fork --mount-proc` (what a container's pid
 * namespace is), attached from the host by the target's host pid, and from inside the namespace by its own pid (as
 * `kubectl exec` / `kubectl debug --target` would). Skipped, saying so, where unshare is not permitted.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { findInspector } from '../../src/capture/inspector-probe.js';
import { cli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/fixtures.js';
import { targetNode } from '../helpers/nodes.js';
import { isAlive } from '../helpers/targets.js';
import { scratchDir } from '../helpers/scratch.js';

const probe = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { encoding: 'utf8', timeout: 10_000 });
const unshareWorks = probe.status === 0;
const why = unshareWorks
  ? ''
  : `unshare --pid is not permitted here (${(probe.stderr || probe.error?.message || '').trim().split('\n')[0]})`;

function childOf(pid: number): number | null {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return children[0] ?? null;
  } catch {
    return null;
  }
}

describe('containers: a target in its own pid namespace', { skip: why || false }, () => {
  it('from the host, by its host pid: attach works and leaves it as found', async () => {
    const ns = spawn(
      'unshare',
      ['--pid', '--fork', '--mount-proc', targetNode, path.join(repoRoot, 'fixtures/programs/session-leak.mjs')],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let node: number | null = null;
    try {
      let out = '';
      ns.stdout.on('data', (d: Buffer) => (out += d.toString()));
      for (let i = 0; i < 150 && !out.includes('listening on'); i++) await sleep(100);
      node = childOf(ns.pid as number);
      assert.ok(node, 'the node process inside the namespace, seen from the host');
      assert.match(readFileSync(`/proc/${node}/status`, 'utf8'), /^NSpid:\s+\d+\s+1$/m, 'it is pid 1 in its namespace');
      const r = cli([
        'attach',
        String(node),
        '--interval',
        '1s',
        '--snapshots',
        '3',
        '--out',
        scratchDir('leakscope-ns-'),
        '--json',
        '--fail-on',
        'all',
      ]);
      assert.equal(r.status, 1, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.processes[0].isolates[0].diff.findings[0].name, 'sessions');
      assert.equal(j.processes[0].detach.inspectorClosed, true);
      assert.ok(isAlive(node));
      assert.equal(await findInspector(node), null);
    } finally {
      for (const pid of [node, ns.pid]) {
        try {
          if (pid) process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });

  it('from inside the namespace (kubectl exec): leakscope sees the pids of the namespace and attaches by them', () => {
    const out = scratchDir('leakscope-ns-inside-');
    const script = [
      `"${targetNode}" fixtures/programs/log-leak.mjs > /dev/null 2>&1 & T=$!`,
      'sleep 1.5',
      `"${process.execPath}" bin/run.js attach $T --interval 1s --snapshots 3 --out "${out}" --json --fail-on all; S=$?`,
      'kill -0 $T && echo "target alive" >&2',
      'kill -9 $T',
      'exit $S',
    ].join('\n');
    const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', script], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.ok(j.processes[0].target.pid < 10, `a namespace pid: ${j.processes[0].target.pid}`);
    assert.equal(j.processes[0].isolates[0].diff.findings[0].name, 'requestLog');
    assert.match(r.stderr, /target alive/);
  });
});
