/**
 * The terminal report, top-down: the first line is the verdict with the culprit and its `path:line`, then one short
 * block per finding (what, where, added at, held by, how fast, fix), then the evidence. Every line fits the width.
 * What a reader does not need at first (per-class tables, charts, watch items in full, evidence) is behind
 * --verbose, in the HTML report and in --json.
 */
import type { Finding, Verdict } from '../analysis/findings/findings.js';
import { culpritOf } from '../analysis/findings/verdict.js';
import { formatBytes, formatCount, formatLocation, formatSmallRate, shortLocation } from '../common/format.js';
import { clipEnd, rows, wrap } from './layout.js';

/** What a finding's counts count. */
const NOUN: Record<Finding['kind'], string> = {
  'growing-collection': 'entries',
  timer: 'intervals',
  listener: 'listeners',
  closure: 'alive',
  'pending-promise': 'pending',
  'class-growth': 'objects',
};

/** A finding's kind, as a reader says it. */
export const KIND_LABEL: Record<Finding['kind'], string> = {
  'growing-collection': 'growing collection',
  timer: 'dangling timer',
  listener: 'listener build-up',
  closure: 'leaked closures',
  'pending-promise': 'promises that never settle',
  'class-growth': 'growing class',
};

/** `sessions (Map)`, `'status' listeners on bus (OrderStatusBus)` */
export function findingName(f: Finding): string {
  // the emitter by the name that holds it (the last step of its path), else its class
  if (f.kind === 'listener') return `'${f.name}' listeners on ${f.retainerPath.at(-1) ?? f.holderClass}`;
  if (f.kind === 'timer') return `setInterval(${f.name})`;
  return f.holderClass ? `${f.name} (${f.holderClass})` : f.name;
}

/** Where a finding is, in one place: the holder's declaration, else what the detector located (a callback). */
function placeOf(f: Finding): string {
  const loc =
    f.kind === 'listener' || f.kind === 'timer' || f.kind === 'closure' ? (f.location ?? f.declaration) : (f.declaration ?? f.location);
  return loc ? shortLocation(loc) : '';
}

/**
 * The report's first line: the verdict, and for a leak the culprit and its place (`LEAK  sessions (Map) at
 * lib/app.js:15:7`); the reason follows on the next lines when there is no culprit to name.
 */
export function headLines(verdict: Verdict, reason: string, findings: Finding[], width: number): string[] {
  const word = verdict === 'leak' ? 'LEAK' : verdict === 'no-leak' ? 'NO LEAK' : 'INCONCLUSIVE';
  const culprit = verdict === 'leak' ? culpritOf(findings) : null;
  if (!culprit) return wrap(reason, width, `${word}  `, 2);
  const place = placeOf(culprit);
  const name = findingName(culprit);
  // the place first: it is what a reader clicks, and it must not be the part cut at the width
  const first = place ? `${word} at ${place}: ${name}` : `${word}: ${name}`;
  // the reason would say again what the finding's block says (its counts, its holder): one more finding is enough
  const others = findings.filter((f) => f !== culprit && f.status === 'leak').length;
  return [clipEnd(first, width), ...(others > 0 ? wrap(`and ${others} more leak${others === 1 ? '' : 's'} below`, width, '  ') : [])];
}

/** The rate a finding's new objects pile up at, when the window is known: `+1.1 MB/min`. */
function rateOf(f: Finding, windowMs: number | null): string {
  if (windowMs === null || windowMs <= 0) return '';
  return `+${formatSmallRate((f.growthBytes / windowMs) * 60_000)} of new objects`;
}

function countsOf(f: Finding): string {
  const c = f.countByStep;
  const steps = Math.max(1, c.length - 1);
  const per = Math.round((c[c.length - 1] - c[0]) / steps);
  const shards = f.shards
    ? `, ${formatCount(f.shards.count)} shards (${f.shards.holderClass}${f.itemClass ? ` of ${f.itemClass}` : ''})`
    : f.itemClass && f.kind === 'growing-collection'
      ? ` of ${f.itemClass}`
      : '';
  return `${c.map((n) => formatCount(n)).join(' → ')} ${NOUN[f.kind]}${f.shards ? ' in all' : ''} (${per >= 0 ? '+' : ''}${formatCount(per)} per snapshot)${shards}, retaining ${formatBytes(f.newBytes)}`;
}

