/**
 * The CommonJS entry (`require('leakscope')`): the library is ESM, and Node 20 cannot require ESM, so this loads it
 * on the first call. expectNoLeak is asynchronous anyway: nothing changes for the caller.
 */
import type { ExpectNoLeakOptions, LeakCheck } from './index.js';

export type { ExpectNoLeakOptions, LeakCheck } from './index.js';

export async function expectNoLeak(fn: (i: number) => unknown, options?: ExpectNoLeakOptions): Promise<LeakCheck> {
  const api = await import('./index.js');
  return api.expectNoLeak(fn, options);
}
