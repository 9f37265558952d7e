/**
 * Which collections leak, judged from the census rounds of `attach --no-snapshot` (capture/census.ts) and the
 * sampling heap profiler's live allocations — no heap snapshot.
 *
 * The same two questions as a snapshot diff:
 *
 *   is the growth real   a collection's size rose above its previous peak at every round (3+ rounds), and it
 *                        grew by at least 10 % of its first size (a bounded cache wobbles around its cap);
 *   does it matter       its bytes grew at least 64 kB/min. Without a snapshot a collection's bytes are not
 *                        measured; they are estimated from the sampling profiler: the live bytes allocated by the
 *                        function that adds to it (the function whose body holds the adding line), else the share
 *                        of the post-GC heap's growth its new entries stand for. Listeners and timers are judged
 *                        by count (each one costs an event dispatch or a tick), as in a snapshot diff.
 *
 * A dictionary (`lastSeen[id] = …`) is invisible to wrappers; a growing allocation site that no watched collection
 * explains is read for the line that adds what it allocates (`variable[key] =`, `.set(`, `.push(` …) and, when one
 * is there, named by that line's variable.
 */
import type { CensusEntry, CensusRead } from '../../formats/census.js';
import { formatPercent as pct, formatSmallRate as kB, locationKey } from '../../common/format.js';
import { printable } from '../../common/text.js';
import { addedAt } from '../findings/added.js';
import type { AddedAt } from '../findings/findings.js';
import type { FindingKind } from '../findings/kinds.js';
import { KINDS } from '../findings/kinds.js';
import { DEFAULT_SIGNIFICANCE, type SignificanceOptions } from '../findings/significance.js';
import type { AllocationSite } from '../findings/allocations.js';
import type { LocationMapper } from '../heap/snapshot.js';
import { NAMES } from '../heap/v8.js';
import { addingStatementIn, shardHolderIn, type AddingStatement } from '../places/adding.js';

export interface CensusRound {
  /** leakscope's clock, ms since the watch began */
  t: number;
  read: CensusRead;
  /** the post-GC heap used at this round, when a GC was forced (else the heap used) */
  heapUsed: number;
}

export interface WatchFinding {
  kind: FindingKind;
  /** the variable in the adding line (`sessions`), the event of a listener, the function of a timer */
  name: string;
  /** what the census saw: `Map`, `Array`, `ConfigBus` (an emitter), `Object` (a dictionary), `Timeout` */
  holderClass: string;
  /** a listener's event */
  event?: string;
  /** entries per round (listeners, timers not cleared, Map/Set/Array size); null where it was not seen yet */
  countByStep: Array<number | null>;
  /** how many collections one line adds to, judged as one (a Map of per-tenant Maps: the inner Maps) */
  shards?: number;
  /** a dictionary's: the live sampled bytes its adding function allocated, per round */
  bytesByStep?: number[];
  /** entries added per minute, first seen -> last */
  perMinute: number;
  /** estimated bytes per minute (see the module comment), null for count-judged kinds when unknown */
  bytesPerMinute: number | null;
  /** how the bytes were estimated */
  bytesFrom: 'allocation-site' | 'heap-share' | 'none';
  status: 'leak' | 'watch' | 'suspect';
  statusReason: string;
  /** the line that adds, with the caller stacks sampled */
  addedAt: AddedAt;
  /** the adding line (the first site of addedAt), where the finding is placed */
  location: { file: string; line: number; column: number } | null;
}

/** What a watch without a snapshot cannot know, said in every report. */
export const NOT_KNOWN_WITHOUT_SNAPSHOT =
  'without a heap snapshot the full retainer path (who holds the collection) and exact retained bytes are not known; ' +
  'bytes are estimated from the sampling heap profiler';

const ADD_METHODS: Record<CensusEntry['kind'], string[]> = {
  Map: ['set'],
  Set: ['add'],
  Array: ['push', 'unshift'],
  listener: ['on', 'addListener', 'prependListener'],
  'event-target': ['addEventListener'],
};

