/**
 * The statistics helpers on plain numbers (no snapshots, no processes): the heap trend's slope and confidence
 * interval, the "rises above its previous peak at every step" rule, confidence and severity, the drift floor, the
 * soak verdict's branches, and the parsers behind the flags.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heapTrend, tQuantile975 } from '../../src/analysis/series/trend.js';
import { confidenceOf, risesEveryStep, severityOf, type Finding } from '../../src/analysis/findings/findings.js';
import { DEFAULT_HEAP_FLOOR, heapFloor, judgeSoak } from '../../src/analysis/series/soak.js';
import { ALL_KINDS, KINDS, kindOrder } from '../../src/analysis/findings/kinds.js';
import { parseDuration, parseKinds, parsePercent, parseRate, parseSize } from '../../src/cli/flags.js';
import {
  formatBytes,
  formatLocation,
  formatPercent,
  formatRate,
  formatSize,
  formatSmallRate,
  setProjectRoot,
  shortFile,
} from '../../src/common/format.js';

const MIN = 60_000;

describe('heapTrend: least-squares slope with a 95 % interval', () => {
  it('an exact line: the slope in bytes per minute, a zero-width interval', () => {
    const t = heapTrend([0, 1, 2, 3, 4].map((m) => [m * MIN, 10e6 + m * 2e6]));
    assert.ok(t);
    assert.ok(Math.abs(t.slope - 2e6) < 1e-6, String(t.slope));
    assert.ok(Math.abs(t.high - t.low) < 1e-6);
    assert.equal(t.samples, 5);
    assert.ok(Math.abs(t.start - 10e6) < 1e-3 && Math.abs(t.end - 18e6) < 1e-3);
  });

  it('a flat sawtooth: the interval straddles zero', () => {
    const pts: Array<[number, number]> = Array.from({ length: 20 }, (_, i) => [i * 5000, 50e6 + (i % 4) * 3e6]);
    const t = heapTrend(pts);
    assert.ok(t && t.low < 0 && t.high > 0, JSON.stringify(t));
  });

  it('noise around a real rise: the slope is near the truth and the interval excludes zero', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
    const pts: Array<[number, number]> = Array.from({ length: 60 }, (_, i) => [i * 2000, 40e6 + (i * 2000 * 1e6) / MIN + rnd() * 2e5]);
    const t = heapTrend(pts);
    assert.ok(t && t.low > 0.9e6 && t.high < 1.1e6 && t.low < 1e6 && t.high > 1e6, JSON.stringify(t));
  });

  it('fewer than 3 points, or all at one moment: no trend', () => {
    assert.equal(
      heapTrend([
        [0, 1],
        [1000, 2],
      ]),
      null,
    );
    assert.equal(
      heapTrend([
        [5, 1],
        [5, 2],
        [5, 3],
      ]),
      null,
    );
  });

  it("Student's t: the table for small samples, about 1.96 for large ones", () => {
    assert.equal(tQuantile975(1), 12.706);
    assert.equal(tQuantile975(30), 2.042);
    assert.ok(Math.abs(tQuantile975(1000) - 1.9624) < 1e-3);
    assert.equal(tQuantile975(0), Number.POSITIVE_INFINITY);
  });
});

describe('growth rules', () => {
  it('rises above its previous peak at every step (a sawtooth never does)', () => {
    assert.equal(risesEveryStep([1, 2, 3]), true);
    assert.equal(risesEveryStep([1, 3, 2, 4]), false);
    assert.equal(risesEveryStep([5, 5, 6]), false);
    assert.equal(risesEveryStep([7]), false);
  });

  it('confidence: 0.9 steady over 3+, 0.5 for two snapshots, 0.4 up but not every step, 0.2 otherwise', () => {
    assert.equal(confidenceOf([1, 2, 3]), 0.9);
    assert.equal(confidenceOf([1, 2]), 0.5);
    assert.equal(confidenceOf([1, 3, 2, 4]), 0.4);
    assert.equal(confidenceOf([4, 3, 2]), 0.2);
    assert.equal(confidenceOf([4]), 0.2);
  });

  it('severity: high needs confidence and a megabyte', () => {
    assert.equal(severityOf(0.9, 2e6), 'high');
    assert.equal(severityOf(0.9, 1e5), 'medium');
    assert.equal(severityOf(0.4, 2e6), 'medium');
    assert.equal(severityOf(0.4, 1e5), 'low');
  });
});

describe('the soak verdict', () => {
  const leak = {
    kind: 'growing-collection',
    status: 'leak',
    name: 'sessions',
    holderClass: 'Map',
    countByStep: [1, 2, 3],
    summary: 'sessions (Map) grew',
  } as Finding;
  const usage = (perMin: number, n = 30, base = 50e6) =>
    Array.from({ length: n }, (_, i) => ({ t: i * 2000, used: base + (perMin * i * 2000) / MIN }));

  it('the drift floor is the larger of the rate and the share of the median heap', () => {
    assert.equal(heapFloor(usage(0, 5, 10e6), DEFAULT_HEAP_FLOOR), 0.3e6);
    assert.equal(heapFloor(usage(0, 5, 1e9), DEFAULT_HEAP_FLOOR), 1e6);
  });

  it('leak: a failing finding and a heap that rises above the floor', () => {
    const j = judgeSoak({
      diff: { findings: [leak] } as never,
      usage: usage(2e6),
      maxGrowth: 10e6,
      failOn: new Set(ALL_KINDS),
      baseline: null,
    });
    assert.equal(j.verdict, 'leak');
    assert.deepEqual(j.failing, [leak]);
  });

  it('inconclusive: the same finding while the heap is flat', () => {
    const j = judgeSoak({
      diff: { findings: [leak] } as never,
      usage: usage(0),
      maxGrowth: 10e6,
      failOn: new Set(ALL_KINDS),
      baseline: null,
    });
    assert.equal(j.verdict, 'inconclusive');
    assert.match(j.reason, /is not significantly rising$/);
  });

  it('a heap rising under the drift floor is inconclusive; a finding of a kind outside --fail-on does not fail', () => {
    assert.equal(
      judgeSoak({ diff: { findings: [leak] } as never, usage: usage(0.1e6), maxGrowth: 10e6, failOn: new Set(ALL_KINDS), baseline: null })
        .verdict,
      'inconclusive',
    );
    const other = judgeSoak({
      diff: { findings: [leak] } as never,
      usage: usage(2e6),
      maxGrowth: 10e6,
      failOn: new Set(['timer']),
      baseline: null,
    });
    assert.equal(other.verdict, 'no-leak');
    assert.deepEqual(other.ignored, [leak]);
  });

  it('leak without a culprit: the slope alone surely above --max-growth', () => {
    const j = judgeSoak({ diff: null, usage: usage(5e6), maxGrowth: 1e6, failOn: new Set(ALL_KINDS), baseline: null });
    assert.equal(j.verdict, 'leak');
    assert.match(j.reason, /exceeds --max-growth \+1\.00 MB\/min; no holder explains it: no snapshots were compared$/);
  });

  it('leak without a culprit says once what was looked at: the steady items too small alone, or the classes that grew', () => {
    const watch = { ...leak, status: 'watch', statusReason: 'adds 12 kB/min, below the 64 kB/min floor', countByStep: [10, 20, 30] };
    const diff = { snapshots: [{}, {}, {}], idsComparable: true, classes: [], findings: [watch] };
    const j = judgeSoak({ diff: diff as never, usage: usage(5e6), maxGrowth: 1e6, failOn: new Set(ALL_KINDS), baseline: null });
    assert.equal(j.verdict, 'leak');
    assert.match(
      j.reason,
      /no holder explains it on its own \(3 snapshots compared\): the largest steady one, .* 10 → 20 → 30, adds 12 kB\/min, below the 64 kB\/min floor$/,
    );
    const classes = [{ name: 'Order', countByStep: [1, 2, 3], monotonic: true, deltaBytes: 900 }];
    const k = judgeSoak({
      diff: { ...diff, classes, findings: [] } as never,
      usage: usage(5e6),
      maxGrowth: 1e6,
      failOn: new Set(ALL_KINDS),
      baseline: null,
    });
    assert.match(k.reason, /no holder explains it \(3 snapshots compared\); classes that grew at every snapshot: Order 1 → 2 → 3$/);
  });

  it('the slope alone does not fail a short run (a fresh process warming up for six seconds), nor a tiny rise', () => {
    const short = judgeSoak({
      diff: null,
      usage: usage(5e6, 15, 8e6).map((u) => ({ ...u, t: u.t / 5 })),
      maxGrowth: 1e6,
      failOn: new Set(ALL_KINDS),
      baseline: null,
    });
    assert.equal(short.verdict, 'no-leak');
    assert.match(short.reason, /too little or too short for the slope alone to fail the run \(30 s and 1\.00 MB at least\)$/);
    // a minute of +0.9 MB/min against a 0.5 MB/min limit: surely above it, but under a megabyte in all
    assert.equal(
      judgeSoak({ diff: null, usage: usage(0.9e6, 30), maxGrowth: 0.5e6, failOn: new Set(ALL_KINDS), baseline: null }).verdict,
      'no-leak',
    );
  });
});

describe('where the memory grows: each part judged on its own', () => {
  const leak = {
    kind: 'growing-collection',
    status: 'leak',
    name: 'parkedUploads',
    holderClass: 'Map',
    countByStep: [1, 2, 3],
    summary: 'parkedUploads (Map) grew',
  } as Finding;
  // 30 samples 2 s apart (58 s): a flat 50 MB heap, and the given rates (bytes/min) for Buffers, other external, native
  const samples = (rates: { buffers?: number; external?: number; native?: number; heap?: number }, n = 30) =>
    Array.from({ length: n }, (_, i) => {
      const min = (i * 2000) / MIN;
      // a little noise, so that the intervals are real intervals
      const wobble = (i % 3) * 20e3;
      const used = 50e6 + (rates.heap ?? 0) * min + wobble;
      const arrayBuffers = 2e6 + (rates.buffers ?? 0) * min + wobble;
      const external = arrayBuffers + 1e6 + (rates.external ?? 0) * min;
      const total = 60e6;
      const rss = total + external + 30e6 + (rates.native ?? 0) * min + wobble;
      return { t: i * 2000, used, total, external, arrayBuffers, rss };
    });
  const judge = (usage: ReturnType<typeof samples>, findings: Finding[] = [], processWide = true) =>
    judgeSoak({ diff: { findings } as never, usage, processWide, maxGrowth: 1e6, failOn: new Set(ALL_KINDS), baseline: null });

  it('a culprit whose bytes are Buffers is a leak while heapUsed is flat (was: inconclusive)', () => {
    const j = judge(samples({ buffers: 3e6 }), [leak]);
    assert.equal(j.verdict, 'leak');
    assert.match(
      j.reason,
      /^parkedUploads \(Map\) grew; memory grows outside the JS heap, in Buffers: arrayBuffers \+3\.0\d MB\/min, while the post-GC heap \+0\.0\d MB\/min/,
    );
    assert.deepEqual(j.memory?.growing, ['buffers']);
    assert.match(
      j.memory?.text ?? '',
      /^Buffers and ArrayBuffers outside the JS heap \(arrayBuffers\) rises \+3\.0\d MB\/min \(\+2\.9\d? MB\), usually Buffers .* over 58 s$/,
    );
  });

  it('Buffers that surely grow faster than --max-growth fail the run without a culprit; so does other external memory', () => {
    const j = judge(samples({ buffers: 3e6 }));
    assert.equal(j.verdict, 'leak');
    assert.match(
      j.reason,
      /^memory grows outside the JS heap, in Buffers: arrayBuffers \+3\.0\d MB\/min \(95% CI lower bound \+2\.\d\d MB\/min\) exceeds --max-growth \+1\.00 MB\/min/,
    );
    assert.equal(judge(samples({ external: 3e6 })).verdict, 'leak');
    assert.equal(judge(samples({ buffers: 0.5e6 })).verdict, 'no-leak', 'under --max-growth');
  });

  it('native memory none of the parts explain is reported with what it usually means, never judged', () => {
    const j = judge(samples({ native: 15e6 }));
    assert.equal(j.verdict, 'no-leak', j.reason);
    assert.deepEqual(j.memory?.growing, ['native']);
    // the flat parts are left out of the sentence: only the native part moves
    assert.match(
      j.memory?.text ?? '',
      /^native \+15\.0\d MB\/min over 58 s; native memory rises by itself: .*allocator fragmentation .*reported, never judged/,
    );
    assert.equal(j.memory?.brief, '');
  });

  it("a window of a few seconds gives each part's change, never a per-minute rate or a gloss drawn from it", () => {
    const usage = samples({ buffers: 3e6, native: 200e6 }).slice(0, 4); // 6 s
    const text = judge(usage, [leak]).memory?.text ?? '';
    assert.match(
      text,
      /^Buffers and ArrayBuffers outside the JS heap \(arrayBuffers\) rose \+[\d.]+ kB, usually Buffers .*; native \+[\d.]+ MB over 6 s \(too short for a rate\)$/,
    );
    assert.doesNotMatch(text, /\/min|rises by itself/);
  });

  it("rss gained across leakscope's snapshots is their cost, left out of the native trend and said so", () => {
    // a flat program whose rss jumps by 40 MB at each of three snapshots (the allocator keeps the snapshot's memory)
    const base = samples({});
    const snapshotT = [10_000, 30_000, 50_000];
    const usage = base.map((s) => ({ ...s, rss: (s.rss ?? 0) + snapshotT.filter((t) => s.t > t).length * 40e6 }));
    const j = judgeSoak({ diff: null, usage, snapshotT, maxGrowth: 1e6, failOn: new Set(ALL_KINDS), baseline: null });
    assert.equal(j.memory?.snapshotCost, 120e6);
    assert.ok(Math.abs(j.memory?.parts.find((p) => p.part === 'native')?.trend?.slope ?? 1) < 1e5, 'native is flat without them');
    assert.match(j.memory?.text ?? '', /leakscope's snapshots added 120 MB to rss \(their own cost, left out of native\)/);
    const raw = judgeSoak({ diff: null, usage, maxGrowth: 1e6, failOn: new Set(ALL_KINDS), baseline: null });
    assert.ok(
      (raw.memory?.parts.find((p) => p.part === 'native')?.trend?.slope ?? 0) > 60e6,
      'unadjusted, it looks like a leak of 100+ MB/min',
    );
  });

  it("a worker's usage has no native part (rss is the whole process's)", () => {
    const j = judge(samples({ native: 15e6 }), [], false);
    assert.deepEqual(
      j.memory?.parts.map((p) => p.part),
      ['heap', 'buffers', 'external'],
    );
    assert.equal(j.memory?.rss, null);
  });

  it('recorded heap-only series (t, used) are judged on the heap alone, as before', () => {
    const j = judgeSoak({
      diff: null,
      usage: samples({}).map(({ t, used }) => ({ t, used })),
      maxGrowth: 1e6,
      failOn: new Set(ALL_KINDS),
      baseline: null,
    });
    assert.deepEqual(
      j.memory?.parts.map((p) => p.part),
      ['heap'],
    );
  });
});

describe('the finding kinds table', () => {
  it('lists every kind once, in report order, with a title and a rule', () => {
    assert.deepEqual(ALL_KINDS, ['growing-collection', 'timer', 'listener', 'closure', 'pending-promise', 'class-growth']);
    for (const k of ALL_KINDS) assert.ok(KINDS[k].title && KINDS[k].rule, k);
    assert.equal(kindOrder('timer'), 1);
    assert.deepEqual(new Set(ALL_KINDS.map((k) => KINDS[k].specificity)).size, ALL_KINDS.length, 'specificity is a strict order');
    assert.deepEqual(new Set(ALL_KINDS.map((k) => KINDS[k].naming)).size, ALL_KINDS.length, 'naming is a strict order');
  });
});

describe('parsers behind the flags', () => {
  it('durations', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('1.5'), 1500);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('soon'), null);
    assert.equal(parseDuration('-5s'), null);
  });

  it('rates, sizes, percentages, kinds', () => {
    assert.equal(parseRate('1MB/min'), 1e6);
    assert.equal(parseRate('10kB/s'), 600_000);
    assert.equal(parseRate('64KiB/min'), 65_536);
    assert.equal(parseRate('2 MB/h'), 2e6 / 60);
    assert.equal(parseRate('fast'), null);
    assert.equal(parseSize('16KiB'), 16_384);
    assert.equal(parseSize('4096'), 4096);
    assert.equal(parseSize('lots'), null);
    assert.equal(parsePercent('10%'), 0.1);
    assert.equal(parsePercent('x'), null);
    assert.deepEqual([...(parseKinds('all') ?? [])], [...ALL_KINDS]);
    assert.deepEqual([...(parseKinds('none') ?? [])], []);
    assert.deepEqual([...(parseKinds('timer, listener') ?? [])], ['timer', 'listener']);
    assert.equal(parseKinds('timer,bogus'), null);
  });
});

describe('formatting', () => {
  it('sizes, rates and percentages read the same everywhere', () => {
    assert.equal(formatBytes(1536), '1.54 kB');
    assert.equal(formatBytes(-2_500_000, true), '-2.50 MB');
    assert.equal(formatSize(595_400), '595.4 kB');
    assert.equal(formatSize(1_500_000), '1.5 MB');
    assert.equal(formatSize(1_500_000, 'kB'), '1500.0 kB');
    assert.equal(formatRate(1.25e6), '+1.25 MB/min');
    assert.equal(formatSmallRate(6348.8), '6.3 kB/min'); // a kB is 1000 bytes, as in every size printed
    assert.equal(formatPercent(0.036), '3.6 %');
    assert.equal(formatPercent(Number.POSITIVE_INFINITY), 'from zero');
    // one spelling of a place: relative inside the project, absolute outside it, with line and column
    setProjectRoot('/srv/app');
    assert.equal(shortFile('file:///srv/app/src/store.js'), 'src/store.js');
    assert.equal(shortFile('/srv/other/lib.js'), '/srv/other/lib.js');
    assert.equal(shortFile('/srv/application.js'), '/srv/application.js', 'a sibling folder with the same prefix is outside');
    assert.equal(
      formatLocation({
        file: '/srv/app/src/index.ts',
        line: 26,
        column: 5,
        compiled: { file: '/srv/app/dist/index.js', line: 7, column: 5 },
      }),
      'src/index.ts:26:5 (compiled dist/index.js:7:5)',
    );
    setProjectRoot(process.cwd());
    assert.equal(shortFile('node:internal/timers'), 'node:internal/timers');
  });
});

describe('a soak that saw no work is not a pass', () => {
  // samples 2 s apart; `allocated(k)` bytes made between sample k-1's GC and sample k's
  const series = (allocated: (k: number) => number, every = 2000) =>
    Array.from({ length: 20 }, (_, k) => ({
      t: k * every,
      used: 20e6,
      usedBeforeGc: 20e6 + (k > 0 ? allocated(k) : 0),
      total: 30e6,
      external: 1e6,
      arrayBuffers: 1e5,
      rss: 80e6,
    }));
  const judge = (usage: ReturnType<typeof series>, processWide = true) =>
    judgeSoak({ diff: null, usage, processWide, maxGrowth: 1e6, failOn: new Set(ALL_KINDS), baseline: null });

  it('a program that allocated next to nothing (nothing drove it) is inconclusive, and says what to add', () => {
    // what an idle Node program shows: leakscope's own probe (~20 kB a sample), and now and then a burst of V8's own
    const j = judge(series((k) => (k % 7 === 3 ? 250_000 : 20_000), 500));
    assert.equal(j.verdict, 'inconclusive');
    assert.match(
      j.reason,
      /^the program did next to no work during the watch \(it allocated 0 B\/s beyond leakscope's own probes\): nothing seems to drive it — add --load/,
    );
  });

  it('a program under load passes as before, even a light one (100 kB/s) and one with quiet moments; a worker waiting for work is fine', () => {
    assert.equal(judge(series(() => 5e6)).verdict, 'no-leak');
    assert.equal(judge(series(() => 200_000 + 24 * 1024)).verdict, 'no-leak');
    assert.equal(judge(series((k) => (k % 3 === 0 ? 0 : 400_000))).verdict, 'no-leak');
    assert.equal(
      judge(
        series(() => 2_000),
        false,
      ).verdict,
      'no-leak',
    );
  });
});
