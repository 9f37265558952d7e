/**
 * A snapshot plus the derived graph structures, each computed once, on first use.
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import { computeDistances } from './distances.js';
import { computeDominators, type Dominators } from './dominators.js';
import { EdgeRule } from './essential.js';
import { IdIndex } from './ids.js';
import { buildRetainers, type Retainers } from './retainers.js';

export type Phase = (name: string) => void;

export class HeapGraph {
  readonly rule: EdgeRule;
  private _retainers: Retainers | null = null;
  private _dominators: Dominators | null = null;
  private _distances: Uint32Array | null = null;
  private _ids: IdIndex | null = null;

  constructor(readonly snap: HeapSnapshot, private readonly onPhase: Phase = () => {}) {
    this.rule = new EdgeRule(snap);
  }

  get retainers(): Retainers {
    if (!this._retainers) {
      this.onPhase('retainers');
      this._retainers = buildRetainers(this.snap, this.rule);
    }
    return this._retainers;
  }

  get dominators(): Dominators {
    if (!this._dominators) {
      const retainers = this.retainers;
      this.onPhase('dominators');
      this._dominators = computeDominators(this.snap, retainers, this.rule);
    }
    return this._dominators;
  }

  get distances(): Uint32Array {
    if (!this._distances) {
      this.onPhase('distances');
      this._distances = computeDistances(this.snap, this.rule);
    }
    return this._distances;
  }

  get ids(): IdIndex {
    if (!this._ids) {
      this.onPhase('ids');
      this._ids = new IdIndex(this.snap);
    }
    return this._ids;
  }
}
