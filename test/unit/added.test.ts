/** Which line adds the entries: what a traced stack says, and what can be traced at all. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setSourceRoots } from '../../src/common/source-files.js';
import {
  addedAt,
  addingLineIn,
  addingOfCreatedIn,
  addingMethods,
  fromAllocationSites,
  holderVariable,
  parseStack,
  traceReport,
} from '../../src/analysis/findings/added.js';

const STACK = (line: number, fn = 'handleQuote') =>
  [
    'Error',
    `    at ${fn} (file:///srv/app/quotes.mjs:${line}:16)`,
    '    at Server.emit (node:events:519:28)',
    '    at parserOnIncoming (node:_http_server:1153:12)',
  ].join('\n');

describe('growth trace: stacks to call sites', () => {
  it('parses V8 frames (named, anonymous, file URLs) and skips the "Error" line', () => {
    const frames = parseStack(
      [
        'Error',
        '    at get (/srv/a.js:3:9)',
        '    at /srv/b.js:7:1',
        '    at async Promise.all (index 0)',
        '    at file:///srv/c.mjs:1:2',
      ].join('\n'),
    );
    assert.deepEqual(frames, [
      { fn: 'get', file: '/srv/a.js', line: 3, column: 9 },
      { fn: '(anonymous)', file: '/srv/b.js', line: 7, column: 1 },
      { fn: '(anonymous)', file: '/srv/c.mjs', line: 1, column: 2 },
    ]);
  });

  it('groups stacks by their call site, busiest first, and scales the sampled share to all calls', () => {
    const a = addedAt(
      {
        methods: ['set'],
        calls: 1000,
        sampled: 100,
        sites: [
          { stack: STACK(29), samples: 60 },
          { stack: STACK(41, 'refresh'), samples: 30 },
          { stack: STACK(29, 'handleQuote'), samples: 10 },
        ],
      },
      10_000,
    );
    assert.equal(a.source, 'instrumentation');
    assert.deepEqual(
      a.sites.map((s) => [s.line, s.function, s.calls, s.samples]),
      [
        [29, 'handleQuote', 700, 70],
        [41, 'refresh', 300, 30],
      ],
    );
    assert.deepEqual(a.sites[0].from, ['Server.emit', 'parserOnIncoming']);
    assert.equal(a.sites[0].file, '/srv/app/quotes.mjs');
    assert.equal(a.sites[0].text, null, 'the file is not here: no source line');
  });

  it('says so when nothing was added in the window', () => {
    assert.equal(addedAt({ methods: ['push'], calls: 0, sampled: 0, sites: [] }, 5000).why, 'no call to push in 5 s');
  });

  it('knows which methods add to which holder, and says why when none can be wrapped', () => {
    assert.deepEqual(addingMethods({ kind: 'growing-collection', holderClass: 'Map' }), ['set']);
    assert.deepEqual(addingMethods({ kind: 'growing-collection', holderClass: 'Set' }), ['add']);
    assert.deepEqual(addingMethods({ kind: 'growing-collection', holderClass: 'Array' }), ['push', 'unshift', 'splice']);
    assert.deepEqual(addingMethods({ kind: 'listener', holderClass: 'ConfigBus' }), ['on', 'addListener', 'prependListener']);
    assert.deepEqual(addingMethods({ kind: 'listener', holderClass: 'AbortSignal' }), ['addEventListener']);
    assert.match(String(addingMethods({ kind: 'growing-collection', holderClass: 'Object' })), /plain object/);
    assert.match(String(addingMethods({ kind: 'timer', holderClass: 'setInterval' })), /not calls on one object/);
    assert.deepEqual(addingMethods({ kind: 'closure', holderClass: 'Set' }), ['add'], 'closures kept in a Set: the Set is wrapped');
  });

  it('the report line says what was done and that it was undone', () => {
    const r = traceReport(10_000, [
      {
        name: 'quoteCache',
        holderClass: 'Map',
        kind: 'growing-collection',
        methods: ['set'],
        installed: true,
        traced: true,
        calls: 1204,
        restored: true,
        why: null,
      },
    ]);
    assert.equal(
      r.text,
      'growth trace for 10 s: quoteCache (Map.set: 1,204 calls); the wrappers were on those instances only, and are removed',
    );
    assert.equal(r.undone, true);
    const left = traceReport(10_000, [
      {
        name: 'q',
        holderClass: 'Map',
        kind: 'growing-collection',
        methods: ['set'],
        installed: true,
        traced: false,
        calls: 0,
        restored: false,
        why: 'could not collect (…): socket closed',
      },
    ]);
    assert.equal(left.undone, false);
    assert.match(left.text, /remove themselves 5 s after the window$/);
  });
});

describe('the adding line inside an allocating function (allocation sites, allocation stacks)', () => {
  const SOURCE = [
    'const quotes = new Map();', // 1
    'const seen = {};', // 2
    'function handle(req) {', // 3
    '  // quotes.set(old) is a comment', // 4
    '  if (seen[req.id] === undefined) log(req);', // 5
    '  seen[req.id] = Date.now();', // 6
    '  this.quotes.set(req.id, { at: 1 });', // 7
    '}', // 8
    'function other() {', // 9
    '  quotes.set(1, 2);', // 10
    '}', // 11
    'const arrow = (x) => x;', // 12
    'class Store {', // 13
    '  put(k, v) {', // 14
    '    if (k) {', // 15
    '      this.items.push(v);', // 16
    '    }', // 17
    '  }', // 18
    '}', // 19
  ].join('\n');
  let dir: string;
  let file: string;
  const setup = () => {
    dir = mkdtempSync(path.join(tmpdir(), 'leakscope-added-'));
    file = path.join(dir, 'app.mjs');
    writeFileSync(file, SOURCE);
    // source lines are read only inside the project's folders: this one is the project here
    setSourceRoots([dir]);
  };

  it('finds the call or index write that adds, skipping comments and comparisons, inside that function only', () => {
    setup();
    try {
      assert.deepEqual(addingLineIn(file, 3, 'quotes'), { line: 7, column: 8, text: 'this.quotes.set(req.id, { at: 1 });' });
      assert.deepEqual(addingLineIn(file, 3, 'seen'), { line: 6, column: 3, text: 'seen[req.id] = Date.now();' });
      assert.equal(addingLineIn(file, 9, 'seen'), null, 'other() does not add to seen, and the search stops at its end');
      assert.equal(addingLineIn(file, 12, 'quotes'), null, 'a one-line arrow function is read alone');
      assert.equal(addingLineIn(file, 14, 'items')?.line, 16, 'nested braces: the whole method is read');
      assert.equal(addingLineIn(path.join(dir, 'gone.mjs'), 3, 'quotes'), null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("finds the line that adds an object the function creates to a collection of its own (a sharded holder's inner Map)", () => {
    setup();
    try {
      const lib = path.join(dir, 'cache.js');
      writeFileSync(
        lib,
        [
          'function getPriceList(tenant, key) {',
          '  const cache = cacheFor(tenant);',
          '  let list = cache.get(key);',
          '  if (!list) {',
          '    list = new PriceList(tenant, key);',
          '    cache.set(key, list);',
          '  }',
          '  return list;',
          '}',
          'function noAdd() {',
          '  const x = make();',
          '  return x;',
          '}',
        ].join('\n'),
      );
      assert.deepEqual(addingOfCreatedIn(lib, 1), { line: 6, column: 5, text: 'cache.set(key, list);' });
      assert.equal(addingOfCreatedIn(lib, 10), null, 'nothing created here is added anywhere');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the holding variable from the last step of the path', () => {
    assert.equal(
      holderVariable({ name: 'pending', retainerPath: ['module app.mjs', 'ledger (LedgerClient)', 'pending (Map)'] }),
      'pending',
    );
    assert.equal(holderVariable({ name: 'lastSeen', retainerPath: ['lastSeen ({req-1, req-2, …})'] }), 'lastSeen');
    assert.equal(holderVariable({ name: "'tick' listeners on bus (Bus)", retainerPath: ['module app.mjs', 'bus (Bus)'] }), 'bus');
    assert.equal(holderVariable({ name: 'Session', retainerPath: [] }), 'Session');
  });

  it('puts the allocating function that contains the adding line first, keeping its declaration line', () => {
    setup();
    try {
      const site = (functionName: string, line: number, deltaBytes: number) => ({
        file,
        line,
        column: 1,
        functionName,
        deltaBytes,
        stack: [] as string[],
      });
      const a = fromAllocationSites([], 'a plain object', [site('other', 9, 900), site('handle', 3, 500)] as never, 'seen');
      assert.equal(a.source, 'allocation-sites');
      assert.deepEqual([a.sites[0].function, a.sites[0].line, a.sites[0].declaredAt], ['handle', 6, 3]);
      assert.equal(a.sites[1].function, 'other');
      const none = fromAllocationSites([], 'a plain object', [site('other', 9, 900)] as never, 'seen');
      assert.deepEqual([none.sites[0].line, none.sites[0].declaredAt], [9, undefined], 'no adding line found: the site stays as it was');
      // seen in CI under load: Node's own bookkeeping grew more than the adding function, which ranked fourth
      const internal = (functionName: string, deltaBytes: number) => ({
        file: 'node:internal/async_hooks',
        line: 478,
        column: 24,
        functionName,
        deltaBytes,
        stack: [] as string[],
      });
      const noisy = fromAllocationSites(
        [],
        'a plain object',
        [
          internal('initHooksExist', 68_928),
          site('other', 9, 900),
          site('other2', 9, 800),
          site('other3', 9, 700),
          site('handle', 3, 500),
        ] as never,
        'seen',
      );
      assert.deepEqual(
        noisy.sites.map((x) => [x.function, x.line]),
        [
          ['handle', 6],
          ['other', 9],
          ['other2', 9],
        ],
        'the adding function first, however low it ranked; no internal site while the program has its own',
      );
      const onlyInternal = fromAllocationSites([], 'a plain object', [internal('initHooksExist', 68_928)] as never, 'seen');
      assert.equal(onlyInternal.sites[0].file, 'node:internal/async_hooks', 'an internal site is still shown when nothing else grew');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