/** A finding per watched collection, listener and timer site that grew; the dictionaries found through allocation sites. */
export function judgeCensus(
  rounds: CensusRound[],
  sites: AllocationSite[],
  opts: { significance?: SignificanceOptions; mapper?: LocationMapper | null; windowMs: number } = { windowMs: 0 },
): WatchFinding[] {
  const sig = opts.significance ?? DEFAULT_SIGNIFICANCE;
  if (rounds.length < 2) return [];
  const out: WatchFinding[] = [];
  const ids = new Map<number, CensusEntry[]>();
  for (const [k, r] of rounds.entries())
    for (const e of r.read.entries) {
      let list = ids.get(e.id);
      if (!list) ids.set(e.id, (list = new Array(rounds.length).fill(undefined)));
      list[k] = e;
    }
  const spanMin = (a: number, b: number) => Math.max(1e-9, (rounds[b].t - rounds[a].t) / 60000);
  const heapGrowth = Math.max(0, rounds[rounds.length - 1].heapUsed - rounds[0].heapUsed);
  const last = rounds.length - 1;
  // each collection seen, with the line that adds to it; the collections one line adds to are one holder's shards
  // (a Map of per-tenant Maps: `cache.set(key, v)` on each tenant's Map), judged together
  const groups = new Map<string, Array<{ entry: CensusEntry; counts: Array<number | null>; added: AddedAt }>>();
  for (const list of ids.values()) {
    const counts = list.map((e) => (e && e.size >= 0 ? e.size : null));
    const latest = [...list].reverse().find((e) => e !== undefined) as CensusEntry;
    const stacks = new Map<string, number>();
    for (const e of list) for (const [st, n] of e?.stacks ?? []) stacks.set(st, Math.max(stacks.get(st) ?? 0, n));
    const entry = { ...latest, stacks: [...stacks] };
    const added = addedAt(
      {
        methods: ADD_METHODS[entry.kind],
        calls: entry.sampled * entry.every,
        sampled: entry.sampled,
        sites: entry.stacks.map(([stack, samples]) => ({ stack, samples })),
      },
      opts.windowMs,
      opts.mapper,
    );
    const site = added.sites[0];
    const key = site ? `${entry.kind}|${entry.event ?? ''}|${locationKey(site)}` : `id|${entry.id}`;
    const g = groups.get(key);
    if (g) g.push({ entry, counts, added });
    else groups.set(key, [{ entry, counts, added }]);
  }
  // a collection with no sampled stack (followed late, added to rarely since: a small shard) joins the sharded
  // holder of its kind and class, when there is one — it is most likely one more of its shards
  for (const [key, members] of groups) {
    if (!key.startsWith('id|')) continue;
    const e = members[0].entry;
    const home = [...groups.entries()]
      .filter(([k, m]) => !k.startsWith('id|') && m.length > 1 && m[0].entry.kind === e.kind && m[0].entry.label === e.label)
      .sort((a, b) => b[1].length - a[1].length)[0];
    if (!home) continue;
    home[1].push(...members);
    groups.delete(key);
  }
  const candidates: Array<{
    entry: CensusEntry;
    counts: Array<number | null>;
    first: number;
    grew: number;
    added: AddedAt;
    shards: number;
  }> = [];
  for (const members of groups.values()) {
    // a member counts from its first read: what it held then is the base, what it added since is growth (a shard
    // first seen late adds its base once, never as growth)
    let counts: Array<number | null>;
    if (members.length === 1) counts = members[0].counts;
    else {
      const base = members.reduce((a, m) => a + (m.counts.find((c) => c !== null) ?? 0), 0);
      // the series starts at the round the first shard was seen
      const start = Math.min(...members.map((m) => m.counts.findIndex((c) => c !== null)).filter((i) => i >= 0));
      counts = rounds.map((_, k) =>
        k < start
          ? null
          : members.reduce((a, m) => {
              const f = m.counts.findIndex((c) => c !== null);
              if (f < 0 || f > k) return a;
              const at = m.counts
                .slice(0, k + 1)
                .reverse()
                .find((c) => c !== null) as number;
              return a + at - (m.counts[f] as number);
            }, base),
      );
    }
    const first = counts.findIndex((c) => c !== null);
    if (first < 0 || counts[last] === null) continue;
    const grew = (counts[last] as number) - (counts[first] as number);
    if (grew <= 0) continue;
    // the busiest member names the group
    const placed = members.filter((m) => m.added.sites.length > 0);
    const top = (placed.length ? placed : members).reduce((a, m) => (m.entry.sampled > a.entry.sampled ? m : a));
    candidates.push({ entry: top.entry, counts, first, grew, added: top.added, shards: members.length });
  }
  const totalGrew = candidates.reduce((a, c) => a + (KINDS[kindOf(c.entry)].byCount ? 0 : c.grew), 0);
  for (const c of candidates) {
    const e = c.entry;
    const kind = kindOf(e);
    const window = spanMin(c.first, last);
    const added = c.added;
    const site = added.sites[0] ?? null;
    const statement = site ? addingStatementIn(site.file, site.line, site.line) : null;
    const fromSite = site ? allocatingSite(sites, site.file, site.line) : null;
    // bytes: what the adding function's allocations kept, or the entries' share of the heap's growth, whichever
    // is more (the function that adds is not always the one that allocates: a queue moved to a `done` list)
    const bySite = fromSite ? fromSite.deltaBytes / spanMin(0, last) : null;
    const byShare = !KINDS[kind].byCount && totalGrew > 0 ? (heapGrowth * c.grew) / totalGrew / spanMin(0, last) : null;
    const bytesPerMinute = bySite === null && byShare === null ? null : Math.max(bySite ?? 0, byShare ?? 0);
    const bytesFrom: WatchFinding['bytesFrom'] =
      bytesPerMinute === null ? 'none' : bySite !== null && bySite >= (byShare ?? 0) ? 'allocation-site' : 'heap-share';
    let { status, reason } = statusOf(c.counts.slice(c.first) as number[], kind, bytesPerMinute, sig);
    // a leak the report cannot place is no answer: it stays a suspect until a call that adds to it is sampled
    if (!site && status === 'leak') {
      status = 'suspect';
      reason = 'no call that adds to it was sampled yet (it was followed late, or is added to rarely): watch longer';
    }
    const holder = c.shards > 1 && site && statement ? shardHolderIn(site.file, site.line, statement.variable) : null;
    out.push({
      kind,
      name: holder ?? nameOf(e, statement),
      holderClass: e.label,
      ...(e.event !== undefined ? { event: printable(e.event) } : {}),
      ...(c.shards > 1 ? { shards: c.shards } : {}),
      countByStep: c.counts,
      perMinute: c.grew / window,
      bytesPerMinute,
      bytesFrom,
      status,
      statusReason: reason,
      addedAt: added,
      location: site ? { file: site.file, line: site.line, column: site.column } : null,
    });
  }
  // an emitter's listener array grows by node:events' own push: the listener finding is that growth, named by the
  // event and placed at the program's `.on(` line
  const listeners = out.filter((f) => f.kind === 'listener');
  for (let i = out.length - 1; i >= 0; i--) {
    const f = out[i];
    if (f.kind === 'growing-collection' && f.location?.file.startsWith('node:events') && listeners.length) out.splice(i, 1);
  }
  out.push(...timerFindings(rounds, opts.mapper ?? null, opts.windowMs, sig));
  out.push(...dictionaryFindings(rounds, sites, out, sig));
  return out.sort((a, b) => rank(a) - rank(b));
}

