/**
 * Each detector on heaps written by hand in the shapes V8 and Node give them (helpers/heap-model.ts): a series of
 * three snapshots in which one thing grows, and the detector must name it — kind, name, holder, counts, location.
 * And the twin series that does not grow must give nothing. No processes: the real programs are in test/e2e.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { setProjectRoot } from '../../src/common/format.js';
import { collectSamples, runDetectors } from '../../src/analysis/detectors/index.js';
import type { DetectorFinding } from '../../src/analysis/detectors/types.js';
import { NAMES } from '../../src/analysis/heap/v8.js';
import type { HeapGraph } from '../../src/analysis/graph/heap-graph.js';
import { series, type HeapModel } from '../helpers/heap-model.js';

function detect(graphs: HeapGraph[], minGrowth = 10): DetectorFinding[] {
  const samples = graphs.map((g) => collectSamples(g.snap));
  return runDetectors(samples, { last: graphs[graphs.length - 1], steps: graphs.length, minGrowth });
}

function one(findings: DetectorFinding[], kind: DetectorFinding['kind']): DetectorFinding {
  const found = findings.filter((f) => f.kind === kind);
  assert.equal(found.length, 1, `one ${kind} finding among ${JSON.stringify(findings.map((f) => [f.kind, f.name]))}`);
  return found[0];
}

/** module app.js: the module's top-level scope, held for good, with variables pointing at `vars` */
function moduleScope(h: HeapModel, vars: Record<string, number>): number {
  const native = h.node('object', 'system / NativeContext', 100, 'native-context');
  const si = h.scopeInfo('', 'module-scope-info');
  const ctx = h.hold(h.context('module-context', si, native));
  for (const [name, n] of Object.entries(vars)) h.edge(ctx, 'context', name, n);
  h.closure('main', 'module-main', { file: '/srv/app.js', line: 1 }, ctx);
  return ctx;
}

/** A Map with `entries` string -> Session entries in its OrderedHashMap (3 slots per entry). */
function sessionsMap(h: HeapModel, entries: number, deleted = 0): number {
  const map = h.object(NAMES.Map, 'sessions');
  const table = h.node('array', '', 64, 'sessions-table');
  h.edge(map, 'internal', NAMES.hashTable, table);
  // deleted slots, as Node 22 and 24 write them: key and value both point at the_hole, before the live entries
  const hole = deleted > 0 ? h.node('hidden', NAMES.hole, 0, 'the-hole') : -1;
  for (let k = 0; k < deleted; k++) {
    h.edge(table, 'internal', String(3 * k + 3), hole);
    h.edge(table, 'internal', String(3 * k + 4), hole);
  }
  for (let k = deleted; k < deleted + entries; k++) {
    const key = h.node('string', `sid-${k}`, 24, `sid-${k}`);
    const value = h.object('Session', `session-${k}`, 200);
    h.edge(table, 'internal', String(3 * k + 3), key);
    h.edge(table, 'internal', String(3 * k + 4), value);
  }
  return map;
}

