/**
 * Recall, end to end: the leaking twin of each healthy look-alike fails `run` with the default thresholds (exit 1),
 * naming the culprit's kind, name and declaration line. Same compressed plan as healthy.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LEAKING } from '../../fixtures/lookalikes.mjs';
import { soakRun } from '../helpers/soak.js';

describe('leaking twins fail `run` and name the culprit', () => {
  // the slow leaks grow at real-time rates and need the default 3-minute plan: they run in `npm run soak -- --full`
  for (const [program, want] of Object.entries(LEAKING).filter(([, w]) => !w.soakOnly)) {
    it(`${program} (twin of ${want.twinOf})`, () => {
      const r = soakRun(program);
      assert.equal(r.status, 1, `${program}: ${r.stdout.slice(0, 3000)}\n${r.stderr}`);
      const j = JSON.parse(r.stdout);
      assert.equal(j.verdict, 'leak');
      const f = j.failing[0];
      assert.equal(f.kind, want.kind, JSON.stringify(j.failing.map((x: { kind: string; name: string }) => [x.kind, x.name])));
      assert.equal(f.name, want.name);
      assert.equal(f.status, 'leak');
      assert.ok(f.location.file.endsWith(`fixtures/programs/${want.file}`), f.location.file);
      assert.equal(f.location.line, want.line);
    });
  }
});