function rank(f: WatchFinding): number {
  return (f.status === 'leak' ? 0 : f.status === 'watch' ? 1e9 : 2e9) - (f.bytesPerMinute ?? f.perMinute);
}

function kindOf(e: CensusEntry): FindingKind {
  return e.kind === 'listener' || e.kind === 'event-target' ? 'listener' : 'growing-collection';
}

/** The variable the adding line names (`this.sessions.set(` -> `sessions`), else the event or the class. */
function nameOf(e: CensusEntry, statement: AddingStatement | null): string {
  if (e.kind === 'listener' || e.kind === 'event-target') return printable(String(e.event ?? 'listener'));
  return statement?.variable ?? e.label;
}

/** The sampling profiler's site whose function holds this line (the nearest function start above it in the file). */
function allocatingSite(sites: AllocationSite[], file: string, line: number): AllocationSite | null {
  let best: AllocationSite | null = null;
  for (const s of sites) if (s.file === file && s.line <= line && (!best || s.line > best.line)) best = s;
  return best && best.deltaBytes > 0 ? best : null;
}

/** Steady (above its previous peak at every round, 3+ rounds) and material (10 %, and the byte floor unless by count). */
function statusOf(
  counts: number[],
  kind: FindingKind,
  bytesPerMinute: number | null,
  sig: SignificanceOptions,
  /**
   * 'sampled': the values are the sampling profiler's live bytes, which can miss a round's few new samples — they may
   * stay level for a round but never fall, and must rise over the rounds taken together (and over the last two)
   */
  series: 'counted' | 'sampled' = 'counted',
): { status: WatchFinding['status']; reason: string } {
  if (counts.length < 3) return { status: 'suspect', reason: `seen at ${counts.length} round${counts.length === 1 ? '' : 's'} only` };
  let peak = counts[0];
  let rises = 0;
  for (const c of counts.slice(1)) {
    if (c < peak || (c === peak && series === 'counted')) return { status: 'suspect', reason: 'did not grow at every round' };
    if (c > peak) rises++;
    peak = c;
  }
  if (series === 'sampled' && (rises < counts.length - 2 || counts[counts.length - 1] <= counts[counts.length - 2]))
    return { status: 'suspect', reason: 'its sampled bytes did not grow at every round but one, nor at the last' };
  const first = counts[0];
  const relative = first > 0 ? (counts[counts.length - 1] - first) / first : Number.POSITIVE_INFINITY;
  const reasons: string[] = [];
  if (relative < sig.minRelative)
    reasons.push(
      `grew ${pct(relative)} of its size, within the wobble of a bounded cache (floor ${pct(sig.minRelative)}); watch longer to tell`,
    );
  if (!KINDS[kind].byCount && sig.minRate > 0 && (bytesPerMinute === null || bytesPerMinute < sig.minRate))
    reasons.push(
      bytesPerMinute === null
        ? 'its bytes are not known (no allocation site, and the heap did not grow)'
        : `adds about ${kB(bytesPerMinute)}, below the ${kB(sig.minRate)} floor`,
    );
  return reasons.length ? { status: 'watch', reason: reasons.join('; ') } : { status: 'leak', reason: '' };
}

