/**
 * The diff's verdict and its reason, from its findings:
 *
 *   leak          with 3+ snapshots of one process, a finding grew at every step and materially (status `leak`);
 *   inconclusive  growth seen, but only 2 snapshots (warm-up and a leak look alike), or ids not comparable;
 *   no-leak       nothing above the thresholds grew steadily (watch items are named in the reason).
 */
import type { Finding, Verdict } from './findings.js';
import { COLLECTION_CLASSES, NAMES } from '../heap/v8.js';

/** What leaks, as the reason's sentence names it. */
export function leakSentence(f: Finding): string {
  switch (f.kind) {
    case 'growing-collection':
      return `${f.name} (${f.holderClass})${f.itemClass ? ` holding ${f.itemClass}` : ''}`;
    case 'timer':
      return `setInterval(${f.name}) timers`;
    case 'listener':
      return `'${f.name}' listeners on ${f.holderClass}`;
    case 'closure':
      if (f.itemClass === '(closure chain)') return `the chain of \`${f.name}\` in ${f.holderClass}`;
      return COLLECTION_CLASSES.has(f.holderClass) ? `${f.name} (${f.holderClass}) holding closures` : `closures ${f.name}`;
    case 'pending-promise':
      return f.holderClass && f.name !== NAMES.Promise
        ? `${f.name} (${f.holderClass}) holding promises that never settle`
        : 'pending promises';
    default:
      return `${f.itemClass} objects held by ${f.name}${f.holderClass ? ` (${f.holderClass})` : ''}`;
  }
}

/** The leak a verdict names: of the findings with status `leak`, the one that grows most (bytes), whatever its kind. */
export function culpritOf<F extends Pick<Finding, 'status' | 'growthBytes'>>(findings: readonly F[]): F | null {
  let best: F | null = null;
  for (const f of findings) if (f.status === 'leak' && (best === null || f.growthBytes > best.growthBytes)) best = f;
  return best;
}

export function judgeDiff(
  findings: Finding[],
  steps: number,
  idsComparable: boolean,
  matchedBy: 'ids' | 'place' | 'class' = idsComparable ? 'ids' : 'class',
): { verdict: Verdict; reason: string } {
  const strong = findings.filter((f) => f.status === 'leak');
  const watch = findings.filter((f) => f.status === 'watch');
  // separate sessions: holders matched by place; classes that grew at every step with no holder matched are not a
  // clean bill of health
  const unmatched = findings.filter((f) => f.kind === 'class-growth' && f.retainerPath.length === 0);
  if (matchedBy === 'place' && strong.length === 0 && unmatched.length > 0) {
    return {
      verdict: 'inconclusive',
      reason: `no holder could be followed across the separate sessions, but classes grew at every step (${unmatched
        .slice(0, 3)
        .map((f) => `${f.name} ${f.countByStep.join(' → ')}`)
        .join('; ')}): take the snapshots in one session (leakscope attach <pid>) to name who holds them`,
    };
  }
  if (!idsComparable && matchedBy !== 'place') {
    return findings.length > 0
      ? {
          verdict: 'inconclusive',
          reason: `classes grew at every step, but the snapshots' object ids are not comparable, so no holder can be named`,
        }
      : { verdict: 'no-leak', reason: 'no class grew at every step (ids not comparable: per-class counts only)' };
  }
  if (strong.length > 0) {
    // the verdict names the leak that grows most, whatever its kind
    const f = culpritOf(strong) as Finding;
    return { verdict: 'leak', reason: `${leakSentence(f)} grew at every one of ${steps} snapshots (${f.countByStep.join(' → ')})` };
  }
  const suspects = findings.filter((f) => f.confidence >= 0.4);
  if (steps < 3 && suspects.length > 0) {
    return { verdict: 'inconclusive', reason: `objects grew between the two snapshots; take a third to tell a leak from warm-up` };
  }
  if (watch.length > 0) {
    const w = watch[0];
    return {
      verdict: 'no-leak',
      reason:
        `no material growth; watch: ${leakSentence(w)} grew at every step (${w.countByStep.join(' → ')}) but ` +
        `${w.statusReason}${watch.length > 1 ? ` (+${watch.length - 1} more watch item${watch.length > 2 ? 's' : ''})` : ''}`,
    };
  }
  return {
    verdict: 'no-leak',
    reason:
      steps < 3 ? 'nothing new and alive above the thresholds' : `nothing grew at every one of ${steps} snapshots above the thresholds`,
  };
}