describe('detectors on synthetic heaps', () => {
  // the synthetic scripts live under /srv: places print relative to /
  before(() => setProjectRoot('/'));
  it('growing collection: a module-level Map whose entries grow at every snapshot', () => {
    const f = one(detect(series([20, 40, 60], (h, n) => moduleScope(h, { sessions: sessionsMap(h, n) }))), 'growing-collection');
    assert.equal(f.name, 'sessions');
    assert.equal(f.holderClass, 'Map');
    assert.equal(f.itemClass, 'Session');
    assert.deepEqual(f.countByStep, [20, 40, 60]);
    assert.equal(f.pathText, '(GC roots) → module srv/app.js → sessions (Map)');
    assert.equal(f.confidence, 0.9);
  });

  it('growing collection: a Map that fills and drains (a sawtooth) is not one', () => {
    assert.deepEqual(detect(series([40, 20, 60], (h, n) => moduleScope(h, { sessions: sessionsMap(h, n) }))), []);
  });

  it("growing collection: deleted slots (Node 22/24's the_hole) are not entries: a bounded Map that churns is not one", () => {
    // 300 live entries every time, with more and more deleted slots until the table is rehashed
    assert.deepEqual(detect(series([0, 187, 587], (h, n) => moduleScope(h, { sessions: sessionsMap(h, 300, n) }))), []);
    const f = one(detect(series([20, 40, 60], (h, n) => moduleScope(h, { sessions: sessionsMap(h, n, 100) }))), 'growing-collection');
    assert.deepEqual(f.countByStep, [20, 40, 60]);
    assert.equal(f.itemClass, 'Session');
  });

  it('a collection in a block scope (if/else, as cluster apps write it) is named by its variable, from the ScopeInfo', () => {
    // V8 writes a block context's slots as numbered hidden edges; its ScopeInfo lists the names in slot order
    const f = one(
      detect(
        series([20, 40, 60], (h, n) => {
          const module = moduleScope(h, {});
          const si = h.node('hidden', 'system / ScopeInfo', 40, 'block-scope-info');
          ['isWorker', 'AuditRecord', 'auditLog'].forEach((name, k) =>
            h.edge(si, 'hidden', k, h.node('string', name, 20, `block-name-${k}`)),
          );
          const block = h.context('block-context', si, module);
          h.hold(block);
          h.edge(block, 'hidden', 1, h.closure('AuditRecord', 'audit-class', { file: '/srv/app.js', line: 20 }));
          h.edge(block, 'hidden', 2, sessionsMap(h, n));
          h.closure('processJob', 'process-job', { file: '/srv/app.js', line: 30 }, block);
        }),
      ),
      'growing-collection',
    );
    assert.equal(f.name, 'auditLog');
    assert.match(f.pathText, /block scope in srv\/app\.js → auditLog \(Map\)$/);
  });

  it('timers: repeating Timeouts by callback location; their callbacks are not reported again as closures', () => {
    const findings = detect(
      series([5, 10, 15], (h, n) => {
        for (let k = 0; k < n; k++) {
          const t = h.hold(h.object(NAMES.timeout, `timeout-${k}`, 80));
          h.edge(t, 'property', NAMES.timeoutCallback, h.closure('poll', `poll-${k}`, { file: '/srv/poller.js', line: 7, column: 15 }));
        }
        // a one-shot setTimeout (its _repeat is null) is not an interval
        const once = h.hold(h.object(NAMES.timeout, 'once', 80));
        h.edge(once, 'property', NAMES.timeoutRepeat, h.node('object', 'null', 0, 'null'));
        h.edge(once, 'property', NAMES.timeoutCallback, h.closure('later', 'later', { file: '/srv/poller.js', line: 20 }));
      }),
    );
    const f = one(findings, 'timer');
    assert.equal(f.name, 'poll');
    assert.equal(f.holderClass, 'setInterval');
    assert.deepEqual(f.countByStep, [5, 10, 15]);
    assert.equal(f.location?.file, '/srv/poller.js');
    assert.equal(f.location?.line, 7);
    assert.equal(f.location?.column, 15);
    assert.equal(findings.filter((x) => x.kind === 'closure').length, 0, 'the callback closures are the timer finding');
  });

  it("listeners: an emitter's listener list for one event, named by event, emitter and the listener's location", () => {
    const findings = detect(
      series([3, 9, 15], (h, n) => {
        const server = h.object('Server', 'server', 120);
        const events = h.object(NAMES.Object, 'server-events', 40);
        const list = h.object(NAMES.Array, 'request-listeners', 16);
        h.edge(server, 'property', NAMES.emitterEvents, events);
        h.edge(events, 'property', 'request', list);
        for (let k = 0; k < n; k++)
          h.edge(list, 'element', k, h.closure('onRequest', `listener-${k}`, { file: '/srv/server.js', line: 31, column: 5 }));
        moduleScope(h, { server });
      }),
    );
    const f = one(findings, 'listener');
    assert.equal(f.name, 'request');
    assert.equal(f.holderClass, 'Server');
    assert.equal(f.itemClass, 'onRequest');
    assert.deepEqual(f.countByStep, [3, 9, 15]);
    assert.equal(f.location?.line, 31);
    assert.equal(findings.filter((x) => x.kind === 'growing-collection').length, 0, "the emitter's listener array is the listener finding");
  });

  it("listeners: an EventTarget's linked list per event type (Node's kEvents Map), an AbortSignal named as one", () => {
    const findings = detect(
      series([4, 10, 16], (h, n) => {
        // Node 20 creates an AbortSignal as an EventTarget; its kAborted field tells it apart
        const signal = h.object('EventTarget', 'signal', 48);
        h.edge(signal, 'property', NAMES.abortSignalAborted, h.node('hidden', 'system / Oddball', 0, 'false'));
        const events = h.object(NAMES.Map, 'signal-events', 32);
        h.edge(signal, 'property', NAMES.eventTargetEvents, events);
        const table = h.node('array', '', 152, 'signal-events-table');
        h.edge(events, 'internal', NAMES.hashTable, table);
        const root = h.object(NAMES.Object, 'abort-root', 48);
        h.edge(table, 'internal', '5', h.node('string', 'abort', 24, 'abort-key'));
        h.edge(table, 'internal', '6', root);
        let previous = root;
        for (let k = 0; k < n; k++) {
          const l = h.object(NAMES.eventListener, `listener-${k}`, 176);
          h.edge(previous, 'property', NAMES.listenerNext, l);
          h.edge(l, 'property', 'previous', previous);
          const fn = h.closure('onShutdown', `on-shutdown-${k}`, { file: '/srv/shutdown.js', line: 9, column: 3 });
          h.edge(l, 'property', NAMES.listenerFunction[0], fn);
          h.edge(l, 'property', NAMES.listenerFunction[1], fn);
          previous = l;
        }
        moduleScope(h, { shutdownSignal: signal });
      }),
    );
    const f = one(findings, 'listener');
    assert.equal(f.name, 'abort');
    assert.equal(f.holderClass, 'AbortSignal');
    assert.equal(f.itemClass, 'onShutdown');
    assert.deepEqual(f.countByStep, [4, 10, 16], 'the Listener objects of the list, not the Map entries');
    assert.equal(f.location?.file, '/srv/shutdown.js');
    assert.equal(f.location?.line, 9);
    assert.match(f.summary, /^'abort' listeners on shutdownSignal \(AbortSignal\): 4 → 10 → 16, added by onShutdown/);
    assert.ok(f.newBytes >= 16 * 176, `the list root's retained size counts the whole list (${f.newBytes})`);
  });

  it('closures: live closures created at one source location, with what their scope keeps', () => {
    const findings = detect(
      series([20, 40, 60], (h, n) => {
        const si = h.scopeInfo('makeHandler', 'make-handler-scope');
        for (let k = 0; k < n; k++) {
          const ctx = h.context(`handler-ctx-${k}`, si);
          h.edge(ctx, 'context', 'payload', h.object(NAMES.Array, `payload-${k}`, 4000));
          h.hold(h.closure('handler', `handler-${k}`, { file: '/srv/routes.js', line: 12, column: 10 }, ctx));
        }
      }),
    );
    const f = one(findings, 'closure');
    assert.equal(f.name, 'handler');
    assert.equal(f.itemClass, '(closure)');
    assert.deepEqual(f.countByStep, [20, 40, 60]);
    assert.equal(f.location?.file, '/srv/routes.js');
    assert.equal(f.location?.line, 12);
    assert.match(f.summary, /each one's scope keeps payload \(Array, 4\.0 kB\)$/);
  });

  it("closures in Node itself (node: scripts) are not the program's", () => {
    const findings = detect(
      series([20, 40, 60], (h, n) => {
        for (let k = 0; k < n; k++) h.hold(h.closure('emit', `internal-${k}`, { file: 'node:events', line: 3 }));
      }),
    );
    assert.deepEqual(findings, []);
  });

  it('pending promises: named by the holder that keeps most of them', () => {
    const findings = detect(
      series([20, 40, 60], (h, n) => {
        const pending = h.object('PendingRequests', 'pending', 64);
        for (let k = 0; k < n; k++) {
          const p = h.object(NAMES.Promise, `promise-${k}`, 32);
          h.edge(pending, 'property', `r${k}`, p);
        }
        // a settled promise has its result in reactions_or_result: not counted
        const settled = h.hold(h.object(NAMES.Promise, 'settled', 32));
        h.edge(settled, 'internal', NAMES.promiseReactions, h.object('Result', 'result', 16));
        moduleScope(h, { pending });
      }),
    );
    const f = one(findings, 'pending-promise');
    assert.deepEqual(f.countByStep, [20, 40, 60]);
    assert.equal(f.name, 'pending');
    assert.equal(f.itemClass, 'Promise');
  });

  it("closure chains: each call keeps the previous call's result through a shared scope (Meteor's replaceThing)", () => {
    const findings = detect(
      series([4, 7, 10], (h, calls) => {
        const si = h.scopeInfo('reloadFlags', 'reload-flags-scope');
        let previous: number | null = null;
        let latest = -1;
        for (let k = 0; k < calls; k++) {
          const ctx = h.context(`reload-ctx-${k}`, si);
          if (previous !== null) h.edge(ctx, 'context', 'previous', previous);
          const flags = h.object(NAMES.Object, `flags-${k}`, 48);
          h.edge(flags, 'property', 'isEnabled', h.closure('isEnabled', `is-enabled-${k}`, { file: '/srv/flags.js', line: 9 }, ctx));
          previous = flags;
          latest = flags;
        }
        moduleScope(h, { flags: latest });
      }),
    );
    const f = findings.find((x) => x.itemClass === '(closure chain)');
    assert.ok(f, JSON.stringify(findings.map((x) => [x.kind, x.name, x.itemClass])));
    assert.equal(f.kind, 'closure');
    assert.equal(f.name, 'previous');
    assert.equal(f.holderClass, 'reloadFlags() scope');
    assert.deepEqual(f.countByStep, [3, 6, 9]);
  });

  it('a heap that does not change gives no finding at all', () => {
    assert.deepEqual(detect(series([30, 30, 30], (h, n) => moduleScope(h, { sessions: sessionsMap(h, n) }))), []);
  });
});

/**
 * A Map whose OrderedHashMap has V8's real layout (3 header slots, a power-of-two bucket count, two entries per
 * bucket of 3 slots; the table's self size says the bucket count), so that keys and values are told apart by slot.
 */
function realMap(h: HeapModel, key: string, entries: Array<[number, number]>): number {
  const map = h.object(NAMES.Map, key);
  let buckets = 1;
  while (buckets * 2 < entries.length) buckets *= 2;
  const table = h.node('array', '', 16 + 8 * (3 + 7 * buckets), `${key}-table-${buckets}`);
  h.edge(map, 'internal', NAMES.hashTable, table);
  entries.forEach(([k, v], i) => {
    if (k >= 0) h.edge(table, 'internal', String(3 + buckets + 3 * i), k);
    h.edge(table, 'internal', String(4 + buckets + 3 * i), v);
  });
  return map;
}

/** `tenantCaches`: tenant -> Map(key -> PriceList); `perTenant(t)` entries in tenant t's Map. */
function tenantCaches(h: HeapModel, tenants: number, perTenant: (t: number) => number): number {
  const shards: Array<[number, number]> = [];
  for (let t = 0; t < tenants; t++) {
    const lists: Array<[number, number]> = [];
    for (let k = 0; k < perTenant(t); k++)
      lists.push([h.node('string', `t${t}-k${k}`, 24, `t${t}-k${k}`), h.object('PriceList', `list-${t}-${k}`, 300)]);
    shards.push([h.node('string', `t${t}`, 20, `tenant-${t}`), realMap(h, `cache-${t}`, lists)]);
  }
  return realMap(h, 'tenant-caches', shards);
}

describe('sharded collections: one finding for the holder of many inner collections', () => {
  it("V8's OrderedHashTable layout is read off the table's size (Map: 3 slots per entry, Set: 2)", () => {
    const graphs = series([1], (h) => {
      h.hold(h.node('array', '', 936, 'map-16-buckets'));
      h.hold(h.node('array', '', 152, 'map-2-buckets'));
      h.hold(h.node('array', '', 200, 'set-4-buckets'));
      h.hold(h.node('array', '', 64, 'not-a-table'));
    });
    const snap = graphs[0].snap;
    const at = (name: number) => snap.v8.tableEntriesStart(snap.nodeCount - 4 + name, name === 2 ? 2 : 3);
    assert.deepEqual([at(0), at(1), at(2), at(3)], [19, 5, 7, -1]);
  });

  it('a Map of 20 Maps that each fill up is one finding named by the outer Map, the entries added up', () => {
    const findings = detect(
      series([10, 20, 30], (h, n) => moduleScope(h, { tenantCaches: tenantCaches(h, 20, (t) => n + (t === 7 ? n : 0)) })),
    );
    const f = one(findings, 'growing-collection');
    assert.equal(findings.length, 1, 'not one finding per inner Map');
    assert.equal(f.name, 'tenantCaches');
    assert.equal(f.holderClass, 'Map');
    assert.equal(f.itemClass, 'PriceList');
    assert.deepEqual(f.countByStep, [210, 420, 630]);
    assert.equal(f.shards?.count, 20);
    assert.equal(f.shards?.holderClass, 'Map');
    assert.equal(f.shards?.via, null);
    assert.deepEqual(f.shards?.top[0], { key: "'t7'", entries: 60, growth: 40 });
    assert.match(f.summary, /20 shards \(Map of PriceList\), 210 → 420 → 630 entries in all/);
    assert.match(f.hint, /inner collections only grow/);
  });

  it('200 inner Maps, each too small to report alone, add up to one finding', () => {
    const f = one(
      detect(
        series([1, 2, 3], (h, n) => moduleScope(h, { tenantCaches: tenantCaches(h, 200, () => n) })),
        50,
      ),
      'growing-collection',
    );
    assert.equal(f.name, 'tenantCaches');
    assert.deepEqual(f.countByStep, [200, 400, 600]);
    assert.equal(f.shards?.count, 200);
  });

  it('a Map of objects that each keep a Map (Map<tenant, { orders: Map }>) is sharded through the property', () => {
    const f = one(
      detect(
        series([10, 20, 30], (h, n) => {
          const tenants: Array<[number, number]> = [];
          for (let t = 0; t < 12; t++) {
            const state = h.object('TenantState', `state-${t}`);
            const orders: Array<[number, number]> = [];
            for (let k = 0; k < n; k++) orders.push([-1, h.object('Order', `order-${t}-${k}`, 120)]);
            h.edge(state, 'property', 'orders', realMap(h, `orders-${t}`, orders));
            tenants.push([h.node('string', `acme${t}`, 20, `acme-${t}`), state]);
          }
          moduleScope(h, { tenants: realMap(h, 'tenants', tenants) });
        }),
      ),
      'growing-collection',
    );
    assert.equal(f.name, 'tenants');
    assert.deepEqual(f.countByStep, [120, 240, 360]);
    assert.equal(f.shards?.via, 'orders');
    assert.equal(f.itemClass, 'Order');
    assert.match(f.shards?.top[0]?.key ?? '', /^'acme\d+'\.orders$/);
  });

  it('bounded inner Maps (a per-tenant LRU that is full) give nothing', () => {
    assert.deepEqual(detect(series([8, 8, 8], (h, n) => moduleScope(h, { tenantCaches: tenantCaches(h, 20, () => n) }))), []);
  });

  it('a Map of sessions that each keep a fixed-size array is judged by its own entries, not as shards', () => {
    const f = one(
      detect(
        series([20, 40, 60], (h, n) => {
          const entries: Array<[number, number]> = [];
          for (let k = 0; k < n; k++) {
            const s = h.object('Session', `session-${k}`, 200);
            const history = h.object(NAMES.Array, `history-${k}`);
            for (let i = 0; i < 8; i++) h.edge(history, 'element', i, h.node('string', `h${k}-${i}`, 20, `h${k}-${i}`));
            h.edge(s, 'property', 'history', history);
            entries.push([h.node('string', `sid-${k}`, 24, `sid-${k}`), s]);
          }
          moduleScope(h, { sessions: realMap(h, 'sessions', entries) });
        }),
      ),
      'growing-collection',
    );
    assert.equal(f.name, 'sessions');
    assert.deepEqual(f.countByStep, [20, 40, 60]);
    assert.equal(f.shards, undefined);
  });
});
