/**
 * The detectors, run over a series of snapshots: collect() on every snapshot while it is loaded, judge() at the
 * end with the last snapshot's graph. Findings that describe the same leak twice are merged here: a timer's or a
 * listener's callback is also a growing closure; a specific finding wins over the generic one.
 */
import type { HeapSnapshot } from '../heap/snapshot.js';
import { chainsDetector } from './chains.js';
import { closuresDetector } from './closures.js';
import { collectionsDetector } from './collections.js';
import { listenersDetector } from './listeners.js';
import { promisesDetector } from './promises.js';
import { timersDetector } from './timers.js';
import type { Detector, DetectorFinding, JudgeContext } from './types.js';

export type { DetectorFinding } from './types.js';

// biome-ignore lint/suspicious/noExplicitAny: each detector has its own sample type; the list holds them all
export const DETECTORS: Array<Detector<any>> = [
  collectionsDetector,
  timersDetector,
  listenersDetector,
  closuresDetector,
  chainsDetector,
  promisesDetector,
];

/** each detector's sample of one snapshot, by detector id */
export type DetectorSamples = Record<string, unknown>;

export function collectSamples(snap: HeapSnapshot): DetectorSamples {
  const out: DetectorSamples = {};
  for (const d of DETECTORS) out[d.id] = d.collect(snap);
  return out;
}

export function runDetectors(series: DetectorSamples[], ctx: JudgeContext): DetectorFinding[] {
  const all: DetectorFinding[] = [];
  for (const d of DETECTORS) {
    const samples = series.map((s) => s[d.id]);
    if (samples.some((s) => s === undefined)) continue;
    all.push(...d.judge(samples, ctx));
  }
  // a closure finding at the location of a timer's or listener's callback is the same leak
  const callbackAt = new Set(
    all
      .filter((f) => f.kind === 'timer' || f.kind === 'listener')
      .map((f) => (f.location ? `${f.location.file}:${f.location.line}:${f.location.column}` : '')),
  );
  // and so is the growing array that holds an emitter's listeners (emitter -> _events -> [listeners])
  const emitters = new Set(all.filter((f) => f.kind === 'listener').map((f) => f.representative));
  const underEmitter = (n: number) => {
    for (let a = n, k = 0; k < 3 && a !== ctx.last.snap.rootIndex; k++) {
      a = ctx.last.dominators.idom[a];
      if (emitters.has(a)) return true;
    }
    return false;
  };
  return all.filter((f) => {
    if (f.kind === 'closure' && f.location && callbackAt.has(`${f.location.file}:${f.location.line}:${f.location.column}`)) return false;
    if (f.kind === 'growing-collection' && underEmitter(f.representative)) return false;
    return true;
  });
}
