/**
 * The finding kinds: one table, one row per kind, with everything the analyses and the reporters need to know about
 * it. Adding a kind means adding a row here (and a detector).
 */

export type FindingKind = 'growing-collection' | 'timer' | 'listener' | 'closure' | 'pending-promise' | 'class-growth';

export interface KindInfo {
  /** section title in the table and markdown reports */
  title: string;
  /** what must hold, as a JUnit test case and a SARIF rule say it */
  rule: string;
  /** merging one root cause (causes.ts): the more specific kind wins (lower first) */
  specificity: number;
  /** merging: which member names the merged finding — the holder a user would change (lower first) */
  naming: number;
  /** merging: how a merged finding says what its entries are, when it is named by another kind's holder */
  how?: string;
  /** judged by count, not bytes: each one costs work on every tick or event, whatever its size (significance.ts) */
  byCount: boolean;
}

/** In report order: findings of one status are listed by kind in this order. */
export const KINDS: Readonly<Record<FindingKind, KindInfo>> = {
  'growing-collection': {
    title: 'Growing collections',
    rule: 'collections (Map, Set, Array, dictionary) do not grow without bound',
    specificity: 4,
    naming: 0,
    byCount: false,
  },
  timer: {
    title: 'Dangling timers',
    rule: 'setInterval timers are cleared',
    specificity: 2,
    naming: 2,
    how: 'its entries are intervals that are never cleared',
    byCount: true,
  },
  listener: {
    title: 'Listener build-up',
    rule: 'event listeners do not pile up',
    specificity: 1,
    naming: 1,
    how: 'its entries are listeners that are never removed',
    byCount: true,
  },
  closure: {
    title: 'Leaked closures',
    rule: 'closures created per call are released',
    specificity: 3,
    naming: 3,
    how: 'its entries are closures, each keeping its scope',
    byCount: false,
  },
  'pending-promise': {
    title: 'Pending promises',
    rule: 'promises settle',
    specificity: 0,
    naming: 4,
    how: 'its entries keep promises that never settle',
    byCount: false,
  },
  'class-growth': {
    title: 'Growing classes',
    rule: 'objects of one class do not pile up',
    specificity: 5,
    naming: 5,
    byCount: false,
  },
};

/** Every kind, in report order. */
export const ALL_KINDS: readonly FindingKind[] = Object.keys(KINDS) as FindingKind[];

/** Position of a kind in report order. */
export function kindOrder(kind: FindingKind): number {
  return ALL_KINDS.indexOf(kind);
}

export function isFindingKind(text: string): text is FindingKind {
  return Object.hasOwn(KINDS, text);
}
