// expectNoLeak from a CommonJS test file: require('leakscope') works on Node 20 too (it loads the ESM library on the
// first call). Part of `npm test`.
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { expectNoLeak } = require('leakscope');

const kept = [];

test('CommonJS: a leak is found, and a clean function passes', async () => {
  await assert.rejects(expectNoLeak(() => kept.push({ at: Date.now(), pad: new Array(20).fill(0) }), { iterations: 100, trackAllocations: false }), (err) => /\n {2}kept \(Array of Object\): /.test(err.message) && /\[Growing collections\] kept \(Array of Object\)/.test(err.details));
  const r = await expectNoLeak(() => JSON.stringify({ a: 1 }), { iterations: 100, trackAllocations: false });
  assert.equal(r.verdict, 'no-leak');
});
