// expectNoLeak with Vitest (the same code runs under Jest: `test`/`expect` from the globals, `rejects.toThrow`).
// `npx vitest run --config examples/vitest.config.mjs`; part of `npm test`.
import { expect, test } from 'vitest';
import { expectNoLeak } from 'leakscope';
import { cachedRates, leakyLogin, parseBody } from './handlers.mjs';

// Vitest runs modules through its own transform (vite-node), inside a function: the Map is found and its allocating
// function named, but a module-level variable's name and exact lines are not what node:test reports (see README)
test('the leaking handler fails with the culprit named', async () => {
  await expect(expectNoLeak(() => leakyLogin('bob'), { iterations: 200 })).rejects.toThrow(/\[Growing collections\] .*\(Map of Object\): 200 → 400 → 600 → 800 by round[\s\S]*leakyLogin\(\) \(examples\/handlers\.mjs:\d+[\s\S]*handlers\.mjs/);
}, 60_000);

test('warm cache and garbage pass', async () => {
  await expect(expectNoLeak(() => cachedRates('USD'), { iterations: 200 })).resolves.toMatchObject({ verdict: 'no-leak' });
  await expect(expectNoLeak((i) => parseBody(i), { iterations: 200 })).resolves.toMatchObject({ verdict: 'no-leak' });
}, 60_000);
