/**
 * What the census in a target reads each round (capture/census.ts reads it; analysis/series/census.ts judges it): a
 * bottom-layer type shared by both.
 */

/** One remembered collection (or one event of one emitter) at one read. */
export interface CensusEntry {
  /** stable across reads of one census */
  id: number;
  kind: 'Map' | 'Set' | 'Array' | 'listener' | 'event-target';
  /** the receiver's constructor name (`Map`, `LRUCache`, `ConfigBus`) */
  label: string;
  /** listeners: the event name */
  event?: string;
  size: number;
  /** sampled adding calls seen (a sample: one in `every` calls) */
  sampled: number;
  every: number;
  /** caller stacks of sampled calls, as V8 prints them, with how many samples each */
  stacks: Array<[string, number]>;
}

/** The setInterval calls of one caller stack. */
export interface CensusTimers {
  stack: string;
  created: number;
  /** of those followed (at most 2000 per stack), the ones not cleared and not collected */
  alive: number;
  followed: number;
}

export interface CensusRead {
  /** the target's clock (ms) */
  now: number;
  entries: CensusEntry[];
  timers: CensusTimers[];
  /** collections forgotten because they were collected since the last read */
  collected: number;
  /** the remembered list was full: new big collections were not remembered */
  full: boolean;
}
