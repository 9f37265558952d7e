/** The soak's program handling that needs no process: the --ready-log pattern is matched within bounds. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundedExec } from '../../src/capture/program.js';

describe('--ready-log', () => {
  it('matches as RegExp.exec does', () => {
    const m = boundedExec(/listening on (http:\/\/\S+)/, 'starting\nlistening on http://127.0.0.1:3000\n', Date.now() + 5000);
    assert.equal(m?.[1], 'http://127.0.0.1:3000');
    assert.equal(boundedExec(/ready/, 'not yet', Date.now() + 5000), null);
  });

  it('a pattern that backtracks catastrophically is stopped by its deadline: a one-line error (exit 2), not a blocked leakscope', () => {
    const deadline = Date.now() + 300;
    assert.throws(
      () => boundedExec(/^(a+)+$/, `${'a'.repeat(40)}b`, deadline),
      (err: Error & { exitCode?: number }) =>
        /--ready-log \/\^\(a\+\)\+\$\/ took more than \d+ ms .* backtracks catastrophically/.test(err.message) && err.exitCode === 2,
    );
  });
});
