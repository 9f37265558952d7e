/**
 * Precision, end to end: healthy programs that look like leaks go through `leakscope run` with the default
 * thresholds and must pass (exit 0, one quiet line). Time is compressed 10x (FIXTURE_TIME_SCALE=0.1 and a plan
 * of 3 s warm-up, 9 s measuring, 3 s interval) so the suite stays in minutes; `npm run soak` runs the same set
 * many times, longer, under a CPU hog.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HEALTHY } from '../../fixtures/lookalikes.mjs';
import { soakRun } from '../helpers/soak.js';

describe('healthy look-alikes pass `run` with the default thresholds', () => {
  for (const program of HEALTHY) {
    it(program, () => {
      const r = soakRun(program);
      assert.equal(r.status, 0, `${program}: ${r.stdout.slice(0, 3000)}\n${r.stderr}`);
      const j = JSON.parse(r.stdout);
      assert.notEqual(j.verdict, 'leak');
      assert.deepEqual(j.failing, [], JSON.stringify(j.failing.map((f: { kind: string; name: string }) => [f.kind, f.name])));
    });
  }
});
