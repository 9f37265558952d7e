/**
 * A snapshot plus the derived graph structures, each computed once, on first use.
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import { computeDistances } from './distances.js';
import { computeDominators, type Dominators } from './dominators.js';
import { EssentialEdges } from './essential.js';
import { IdIndex } from './ids.js';
import { buildRetainers, type Retainers } from './retainers.js';
import { NO_PROGRESS, type Progress } from '../../common/progress.js';
import { releaseMemory } from '../heap/release.js';

/** From this many nodes, dropped working arrays are collected right away (tens of MB and more). */
const RELEASE_AFTER_NODES = 1_000_000;

export class HeapGraph {
  private _essential: EssentialEdges | null = null;
  private _retainers: Retainers | null = null;
  private _dominators: Dominators | null = null;
  private _distances: Uint32Array | null = null;
  private _ids: IdIndex | null = null;

  constructor(
    readonly snap: HeapSnapshot,
    private readonly progress: Progress = NO_PROGRESS,
  ) {}

  /** which edges retain their target: one bit per edge, shared by retainers, dominators and distances */
  get essential(): EssentialEdges {
    if (!this._essential) {
      this.progress.phase('essential edges');
      this._essential = new EssentialEdges(this.snap);
    }
    return this._essential;
  }

  get retainers(): Retainers {
    if (!this._retainers) {
      this.progress.phase('retainers');
      this._retainers = buildRetainers(this.snap, this.essential);
    }
    return this._retainers;
  }

  get dominators(): Dominators {
    if (!this._dominators) {
      const retainers = this.retainers;
      this.progress.phase('dominators');
      this._dominators = computeDominators(this.snap, retainers, this.essential);
      // its working arrays (three per node) are garbage now
      this.collectGarbage();
    }
    return this._dominators;
  }

  /**
   * After a pass that dropped working arrays the size of the nodes: V8 may keep them until a later GC, on top of
   * what the next passes allocate. On a big heap, collect them now (a full GC of a JS heap of a few tens of MB,
   * the typed arrays being outside it: tens of milliseconds against hundreds of MB of peak memory).
   */
  collectGarbage(): void {
    if (this.snap.nodeCount >= RELEASE_AFTER_NODES) releaseMemory();
  }

  get distances(): Uint32Array {
    if (!this._distances) {
      const essential = this.essential;
      this.progress.phase('distances');
      this._distances = computeDistances(this.snap, essential);
    }
    return this._distances;
  }

  get ids(): IdIndex {
    if (!this._ids) {
      this.progress.phase('ids');
      this._ids = new IdIndex(this.snap);
    }
    return this._ids;
  }
}
