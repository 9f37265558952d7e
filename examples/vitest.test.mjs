// expectNoLeak with Vitest (the same code runs under Jest: `test`/`expect` from the globals, `rejects.toThrow`).
// `npx vitest run --config examples/vitest.config.mjs`; part of `npm test`.
import { expect, test } from 'vitest';
import { expectNoLeak } from 'leakscope';
import { cachedRates, leakyLogin, parseBody } from './handlers.mjs';

// Vitest runs modules through its own transform (vite-node), inside a function: the Map is found and its allocating
// function named, but a module-level variable's name and exact lines are not what node:test reports (see README)
test('the leaking handler fails with the culprit named, and a short message', async () => {
  const err = await expectNoLeak(() => leakyLogin('bob'), { iterations: 200 }).then(
    () => null,
    (e) => e,
  );
  expect(err?.name).toBe('LeakError');
  // the message is short (Vitest prints it whole); no `.diff` of ours for Vitest to mistake for its assertion diff
  expect(err.message).toMatch(/^expected no leak, but one holder grows with the calls .*\n {2}.*\(Map of Object\): 200 → 400 → 600 → 800 by round/);
  expect(err.message.split('\n').length).toBeLessThanOrEqual(4);
  expect(err.diff).toBeUndefined();
  expect(err.details).toMatch(/\[Growing collections\] .*\(Map of Object\): 200 → 400 → 600 → 800 by round[\s\S]*added at: examples\/handlers\.mjs:8:12 `sessions\.set\(session\.token, session\);` — 200 calls in \d+ m?s, in leakyLogin\b/);
  expect(err.report.findings.length).toBeGreaterThan(0);
}, 60_000);

test('warm cache and garbage pass', async () => {
  await expect(expectNoLeak(() => cachedRates('USD'), { iterations: 200 })).resolves.toMatchObject({ verdict: 'no-leak' });
  await expect(expectNoLeak((i) => parseBody(i), { iterations: 200 })).resolves.toMatchObject({ verdict: 'no-leak' });
}, 60_000);