/** setInterval sites whose timers not cleared keep growing: one finding per caller line. */
function timerFindings(rounds: CensusRound[], mapper: LocationMapper | null, windowMs: number, sig: SignificanceOptions): WatchFinding[] {
  const bySite = new Map<string, Array<number | null>>();
  const created = new Map<string, number>();
  for (const [k, r] of rounds.entries())
    for (const t of r.read.timers) {
      let list = bySite.get(t.stack);
      if (!list) bySite.set(t.stack, (list = new Array(rounds.length).fill(null)));
      // followed refs are capped: the share alive of those followed, scaled to all created
      list[k] = t.followed > 0 ? Math.round((t.alive / t.followed) * t.created) : 0;
      created.set(t.stack, t.created);
    }
  const out: WatchFinding[] = [];
  for (const [stack, counts] of bySite) {
    const first = counts.findIndex((c) => c !== null);
    const last = counts.length - 1;
    if (first < 0 || counts[last] === null || (counts[last] as number) <= (counts[first] as number)) continue;
    const added = addedAt(
      { methods: ['setInterval'], calls: created.get(stack) ?? 0, sampled: 1, sites: [{ stack, samples: 1 }] },
      windowMs,
      mapper,
    );
    const site = added.sites[0] ?? null;
    const fn = site?.text ? /setInterval\s*\(\s*(?:async\s+)?function\s+([A-Za-z_$][\w$]*)/.exec(site.text)?.[1] : undefined;
    const { status, reason } = statusOf(counts.slice(first) as number[], 'timer', null, sig);
    const window = Math.max(1e-9, (rounds[last].t - rounds[first].t) / 60000);
    out.push({
      kind: 'timer',
      name: fn ?? site?.function ?? 'setInterval',
      holderClass: NAMES.timeout,
      countByStep: counts,
      perMinute: ((counts[last] as number) - (counts[first] as number)) / window,
      bytesPerMinute: null,
      bytesFrom: 'none',
      status,
      statusReason: reason,
      addedAt: added,
      location: site ? { file: site.file, line: site.line, column: site.column } : null,
    });
  }
  return out;
}

/**
 * Growing allocation sites no finding explains, whose function adds to a dictionary (`name[key] = …`): a
 * growing-collection finding named by it, judged on the site's live bytes per round.
 */
function dictionaryFindings(
  rounds: CensusRound[],
  sites: AllocationSite[],
  found: WatchFinding[],
  sig: SignificanceOptions,
): WatchFinding[] {
  const out: WatchFinding[] = [];
  const span = Math.max(1e-9, (rounds[rounds.length - 1].t - rounds[0].t) / 60000);
  for (const s of sites) {
    if (s.bytesByStep.length !== rounds.length || s.deltaBytes <= 0) continue;
    // explained: a finding's adding line is in this site's function
    if (found.some((f) => f.location && allocatingSite(sites, f.location.file, f.location.line) === s)) continue;
    const statement = addingStatementIn(s.file, s.line, s.line + 300);
    if (statement?.how !== 'index') continue;
    if (out.some((f) => f.location?.file === s.file && f.location.line === statement.line)) continue;
    const bytesPerMinute = s.deltaBytes / span;
    const { status, reason } = statusOf(s.bytesByStep, 'growing-collection', bytesPerMinute, sig, 'sampled');
    out.push({
      kind: 'growing-collection',
      name: statement.variable,
      holderClass: 'Object',
      countByStep: s.bytesByStep.map(() => null),
      bytesByStep: s.bytesByStep,
      perMinute: 0,
      bytesPerMinute,
      bytesFrom: 'allocation-site',
      status,
      statusReason: reason,
      addedAt: {
        source: 'allocation-sites',
        methods: ['[key] ='],
        windowMs: 0,
        calls: 0,
        sites: [
          {
            file: s.file,
            line: statement.line,
            column: statement.column,
            function: s.functionName,
            calls: 0,
            samples: 0,
            bytes: s.deltaBytes,
            from: s.stack.slice(0, 3).map((f) => f.split(' ')[0]),
            text: statement.text,
          },
        ],
        why: null,
      },
      location: { file: s.file, line: statement.line, column: statement.column },
    });
  }
  return out;
}