/** The line that adds, short: `app.mjs:20:12 \`sessions.set(…)\` (479 calls in 2 s, from login)`. */
function addedText(f: Finding): string {
  const a = f.addedAt;
  if (!a) return '';
  const s = a.sites[0];
  if (!s) return a.source === 'none' ? `not traced: ${a.why ?? 'no call seen'}` : '';
  const code = s.text ? ` \`${s.text}\`` : '';
  const how =
    a.source === 'instrumentation'
      ? `${formatCount(s.calls)} call${s.calls === 1 ? '' : 's'} in ${Math.round(a.windowMs / 1000)} s`
      : a.source === 'allocation-tracking'
        ? 'from the allocation stacks'
        : 'from the allocation sampler';
  const from = s.from.length ? `, from ${[s.function, ...s.from].slice(0, 2).join(' ← ')}` : '';
  const via = s.via ? `; through ${s.via.package ?? 'a dependency'} at ${shortLocation(s.via)}` : '';
  return `${shortLocation(s)}${code} (${how}${from})${via}`;
}

/** One finding, as a short block under a numbered head. */
export function findingBlock(f: Finding, n: number, width: number, windowMs: number | null): string[] {
  const status = f.status === 'leak' ? '' : f.status === 'watch' ? ', watch' : ', suspect';
  const out = wrap(`${findingName(f)} — ${KIND_LABEL[f.kind]}${status}`, width, `${n}. `, 3);
  const decl =
    f.declaration ?? (f.kind === 'growing-collection' || f.kind === 'class-growth' || f.kind === 'pending-promise' ? f.location : null);
  const callback = f.kind === 'listener' || f.kind === 'timer' || f.kind === 'closure' ? f.location : null;
  const inPackage = f.package
    ? `${f.package.version ? `${f.package.name}@${f.package.version}` : f.package.name}${f.owner ? `, owned by your code at ${shortLocation(f.owner)}` : ''}`
    : f.owner
      ? `owned by your code at ${shortLocation(f.owner)}`
      : '';
  out.push(
    ...rows(
      [
        ['counts', countsOf(f)],
        ['declared', decl ? formatLocation(decl) : ''],
        [f.kind === 'listener' ? 'listener' : f.kind === 'timer' ? 'callback' : 'created', callback ? formatLocation(callback) : ''],
        ['in', inPackage],
        ['added at', addedText(f)],
        ['held by', f.pathText],
        ['how fast', rateOf(f, windowMs)],
        ['why not', f.status === 'watch' ? f.statusReason : ''],
        ['fix', f.hint],
      ],
      width,
      3,
    ),
  );
  return out;
}

/**
 * The findings: the leaks (and suspects) in full, at most `top`; watch items in one line each (all of them under
 * --verbose); what was left out said in one line.
 */
export function findingsLines(findings: Finding[], width: number, o: { top: number; verbose: boolean; windowMs: number | null }): string[] {
  const reported = findings.filter((f) => f.status !== 'watch');
  const watch = findings.filter((f) => f.status === 'watch');
  const out: string[] = [];
  const shown = o.verbose ? reported.slice(0, o.top) : reported.slice(0, Math.min(o.top, 3));
  shown.forEach((f, i) => {
    out.push('', ...findingBlock(f, i + 1, width, o.windowMs));
    if (o.verbose) for (const e of f.evidence) out.push(...wrap(e, width, '   also  ', 9));
  });
  if (reported.length > shown.length)
    out.push(
      '',
      ...wrap(
        `+ ${reported.length - shown.length} more finding${reported.length - shown.length === 1 ? '' : 's'}: see --verbose, the HTML report or --json`,
        width,
      ),
    );
  if (watch.length > 0) {
    out.push(
      '',
      ...wrap(`Watch (steady growth too small to matter; not a leak): ${watch.length} item${watch.length === 1 ? '' : 's'}`, width),
    );
    const list = o.verbose ? watch : watch.slice(0, 2);
    for (const w of list)
      out.push(...wrap(`${findingName(w)}: ${w.countByStep.map((c) => formatCount(c)).join(' → ')} — ${w.statusReason}`, width, '  - ', 4));
    if (list.length < watch.length) out.push(`  + ${watch.length - list.length} more (--verbose)`);
  }
  return out;
}
