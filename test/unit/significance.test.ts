/**
 * The practical-significance rule and the readable path, on plain numbers (no processes): growth that is real
 * but too small to matter is a watch item; repetitions in a path fold.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SIGNIFICANCE, significanceOf, windowOf } from '../../src/analysis/findings/significance.js';
import type { ReadableStep } from '../../src/analysis/graph/paths.js';
import { foldRepeats, MAX_PRINTED_STEPS, pathText } from '../../src/common/format.js';

describe('practical significance of a steady finding', () => {
  it("a bounded TTL cache that wobbled up 3.6 % is not material (the issue's false alarm)", () => {
    const s = significanceOf({ kind: 'growing-collection', countByStep: [1179, 1183, 1205, 1217, 1221], growthBytes: 42 * 300 }, 120_000);
    assert.equal(s.material, false);
    assert.match(
      s.reason,
      /^grew 3\.6 % of its size, within the wobble of a bounded cache \(floor 10 %\); watch longer to tell; adds 6\.3 kB\/min, below the 65\.5 kB\/min floor$/,
    );
  });

  it('a leak that doubles in the window and adds 1 MB/min is material', () => {
    const s = significanceOf({ kind: 'growing-collection', countByStep: [900, 1600, 2300], growthBytes: 3e6 }, 180_000);
    assert.equal(s.material, true);
    assert.equal(s.reason, '');
    assert.ok(Math.abs((s.bytesPerMinute ?? 0) - 1e6) < 1, String(s.bytesPerMinute));
  });

  it('the rate floor is not applied when the snapshot times are unknown, nor to timers and listeners', () => {
    assert.equal(significanceOf({ kind: 'closure', countByStep: [10, 20, 30], growthBytes: 100 }, null).material, true);
    assert.equal(significanceOf({ kind: 'timer', countByStep: [10, 20, 30], growthBytes: 100 }, 60_000).material, true);
    assert.equal(significanceOf({ kind: 'closure', countByStep: [10, 20, 30], growthBytes: 100 }, 60_000).material, false);
  });

  it('growth from zero is material by the relative rule', () => {
    const s = significanceOf({ kind: 'listener', countByStep: [0, 40, 80], growthBytes: 0 }, 60_000);
    assert.equal(s.relativeGrowth, Number.POSITIVE_INFINITY);
    assert.equal(s.material, true);
  });

  it('the window: snapshot times spanning less than a second (copied files) give no rate', () => {
    assert.equal(windowOf([1000, 1500]), null);
    assert.equal(windowOf([1000, null, 5000]), 4000);
    assert.equal(windowOf([null, 2000, 9000]), null);
    assert.equal(windowOf(undefined), null);
    assert.equal(DEFAULT_SIGNIFICANCE.minRelative, 0.1);
  });
});

describe('printed paths fold repetitions and stay short', () => {
  it('a closure chain folds into one part with its count', () => {
    const chain = Array.from({ length: 17 }, () => [
      'previous ({raw, isEnabled})',
      'isEnabled (isEnabled())',
      'reloadFlags() scope',
    ]).flat();
    const parts = ['module app.js', 'flags ({raw, isEnabled})', 'isEnabled (isEnabled())', 'reloadFlags() scope', ...chain];
    // the longest repetition wins, wherever it starts: flags → (isEnabled → scope → previous) ×17 → isEnabled → scope
    assert.deepEqual(foldRepeats(parts), [
      'module app.js',
      'flags ({raw, isEnabled})',
      '(isEnabled (isEnabled()) → reloadFlags() scope → previous ({raw, isEnabled})) ×17',
      'isEnabled (isEnabled())',
      'reloadFlags() scope',
    ]);
  });

  it('a linked list folds into `step ×N`; no repetition leaves the parts alone', () => {
    assert.deepEqual(foldRepeats(['a', 'next (Node)', 'next (Node)', 'next (Node)', 'b']), ['a', 'next (Node) ×3', 'b']);
    assert.deepEqual(foldRepeats(['a', 'b', 'c']), ['a', 'b', 'c']);
  });

  it('a path longer than a dozen parts keeps its start and its end', () => {
    const steps: ReadableStep[] = Array.from({ length: 30 }, (_, i) => ({
      text: `s${i}`,
      edge: null,
      edgeType: null,
      className: '',
      nodeId: i,
      location: null,
      internal: false,
    }));
    const text = pathText(steps);
    assert.equal(text.split(' → ').length, MAX_PRINTED_STEPS);
    assert.equal(text, 's0 → s1 → s2 → … → s22 → s23 → s24 → s25 → s26 → s27 → s28 → s29');
  });
});
