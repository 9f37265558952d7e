/** Which line adds the entries: what a traced stack says, and what can be traced at all. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addedAt, addingMethods, parseStack, traceReport } from '../../src/analysis/added.js';

const STACK = (line: number, fn = 'handleQuote') =>
  ['Error', `    at ${fn} (file:///srv/app/quotes.mjs:${line}:16)`, '    at Server.emit (node:events:519:28)', '    at parserOnIncoming (node:_http_server:1153:12)'].join('\n');

describe('growth trace: stacks to call sites', () => {
  it('parses V8 frames (named, anonymous, file URLs) and skips the "Error" line', () => {
    const frames = parseStack(['Error', '    at get (/srv/a.js:3:9)', '    at /srv/b.js:7:1', '    at async Promise.all (index 0)', '    at file:///srv/c.mjs:1:2'].join('\n'));
    assert.deepEqual(frames, [
      { fn: 'get', file: '/srv/a.js', line: 3, column: 9 },
      { fn: '(anonymous)', file: '/srv/b.js', line: 7, column: 1 },
      { fn: '(anonymous)', file: '/srv/c.mjs', line: 1, column: 2 },
    ]);
  });

  it('groups stacks by their call site, busiest first, and scales the sampled share to all calls', () => {
    const a = addedAt({ methods: ['set'], calls: 1000, sampled: 100, sites: [{ stack: STACK(29), samples: 60 }, { stack: STACK(41, 'refresh'), samples: 30 }, { stack: STACK(29, 'handleQuote'), samples: 10 }] }, 10_000);
    assert.equal(a.source, 'instrumentation');
    assert.deepEqual(a.sites.map((s) => [s.line, s.function, s.calls, s.samples]), [[29, 'handleQuote', 700, 70], [41, 'refresh', 300, 30]]);
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
    const r = traceReport(10_000, [{ name: 'quoteCache', holderClass: 'Map', kind: 'growing-collection', methods: ['set'], installed: true, traced: true, calls: 1204, restored: true, why: null }]);
    assert.equal(r.text, 'growth trace for 10 s: quoteCache (Map.set: 1,204 calls); the wrappers were on those instances only, and are removed');
    assert.equal(r.undone, true);
    const left = traceReport(10_000, [{ name: 'q', holderClass: 'Map', kind: 'growing-collection', methods: ['set'], installed: true, traced: false, calls: 0, restored: false, why: 'could not collect (…): socket closed' }]);
    assert.equal(left.undone, false);
    assert.match(left.text, /remove themselves 5 s after the window$/);
  });
});
