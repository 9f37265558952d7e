// expectNoLeak with node:test (ESM): `node --test examples/`. Part of `npm test`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectNoLeak } from 'leakscope';
import { cachedRates, leakyLogin, parseBody, tenantPrice } from './handlers.mjs';

test('a handler that keeps every session fails, naming the Map, where it is declared and the line that adds', async () => {
  await assert.rejects(
    expectNoLeak(() => leakyLogin('ann'), { iterations: 200 }),
    (err) => {
      assert.equal(err.name, 'LeakError');
      assert.ok(err instanceof assert.AssertionError);
      // the message: short, the culprit and the line that adds; the full account on .details
      assert.match(err.message, /\n {2}sessions \(Map of Object\): [\d,]+ → [\d,]+ → [\d,]+ → [\d,]+ by round, added at examples\/handlers\.mjs:8:12$/);
      assert.match(err.details, /\[Growing collections\] sessions \(Map of Object\): [\d,]+ → [\d,]+ → [\d,]+ → [\d,]+ by round/);
      assert.match(err.details, /declared at: .*examples\/handlers\.mjs:3:7/);
      assert.match(err.details, /added at: examples\/handlers\.mjs:8:12 `sessions\.set\(session\.token, session\);` — 200 calls in \d+ m?s, in leakyLogin\b/);
      assert.equal(err.report.findings.find((f) => f.status === 'leak').name, 'sessions');
      assert.equal(err.findings[0].name, 'sessions');
      assert.equal(err.findings[0].kind, 'growing-collection');
      return true;
    },
  );
});

test('a per-tenant cache (a Map of Maps) fails once, named by the outer Map, with the line that adds to the inner ones', async () => {
  let k = 0;
  await assert.rejects(
    expectNoLeak(() => tenantPrice(`t${k % 10}`, `sku-${k++}`), { iterations: 200 }),
    (err) => {
      assert.equal(err.findings.length, 1, 'one finding, not one per tenant');
      assert.equal(err.findings[0].name, 'pricesByTenant');
      assert.equal(err.findings[0].shards.count, 10);
      assert.match(err.details, /added at: examples\/handlers\.mjs:\d+:\d+ `prices\.set\(sku, quote\);` — [\d,]+ calls in \d+ m?s, in tenantPrice\b/);
      return true;
    },
  );
});

test('a cache warmed once does not fail', async () => {
  const r = await expectNoLeak(() => cachedRates('EUR'), { iterations: 200 });
  assert.equal(r.verdict, 'no-leak');
});

test('garbage that is dropped does not fail', async () => {
  const r = await expectNoLeak((i) => parseBody(i), { iterations: 200 });
  assert.equal(r.verdict, 'no-leak');
});
