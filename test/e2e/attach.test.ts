import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  symlinkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import { loadSnapshot } from '../../src/analysis/heap/loader.js';
import { cgroupMemory } from '../../src/capture/process.js';
import { findInspector, listeningPorts, probeInspector } from '../../src/capture/inspector-probe.js';
import { cli, said } from '../helpers/cli.js';
import { isAlive, withTarget } from '../helpers/targets.js';
import { scratchDir } from '../helpers/scratch.js';

// Targets start with --inspect-port=0: SIGUSR1 then opens the inspector on a free port, which leakscope finds
// through /proc — so parallel test files never fight over 9229.
const INSPECT_ANY_PORT = ['--inspect-port=0'];

describe('leakscope attach / snapshot against real Node processes', () => {
  let tmp: string;
  before(() => {
    tmp = scratchDir('leakscope-attach-');
  });

  it('attach <pid>: names the leaking Map, then leaves the target alive with its inspector closed', async () => {
    await withTarget('session-leak', INSPECT_ANY_PORT, async (t) => {
      assert.equal(await findInspector(t.pid), null, 'no inspector before');
      const out = path.join(tmp, 'leak');
      const r = cli(['attach', String(t.pid), '--interval', '1s', '--snapshots', '3', '--out', out, '--json', '--fail-on-leak']);
      const report = JSON.parse(r.stdout);
      assert.equal(r.status, 1, `${r.stderr} verdict=${report.verdict} reason=${report.reason}`);
      assert.equal(report.schema, 'leakscope.attach/v2');
      assert.equal(report.verdict, 'leak');
      assert.equal(report.processes.length, 1);
      const p = report.processes[0];
      assert.equal(p.target.pid, t.pid);
      assert.equal(p.target.openedByUs, true);
      assert.equal(p.target.otherClients, 0);
      assert.deepEqual(
        p.isolates.map((i: { label: string }) => i.label),
        ['main thread'],
        'a program without workers has one isolate',
      );
      const j = p.isolates[0];
      assert.equal(j.verdict, 'leak');
      const f = j.diff.findings[0];
      assert.equal(f.name, 'sessions');
      assert.equal(f.holderClass, 'Map');
      assert.equal(f.itemClass, 'Session');
      assert.match(f.location.file, /fixtures\/programs\/session-leak\.mjs$/);
      assert.equal(f.location.line, 15);
      // tracemalloc's view: the constructor line of Session allocates the memory that stays
      assert.ok(
        j.allocationSites.some(
          (s: { file: string; line: number }) => s.file.endsWith('session-leak.mjs') && (s.line === 7 || s.line === 17),
        ),
        JSON.stringify(j.allocationSites),
      );
      assert.equal(j.snapshots.length, 3);
      for (const file of [...j.snapshots, ...j.profiles]) assert.equal(statSync(file).mode & 0o777, 0o600, file);
      assert.deepEqual(
        readdirSync(out).filter((f) => f.endsWith('.partial')),
        [],
      );
      assert.ok(j.usage.length >= 3);
      assert.equal(p.detach.inspectorClosed, true);
      assert.ok(isAlive(t.pid), 'the target is still alive');
      assert.equal(await findInspector(t.pid), null, 'its inspector is closed again');
      assert.deepEqual(listeningPorts(t.pid).length, 1, `only its own HTTP port listens: ${listeningPorts(t.pid)}`);
    });
  });

  it('attach <pid> on the healthy twin: no-leak and no finding', async () => {
    await withTarget('bounded-cache', INSPECT_ANY_PORT, async (t) => {
      const r = cli([
        'attach',
        String(t.pid),
        '--interval',
        '1s',
        '--snapshots',
        '3',
        '--out',
        path.join(tmp, 'healthy'),
        '--json',
        '--fail-on-leak',
      ]);
      assert.equal(r.status, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.verdict, 'no-leak');
      assert.deepEqual(j.processes[0].isolates[0].diff.findings, []);
      assert.ok(isAlive(t.pid));
    });
  });

  it('attach --port to a process started with --inspect: works, and leaves its own inspector open', async () => {
    await withTarget('log-leak', ['--inspect=127.0.0.1:0'], async (t) => {
      assert.ok(t.inspectPort, t.stderr());
      const r = cli(['attach', '--port', String(t.inspectPort), '--interval', '1s', '--snapshots', '3', '--out', path.join(tmp, 'port')]);
      assert.equal(r.status, 0, r.stderr);
      // line 1: the verdict with the culprit and its place; then its block; the target's state in the rows below
      assert.match(r.stdout, /^LEAK at fixtures\/programs\/log-leak\.mjs:14:\d+: requestLog \(Array\)\n/);
      assert.match(r.stdout, /^ {3}counts +[\d,]+ → [\d,]+ → [\d,]+ entries \(\+[\d,]+ per snapshot\) of RequestRecord,/m);
      assert.match(r.stdout, /^target +inspector 127\.0\.0\.1:\d+ left open, as found$/m);
      assert.ok(await probeInspector('127.0.0.1', t.inspectPort as number), 'we did not open it, so we do not close it');
      assert.ok(isAlive(t.pid));
    });
  });

  it('snapshot <pid>: one loadable snapshot, mode 0600, inspector closed after', async () => {
    await withTarget('session-leak', INSPECT_ANY_PORT, async (t) => {
      const file = path.join(tmp, 'one', 'x.heapsnapshot');
      const r = cli(['snapshot', String(t.pid), '-o', file, '--json']);
      assert.equal(r.status, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.schema, 'leakscope.snapshot/v2');
      assert.deepEqual(
        j.files.map((f: { file: string; label: string }) => [f.file, f.label]),
        [[file, 'main thread']],
      );
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const snap = await loadSnapshot(file);
      assert.ok(snap.nodeCount > 10000);
      assert.equal(await findInspector(t.pid), null);
      assert.ok(isAlive(t.pid));
    });
  });

  it('snapshot three times (three inspector sessions, so three id numberings), then diff: the holder is named, matched by its place', async () => {
    await withTarget('session-leak', INSPECT_ANY_PORT, async (t) => {
      const files = [1, 2, 3].map((k) => path.join(tmp, 'separate', `s${k}.heapsnapshot`));
      for (const file of files) {
        const r = cli(['snapshot', String(t.pid), '-o', file]);
        assert.equal(r.status, 0, r.stderr);
        await sleep(1500);
      }
      const r = cli(['diff', ...files, '--json']);
      assert.equal(r.status, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.idsComparable, false, 'each session numbers the objects anew');
      assert.equal(j.matchedBy, 'place');
      assert.match(j.warnings[0], /matched across the snapshots by their place in the heap/);
      assert.equal(j.verdict, 'leak', j.reason);
      const f = j.findings[0];
      assert.equal(f.kind, 'growing-collection');
      assert.equal(f.name, 'sessions');
      assert.equal(f.holderClass, 'Map');
      assert.equal(f.itemClass, 'Session');
      assert.ok(f.location.file.endsWith('fixtures/programs/session-leak.mjs'), f.location.file);
      assert.equal(f.location.line, 15);
      assert.ok(f.countByStep[2] > f.countByStep[1] && f.countByStep[1] > f.countByStep[0], String(f.countByStep));
      assert.ok(isAlive(t.pid));
    });
  });

  it('the target survives repeated attach / detach cycles (closing an inspector under a live session once crashed it)', async () => {
    await withTarget('session-leak', INSPECT_ANY_PORT, async (t) => {
      for (let k = 1; k <= 8; k++) {
        const r = cli(['snapshot', String(t.pid), '--no-gc', '-o', path.join(tmp, 'cycles', `${k}.heapsnapshot`)]);
        assert.equal(r.status, 0, `cycle ${k}: ${r.stderr}`);
        await sleep(300);
        assert.ok(isAlive(t.pid), `the target died after cycle ${k}: ${t.stderr()}`);
        assert.equal(await findInspector(t.pid), null, `cycle ${k}: inspector closed`);
      }
    });
  });

  it('refuses to snapshot a target close to its heap limit (unless --force), and leaves it alive and detached', async () => {
    await withTarget(
      'near-limit',
      ['--max-semi-space-size=1', '--max-old-space-size=64', ...INSPECT_ANY_PORT],
      async (t) => {
        const r = cli(['snapshot', String(t.pid), '-o', path.join(tmp, 'near', 'x.heapsnapshot')]);
        assert.equal(r.status, 2, r.stderr);
        assert.match(
          r.stderr,
          /the target uses \d+ MB of its \d+ MB (old-space limit \(--max-old-space-size\)|heap limit \(heap_size_limit\)): a snapshot needs about \d+ MB more memory and pauses it about \d+ s, and could run out of heap \(nodejs\/node#50711\); not taking one \(`attach --no-snapshot` gives a verdict without one, with pauses of milliseconds; --force takes it anyway\)/,
        );
        assert.ok(!existsSync(path.join(tmp, 'near', 'x.heapsnapshot')));
        assert.ok(isAlive(t.pid));
        assert.equal(await findInspector(t.pid), null);
      },
      { LEAKSCOPE_SELF_LOAD: '0' },
    );
  });

  it('the old space, not heap_size_limit, decides with --max-old-space-size: 90 % of it is refused (it is half the heap limit)', async () => {
    await withTarget(
      'near-limit',
      ['--max-old-space-size=64', ...INSPECT_ANY_PORT],
      async (t) => {
        const r = cli(['snapshot', String(t.pid), '-o', path.join(tmp, 'near-old', 'x.heapsnapshot')]);
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, /the target uses \d+ MB of its 67 MB old-space limit \(--max-old-space-size\)/);
        assert.ok(isAlive(t.pid));
        assert.equal(await findInspector(t.pid), null);
      },
      { LEAKSCOPE_SELF_LOAD: '0', NEAR_LIMIT_OLD_SHARE: '0.9' },
    );
  });

  it('an address-space limit (RLIMIT_AS, set on the running target with prlimit) too small for a snapshot is refused, and it lives', {
    skip: spawnSync('prlimit', ['--version']).status === 0 ? false : 'prlimit (util-linux) is not installed',
  }, async () => {
    await withTarget(
      'big-heap',
      INSPECT_ANY_PORT,
      async (t) => {
        const vm = Number(/^VmSize:\s+(\d+)/m.exec(readFileSync(`/proc/${t.pid}/status`, 'utf8'))?.[1]) * 1024;
        const set = spawnSync('prlimit', ['--pid', String(t.pid), `--as=${vm + 60e6}`], { encoding: 'utf8' });
        assert.equal(set.status, 0, set.stderr);
        const r = cli(['snapshot', String(t.pid), '-o', path.join(tmp, 'rlimit', 'x.heapsnapshot')]);
        assert.equal(r.status, 2, r.stderr);
        assert.match(
          r.stderr,
          /the target's address space is limited \(RLIMIT_AS, ulimit -v\) to \d+ MB and it uses \d+ MB: a snapshot needs about \d+ MB more memory .* not taking one/,
        );
        assert.ok(isAlive(t.pid));
        assert.equal(await findInspector(t.pid), null);
      },
      { BIG_HEAP_MB: '70', LEAKSCOPE_SELF_LOAD: '0' },
    );
  });

  it('reads a cgroup memory limit (v2 and v1 layouts)', () => {
    const root = scratchDir('cgroup-');
    const proc = path.join(root, 'proc');
    mkdirSync(path.join(proc, '42'), { recursive: true });
    mkdirSync(path.join(root, 'sys', 'app'), { recursive: true });
    writeFileSync(path.join(proc, '42', 'cgroup'), '0::/app\n');
    writeFileSync(path.join(root, 'sys', 'app', 'memory.max'), '536870912\n');
    writeFileSync(path.join(root, 'sys', 'app', 'memory.current'), '402653184\n');
    assert.deepEqual(cgroupMemory(42, path.join(root, 'sys'), proc), {
      limit: 536870912,
      current: 402653184,
      source: path.join(root, 'sys', 'app', 'memory.max'),
    });
    writeFileSync(path.join(root, 'sys', 'app', 'memory.max'), 'max\n');
    assert.equal(cgroupMemory(42, path.join(root, 'sys'), proc), null, 'no limit');
    writeFileSync(path.join(proc, '42', 'cgroup'), '4:memory:/pod\n0::/\n');
    mkdirSync(path.join(root, 'sys', 'memory', 'pod'), { recursive: true });
    writeFileSync(path.join(root, 'sys', 'memory', 'pod', 'memory.limit_in_bytes'), '1000000000\n');
    writeFileSync(path.join(root, 'sys', 'memory', 'pod', 'memory.usage_in_bytes'), '900000000\n');
    assert.equal(cgroupMemory(42, path.join(root, 'sys'), proc)?.limit, 1e9);
    assert.equal(cgroupMemory(43, path.join(root, 'sys'), proc), null, 'no such process');
  });

  it('refuses a process that is not Node (sleep 60), which survives', () => {
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const r = cli(['attach', String(sleeper.pid), '--interval', '1s']);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /is not a Node\.js process \(sleep 60\): not sending SIGUSR1/);
      assert.equal(said(r.stderr).length, 1, r.stderr);
      assert.ok(isAlive(sleeper.pid as number), 'sleep was not signalled');
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  for (const disguise of ['exec -a node', 'a copy named node']) {
    it(`a non-Node process disguised as node (${disguise}) is refused because it does not catch SIGUSR1, and survives`, () => {
      let victim: ReturnType<typeof spawn>;
      if (disguise === 'exec -a node') {
        victim = spawn('bash', ['-c', 'exec -a node sleep 60'], { stdio: 'ignore' });
      } else {
        const dir = scratchDir('leakscope-disguise-');
        copyFileSync(execFileSync('which', ['sleep'], { encoding: 'utf8' }).trim(), path.join(dir, 'node'));
        chmodSync(path.join(dir, 'node'), 0o755);
        victim = spawn(path.join(dir, 'node'), ['60'], { stdio: 'ignore' });
      }
      try {
        spawnSync('sleep', ['0.3']); // let bash exec into sleep
        const r = cli(['snapshot', String(victim.pid), '-o', path.join(tmpdir(), `leakscope-disguise-${victim.pid}.heapsnapshot`)]);
        assert.equal(r.status, 2, r.stderr);
        assert.equal(
          r.stderr,
          `leakscope: pid ${victim.pid} does not handle SIGUSR1 (no handler in SigCgt), so SIGUSR1 would terminate it: not sending it (start it with --inspect-port=0 (or --inspect) and pass --port, or use --ws)\n`,
        );
        assert.ok(isAlive(victim.pid as number), 'the disguised process was not signalled');
      } finally {
        victim.kill('SIGKILL');
      }
    });
  }

  it("another user's process: permission denied, exit 4, and the target is left alone", {
    skip: process.getuid?.() !== 0 ? 'needs root to run leakscope as another user' : false,
  }, async (ctx) => {
    // the checkout must be readable by that user (it is not when it lives under a private home directory)
    const probe = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, path.join(process.cwd(), 'bin', 'run.js'), '--version'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (probe.error || probe.status !== 0) {
      ctx.skip('runuser is missing, or the checkout is not readable by nobody');
      return;
    }
    await withTarget('session-leak', INSPECT_ANY_PORT, async (t) => {
      const r = spawnSync(
        'runuser',
        [
          '-u',
          'nobody',
          '--',
          process.execPath,
          path.join(process.cwd(), 'bin', 'run.js'),
          'snapshot',
          String(t.pid),
          '-o',
          path.join(tmpdir(), 'leakscope-perm', 'x.heapsnapshot'),
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      assert.ifError(r.error);
      assert.equal(r.status, 4, r.stderr);
      assert.match(r.stderr, /permission denied .*process \d+/);
      assert.ok(isAlive(t.pid));
      assert.equal(await findInspector(t.pid), null, 'no SIGUSR1 was sent');
    });
  });

  it('-o naming a directory, a symlink or a device fails (exit 2) before the target is touched: no SIGUSR1, no inspector', async () => {
    await withTarget('session-leak', [], async (t) => {
      const d = scratchDir('leakscope-dest-');
      symlinkSync('/etc/passwd', path.join(d, 'link.heapsnapshot'));
      for (const [dest, kind] of [
        [d, 'a directory'],
        [path.join(d, 'link.heapsnapshot'), 'a symbolic link'],
        ['/dev/null', 'a device'],
      ]) {
        const r = cli(['snapshot', String(t.pid), '-o', dest]);
        assert.equal(r.status, 2, r.stderr);
        assert.equal(r.stderr, `leakscope: refusing to write ${dest}: it is ${kind}, not a regular file (name a new or regular file)\n`);
      }
      assert.ok(isAlive(t.pid));
      assert.equal(await findInspector(t.pid), null, 'no SIGUSR1 was sent: the target has no inspector');
      assert.ok(lstatSync(path.join(d, 'link.heapsnapshot')).isSymbolicLink());
    });
  });

  it('a pid that does not exist: exit 2, one line', () => {
    const r = cli(['snapshot', '4194000']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no process with pid 4194000/);
  });
});
