/**
 * The census's target-side code, run in this test process as the target runs it (the same expression, with
 * `require` given as the inspector's command line API gives it), and its judgement on rounds of reads.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { judgeCensus, type CensusRound } from '../../src/analysis/series/census.js';
import { NAMES } from '../../src/analysis/heap/v8.js';
import { CENSUS_KEY, installScript, type CensusEntry, type CensusRead } from '../../src/capture/census.js';

const require = createRequire(import.meta.url);

interface Census {
  read(leaseMs: number): CensusRead;
  remove(): { restored: number; passThrough: number };
}

function install(leaseMs = 60_000): { wrapped: string[]; skipped: string[]; census: Census } {
  const r = new Function('require', `return ${installScript(leaseMs, { timerCleared: NAMES.timeoutDestroyed })}`)(require) as {
    wrapped: string[];
    skipped: string[];
  };
  return { ...r, census: (globalThis as Record<symbol, unknown>)[Symbol.for(CENSUS_KEY)] as Census };
}

const originals = () => [
  Map.prototype.set,
  Set.prototype.add,
  Array.prototype.push,
  Array.prototype.unshift,
  EventEmitter.prototype.on,
  EventEmitter.prototype.addListener,
  globalThis.setInterval,
];

describe('census in the target', () => {
  it('follows the collections being added to, with the line that adds; removes every wrapper', () => {
    const before = originals();
    const { wrapped, skipped, census } = install();
    const timers: NodeJS.Timeout[] = [];
    try {
      assert.deepEqual(skipped, []);
      assert.ok(wrapped.includes('Map.prototype.set') && wrapped.includes('setInterval'), wrapped.join());
      // one function stays one function (on === addListener), with the original's name and length
      assert.equal(EventEmitter.prototype.on, EventEmitter.prototype.addListener);
      assert.equal(Map.prototype.set.name, 'set');
      assert.equal(Map.prototype.set.length, 2);
      const sessions = new Map<string, object>();
      const log: number[] = [];
      const bus = new EventEmitter();
      bus.setMaxListeners(0);
      const small = new Map<number, number>();
      function handle(i: number) {
        sessions.set(`s${i}`, { i });
        log.push(i);
        bus.on('changed', () => i);
        small.set(i % 4, i);
      }
      for (let i = 0; i < 2000; i++) handle(i);
      // the first read marks what is alive: stacks are taken only for those (a request's own big array, dead before
      // a read, costs no stack)
      const first = census.read(60_000);
      assert.ok(
        first.entries.every((e) => e.stacks.length === 0),
        'no stack before a read',
      );
      for (let i = 2000; i < 4000; i++) handle(i);
      for (let i = 0; i < 5; i++) timers.push(setInterval(() => {}, 60_000));
      const read = census.read(60_000);
      const kinds = read.entries.map((e) => `${e.kind} ${e.size}`).sort();
      // the log, and the emitter's own listener array (node:events pushes to it; the judgement drops it)
      assert.deepEqual(kinds, ['Array 4000', 'Array 4000', 'Map 4000', 'listener 4000']);
      const map = read.entries.find((e) => e.kind === 'Map') as CensusEntry;
      assert.match(map.stacks[0][0], /at handle \(.*census\.test\.ts:\d+:\d+\)/);
      const listener = read.entries.find((e) => e.kind === 'listener') as CensusEntry;
      assert.equal(listener.event, 'changed');
      assert.equal(listener.label, 'EventEmitter');
      assert.equal(read.timers.length, 1);
      assert.equal(read.timers[0].alive, 5);
      clearInterval(timers[0]);
      assert.equal(census.read(60_000).timers[0].alive, 4, 'a cleared timer is no longer counted');
      // the census's own bookkeeping is not followed (it goes around its wrappers)
      assert.ok(census.read(60_000).entries.every((e) => e.size === 4000));
    } finally {
      for (const t of timers) clearInterval(t);
      const r = census.remove();
      assert.equal(r.passThrough, 0);
    }
    assert.deepEqual(originals(), before, 'every method is the original again');
    assert.equal((globalThis as Record<symbol, unknown>)[Symbol.for(CENSUS_KEY)], undefined);
  });

  it('removes itself when its lease runs out (leakscope gone), and a method wrapped again stays a pass-through', async () => {
    const before = originals();
    const { census } = install(150);
    await sleep(400);
    assert.deepEqual(originals(), before, 'the lease ran out: the originals are back');
    assert.equal((globalThis as Record<symbol, unknown>)[Symbol.for(CENSUS_KEY)], undefined);
    assert.deepEqual(census.remove(), { restored: 0, passThrough: 0 }, 'a second removal does nothing');

    const { census: again } = install();
    const ours = Map.prototype.set;
    const theirs = function (this: Map<unknown, unknown>, k: unknown, v: unknown) {
      return ours.call(this, k, v);
    };
    Map.prototype.set = theirs;
    try {
      const r = again.remove();
      assert.equal(r.passThrough, 1, 'their wrapper around ours is left in place');
      assert.equal(Map.prototype.set, theirs);
      const m = new Map([[1, 1]]);
      m.set(2, 2);
      assert.equal(m.size, 2, 'and ours calls the original');
    } finally {
      Map.prototype.set = before[0] as typeof Map.prototype.set;
    }
  });
});

function entry(id: number, kind: CensusEntry['kind'], size: number, stack: string, extra: Partial<CensusEntry> = {}): CensusEntry {
  return { id, kind, label: kind === 'listener' ? 'EventEmitter' : kind, size, sampled: 10, every: 16, stacks: [[stack, 10]], ...extra };
}

const AT = (line: number) => `Error\n    at handle (file:///srv/app.js:${line}:5)\n    at Server.emit (node:events:1:1)`;

function rounds(sizes: Array<Array<CensusEntry>>, heap: number[]): CensusRound[] {
  return sizes.map((entries, k) => ({
    t: k * 30_000,
    heapUsed: heap[k],
    read: { now: k, entries, timers: [], collected: 0, full: false },
  }));
}

describe('judging the census', () => {
  it('a collection that grows at every round, by a material amount, is a leak; a bounded one that wobbles is not', () => {
    const r = rounds(
      [0, 1, 2, 3].map((k) => [entry(1, 'Map', 1000 + k * 800, AT(10)), entry(2, 'Map', 500 + (k % 2) * 20, AT(20))]),
      [50e6, 52e6, 54e6, 56e6],
    );
    const f = judgeCensus(r, [], { windowMs: 120_000 });
    const byLine = new Map(f.map((x) => [x.location?.line, x]));
    assert.equal(byLine.get(10)?.status, 'leak');
    assert.deepEqual(byLine.get(10)?.countByStep, [1000, 1800, 2600, 3400]);
    assert.equal(byLine.get(10)?.bytesFrom, 'heap-share');
    assert.notEqual(byLine.get(20)?.status, 'leak');
  });

  it('growth the heap does not show (no bytes) is a watch item, not a leak', () => {
    const r = rounds(
      [0, 1, 2, 3].map((k) => [entry(1, 'Array', 100 + k * 50, AT(10))]),
      [50e6, 50e6, 50e6, 50e6],
    );
    const [f] = judgeCensus(r, [], { windowMs: 120_000 });
    assert.equal(f.status, 'watch');
    assert.match(f.statusReason, /not known|floor/);
  });

  it("one line adding to many collections is one holder's shards: their growth added up, seen from each one's first read", () => {
    const shards = (k: number) =>
      Array.from({ length: 20 }, (_, i) => i)
        .filter((i) => k >= 1 || i < 5)
        .map((i) => entry(100 + i, 'Map', 10 + k * 3, AT(38)));
    const f = judgeCensus(rounds([0, 1, 2, 3].map(shards), [50e6, 51e6, 52e6, 53e6]), [], { windowMs: 120_000 });
    assert.equal(f.length, 1);
    assert.equal(f[0].shards, 20);
    // 20 bases of 10 (15 first seen a round late, with 13), then +3 a round per shard seen
    assert.equal(f[0].status, 'leak');
    const c = f[0].countByStep as number[];
    assert.ok(c[1] > c[0] && c[2] > c[1] && c[3] > c[2], String(c));
  });

  it('listeners are judged by count; the emitter array node:events pushes to is not a second finding', () => {
    const ev = (line: number) => `Error\n    at handle (file:///srv/app.js:${line}:7)`;
    const internal = 'Error\n    at _addListener (node:events:590:16)\n    at handle (file:///srv/app.js:11:7)';
    const r = rounds(
      [0, 1, 2, 3].map((k) => [
        entry(1, 'listener', 100 + k * 100, ev(11), { event: 'changed', every: 4 }),
        entry(2, 'Array', 100 + k * 100, internal),
      ]),
      [50e6, 50e6, 50e6, 50e6],
    );
    const f = judgeCensus(r, [], { windowMs: 120_000 });
    assert.deepEqual(
      f.map((x) => `${x.kind} ${x.name} ${x.status}`),
      ['listener changed leak'],
    );
  });

  it('a growing collection no stack places joins the sharded holder of its class, or stays a suspect', () => {
    const shards = (k: number) => [
      ...Array.from({ length: 10 }, (_, i) => entry(100 + i, 'Map', 10 + k * 3, AT(38))),
      // followed late, never sampled since: no stack
      { ...entry(200, 'Map', 10 + k * 3, AT(38)), stacks: [] as Array<[string, number]> },
    ];
    const grouped = judgeCensus(rounds([0, 1, 2, 3].map(shards), [50e6, 51e6, 52e6, 53e6]), [], { windowMs: 120_000 });
    assert.deepEqual(
      grouped.map((f) => [f.shards, f.location?.line]),
      [[11, 38]],
    );
    const alone = judgeCensus(
      rounds(
        [0, 1, 2, 3].map((k) => [{ ...entry(1, 'Set', 100 + k * 100, AT(5)), stacks: [] as Array<[string, number]> }]),
        [50e6, 52e6, 54e6, 56e6],
      ),
      [],
      { windowMs: 120_000 },
    );
    assert.equal(alone[0].status, 'suspect');
    assert.match(alone[0].statusReason, /no call that adds to it was sampled/);
  });
});
