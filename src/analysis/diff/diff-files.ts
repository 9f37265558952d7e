/**
 * `diff` over files: loads them one at a time, so at most one whole snapshot is in memory — every one but the last
 * is reduced to its digest (and detector samples) and dropped, the last is kept whole for dominators and paths.
 */
import { statSync } from 'node:fs';
import { loadSnapshot } from '../heap/loader.js';
import { releaseMemory } from '../heap/release.js';
import { HeapGraph } from '../graph/heap-graph.js';
import { compareIds, digestSnapshot, type SnapshotDigest } from './digest.js';
import { placesOf, rekeySamples, sampledHolders, uniquePlaces } from './match.js';
import { collectSamples } from '../detectors/index.js';
import { diffSnapshots, type DiffInput, type DiffOptions, type DiffResult } from './diff.js';
import { forFile, NO_PROGRESS, type PhaseName, type Progress } from '../../common/progress.js';
import { SourceMapper } from '../../common/sourcemaps.js';

export interface DiffFilesOptions extends DiffOptions {
  /** when each snapshot was taken (default: the files' modification times) */
  times?: Array<number | null>;
  progress?: Progress;
  /** read locations through the scripts' source maps (default true; --no-source-maps) */
  sourceMaps?: boolean;
  /** when the snapshots' ids cannot be compared, match holders by their place in the heap (default true) */
  matchByPlace?: boolean;
}

/**
 * Loads the files one at a time (at most one whole snapshot in memory): every one but the last is reduced to its
 * digest, the last is kept whole for dominators and paths.
 */
export async function diffFiles(files: string[], options: DiffFilesOptions): Promise<DiffResult> {
  const progress = options.progress ?? NO_PROGRESS;
  // one mapper for the series: every snapshot's locations read the same way (detector keys compare across them)
  const mapper = options.sourceMaps === false ? null : new SourceMapper();
  const load = async (k: number, what?: PhaseName) => {
    const fileProgress = forFile(progress, { index: k + 1, count: files.length });
    if (what) fileProgress.phase(what);
    const snap = await loadSnapshot(files[k], { progress: fileProgress });
    snap.locationMapper = mapper;
    return { snap, fileProgress };
  };
  const digests: SnapshotDigest[] = [];
  for (let k = 0; k < files.length - 1; k++) {
    const { snap, fileProgress } = await load(k);
    fileProgress.phase('digest');
    const digest = digestSnapshot(snap, files[k]);
    digest.detectors = collectSamples(snap);
    digests.push(digest);
    releaseMemory(); // that snapshot is unreachable now: free its arrays before the next one is read
  }
  const k = files.length - 1;
  let { snap, fileProgress } = await load(k);
  let graph = new HeapGraph(snap, fileProgress);
  const lastDigest = digestSnapshot(snap, files[k], graph.ids);
  lastDigest.detectors = collectSamples(snap);
  const all = [...digests, lastDigest];
  const comparable = all.slice(1).every((d, i) => compareIds(all[i], d).comparable);
  let matched: DiffInput['matched'];
  if (!comparable && options.matchByPlace !== false) {
    // separate sessions or restarts: the holders are matched by their place in the heap, one snapshot in memory at
    // a time (the last is let go while the others are keyed, then read again)
    const lastByPlace = uniquePlaces(placesOf(graph, sampledHolders(lastDigest.detectors)));
    graph = null as unknown as HeapGraph;
    snap = null as unknown as typeof snap;
    releaseMemory();
    let holders = 0;
    let found = 0;
    for (let j = 0; j < digests.length; j++) {
      const earlier = await load(j, 'matching holders by place');
      const g = new HeapGraph(earlier.snap, earlier.fileProgress);
      const ids = sampledHolders(digests[j].detectors ?? {});
      const r = rekeySamples(digests[j].detectors ?? {}, placesOf(g, ids), lastByPlace);
      digests[j].detectors = r.samples;
      holders += ids.size;
      found += r.matched;
      releaseMemory();
    }
    ({ snap, fileProgress } = await load(k));
    graph = new HeapGraph(snap, fileProgress);
    matched = { by: 'place', holders, found, unique: lastByPlace[0]?.size ?? 0 };
  }
  return diffSnapshots({ digests, last: graph, lastDigest, files, times: options.times ?? files.map(modifiedAt), matched }, options);
}

/** When a snapshot file was written (its modification time), or null. */
function modifiedAt(file: string): number | null {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}
