/**
 * `attach --no-snapshot`'s report on a terminal: the verdict and the culprit's adding line first, one block per
 * finding (entries per round, the line that adds, how fast), then rows: pauses, heap, what is not known without a
 * snapshot and the command that gets it.
 */
import type { WatchFinding } from '../analysis/series/census.js';
import { formatBytes, formatLocation, formatSmallRate } from '../common/format.js';
import type { WatchReport } from '../contracts/watch.js';
import { outputWidth, rows, wrap } from './layout.js';

const KIND_TEXT: Record<string, string> = {
  'growing-collection': 'collection',
  listener: 'listeners',
  timer: 'timers not cleared',
};

/** `sessions (Map)`, `config-changed (listeners of ConfigBus)`, `keepAlive (timers not cleared)` */
export function watchName(f: WatchFinding): string {
  if (f.kind === 'listener') return `${f.name} (listeners of ${f.holderClass})`;
  if (f.kind === 'timer') return `${f.name} (setInterval timers not cleared)`;
  return `${f.name} (${f.holderClass === 'Object' ? 'dictionary' : f.holderClass})`;
}

export function watchFirstLine(r: WatchReport): string {
  const f = r.findings.find((x) => x.status === 'leak');
  if (r.verdict === 'leak' && f) return `LEAK at ${formatLocation(f.location)}: ${watchName(f)}`;
  if (r.verdict === 'inconclusive') return `INCONCLUSIVE  ${r.reason}`;
  return `NO LEAK  ${r.reason}`;
}

function countsText(f: WatchFinding): string {
  if (f.bytesByStep) return `${f.bytesByStep.map((b) => formatBytes(b)).join(' → ')} live (sampled) allocated where it adds`;
  const shown = f.countByStep.map((c) => (c === null ? '–' : String(c)));
  const what = KIND_TEXT[f.kind] === 'collection' ? 'entries' : KIND_TEXT[f.kind];
  return `${shown.join(' → ')} ${what}${f.shards ? ` across ${f.shards} ${f.holderClass}s it holds` : ''}, counted at each of the ${shown.length} rounds`;
}

function findingBlock(f: WatchFinding, width: number): string[] {
  const site = f.addedAt.sites[0];
  const items: Array<[string, string]> = [
    ['kind', `${f.kind}${f.status === 'leak' ? '' : ` (${f.status}: ${f.statusReason})`}`],
    ['counts', countsText(f)],
    ['added at', site ? `${formatLocation(site)}${site.text ? `  ${site.text}` : ''}` : (f.addedAt.why ?? '')],
    ['from', site?.from.length ? site.from.join(' ← ') : ''],
    [
      'how fast',
      [
        f.perMinute > 0 ? `+${Math.round(f.perMinute)} per min` : '',
        f.bytesPerMinute !== null
          ? `about ${formatSmallRate(f.bytesPerMinute)} (${f.bytesFrom === 'allocation-site' ? 'sampled at the adding function' : 'its share of the heap growth'})`
          : '',
      ]
        .filter(Boolean)
        .join(', '),
    ],
  ];
  return [`${watchName(f)}`, ...rows(items, width, 2)];
}

export function watchTable(r: WatchReport, top: number, o: { verbose?: boolean; width?: number } = {}): string {
  const width = o.width ?? outputWidth();
  const lines: string[] = [watchFirstLine(r), ''];
  const shown = r.findings.filter((f) => f.status === 'leak' || o.verbose).slice(0, o.verbose ? r.findings.length : Math.max(3, top));
  for (const f of shown) lines.push(...findingBlock(f, width), '');
  const postGc = r.usage.filter((u) => u.afterGc);
  lines.push(
    ...rows(
      [
        ['pauses', pausesText(r)],
        ['heap', postGc.length >= 2 ? `${formatBytes(postGc[0].used)} → ${formatBytes(postGc[postGc.length - 1].used)} after GC` : ''],
        ['census', censusText(r)],
        ['not known', notKnownText(r)],
        ['evidence', evidenceText(r)],
      ],
      width,
    ),
  );
  return wrapAll(lines, width).join('\n');
}

function wrapAll(lines: string[], width: number): string[] {
  return lines.flatMap((l) => (l.length > width ? wrap(l, width, '', 2) : [l]));
}

/** `longest 41 ms, total 180 ms over 4 rounds (--max-pause 200 ms; some calls skipped)` */
function pausesText(r: WatchReport): string {
  const p = r.pauses;
  const budget =
    p.maxPauseMs !== null ? ` (--max-pause ${p.maxPauseMs} ms${p.rounds.some((x) => x.skipped.length) ? '; some calls skipped' : ''})` : '';
  return `longest ${p.longestMs} ms, total ${p.totalMs} ms over ${r.rounds} round${r.rounds === 1 ? '' : 's'}${budget}`;
}

function censusText(r: WatchReport): string {
  const removed = r.census.removed
    ? 'all removed'
    : r.targetGone
      ? 'gone with the target'
      : 'NOT removed (they remove themselves when their lease runs out)';
  return `${r.census.wrapped.length} methods wrapped, ${removed}${r.census.skipped.length ? `; not wrapped: ${r.census.skipped.join(', ')}` : ''}`;
}

function notKnownText(r: WatchReport): string {
  const h = r.snapshotHint;
  const then = h.affordable
    ? `\`${h.command}\` gets it (a snapshot pauses this target about ${Math.max(1, Math.round(h.expectedPauseMs / 1000))} s)`
    : 'a snapshot is not affordable for this target now (too close to a memory limit)';
  return `${r.notKnown}; ${then}`;
}

/** `written at 82 % of the heap limit (52 MB of 64 MB), 19 s in: .leakscope/…/evidence-….json` */
function evidenceText(r: WatchReport): string {
  const e = r.evidence;
  if (!e) return '';
  const at = `at ${Math.round((e.heapUsed / e.limit) * 100)} % of the heap limit (${formatBytes(e.heapUsed)} of ${formatBytes(e.limit)}), ${Math.round(e.t / 1000)} s in`;
  return e.error ? `could not be written ${at}: ${e.error}` : `written ${at}: ${e.file}`;
}
