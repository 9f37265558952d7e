/**
 * The verdict rule pinned on recorded real series: heap samples and per-snapshot finding counts saved from real
 * `leakscope run` executions of the precision fixtures (`npm run soak -- --record test/series`). Each is replayed
 * through the same code the CLI uses (finding status, then the soak judgement) and must give the decision recorded
 * for it, which must be right for its program: never `leak` for a healthy look-alike, `leak` for a leaking twin.
 * No timing, no processes: the rule's thresholds are what is tested.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_DIFF_OPTIONS, type DiffResult } from '../../src/analysis/diff/diff.js';
import type { Finding } from '../../src/analysis/findings/findings.js';
import { windowOf, withStatus } from '../../src/analysis/findings/significance.js';
import { judgeSoak } from '../../src/analysis/series/soak.js';
import type { MemorySample } from '../../src/analysis/series/memory.js';
import { parseRate } from '../../src/cli/flags.js';
import { ALL_KINDS } from '../../src/analysis/findings/kinds.js';
import { HEALTHY, LEAKING } from '../../fixtures/lookalikes.mjs';
import { repoRoot } from '../helpers/fixtures.js';

interface Series {
  program: string;
  run: number;
  verdict: string;
  /** heap-only in the older recordings; every part of process.memoryUsage() since the off-heap series */
  usage: MemorySample[];
  findings: Array<Pick<Finding, 'kind' | 'name' | 'holderClass' | 'countByStep' | 'growthBytes' | 'confidence' | 'status'>>;
  times: Array<number | null>;
}

function replay(s: Series) {
  const window = windowOf(s.times);
  const findings = s.findings.map((f) =>
    withStatus({ ...f, summary: f.name, evidence: [], statusReason: '' } as unknown as Finding, window, DEFAULT_DIFF_OPTIONS.significance),
  );
  const diff = { findings } as unknown as DiffResult;
  return {
    findings,
    judgement: judgeSoak({ diff, usage: s.usage, maxGrowth: parseRate('1MB/min') as number, failOn: new Set(ALL_KINDS), baseline: null }),
  };
}

const dir = path.join(repoRoot, 'test', 'series');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('the verdict rule on recorded real series', () => {
  it('there are recorded series of every healthy look-alike and every leaking twin', () => {
    const programs = new Set(files.map((f) => (JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Series).program));
    for (const p of [...HEALTHY, ...Object.keys(LEAKING)]) assert.ok(programs.has(p), `a recorded series of ${p}`);
    // the slow leaks are recorded from the real 3-minute plan (npm run soak -- --full)
  });

  for (const file of files) {
    const s = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Series;
    it(`${s.program} run ${s.run}: ${s.verdict}`, () => {
      const { findings, judgement } = replay(s);
      assert.equal(judgement.verdict, s.verdict, judgement.reason);
      assert.deepEqual(
        findings.map((f) => f.status),
        s.findings.map((f) => f.status),
      );
      if (HEALTHY.includes(s.program)) assert.notEqual(s.verdict, 'leak', `${s.program} is healthy`);
      else {
        assert.equal(s.verdict, 'leak', `${s.program} leaks`);
        assert.equal(judgement.failing[0]?.name, LEAKING[s.program].name);
      }
    });
  }

  it("the issue's TTL cache (1179 → 1221 entries, heap +0.07 MB/min): a watch item, exit 0 (constructed from the report's numbers)", () => {
    const t0 = 1_000_000;
    const usage = Array.from({ length: 60 }, (_, i) => ({ t: t0 + i * 2000, used: 40e6 + (0.07e6 / 60_000) * i * 2000 + (i % 3) * 20e3 }));
    const s: Series = {
      program: 'ttl-cache',
      run: 0,
      verdict: 'no-leak',
      usage,
      findings: [
        {
          kind: 'growing-collection',
          name: 'entries',
          holderClass: 'Map',
          countByStep: [1179, 1183, 1205, 1217, 1221],
          growthBytes: 42 * 300,
          confidence: 0.9,
          status: 'watch',
        },
      ],
      times: [t0, t0 + 30_000, t0 + 60_000, t0 + 90_000, t0 + 120_000],
    };
    const { findings, judgement } = replay(s);
    assert.equal(findings[0].status, 'watch');
    assert.equal(judgement.verdict, 'no-leak');
    assert.equal(judgement.watch.length, 1);
    assert.match(
      judgement.reason,
      /^no material leak finding; post-GC heap \+0\.07 MB\/min .*; watch: entries \(Map\) 1179 → 1183 → 1205 → 1217 → 1221, grew 3\.6 % of its size/,
    );
  });
});
