/**
 * `diff` over files: loads them one at a time, so at most one whole snapshot is in memory — every one but the last
 * is reduced to its digest (and detector samples) and dropped, the last is kept whole for dominators and paths.
 */
import { statSync } from 'node:fs';
import { loadSnapshot } from './heap/loader.js';
import { releaseMemory } from './heap/release.js';
import { HeapGraph } from './graph/heap-graph.js';
import { digestSnapshot, type SnapshotDigest } from './digest.js';
import { collectSamples } from './detectors/index.js';
import { diffSnapshots, type DiffOptions, type DiffResult } from './diff.js';
import { forFile, NO_PROGRESS, type Progress } from '../progress.js';
import { SourceMapper } from '../sourcemaps.js';

export interface DiffFilesOptions extends DiffOptions {
  /** when each snapshot was taken (default: the files' modification times) */
  times?: Array<number | null>;
  progress?: Progress;
  /** read locations through the scripts' source maps (default true; --no-source-maps) */
  sourceMaps?: boolean;
}

/**
 * Loads the files one at a time (at most one whole snapshot in memory): every one but the last is reduced to its
 * digest, the last is kept whole for dominators and paths.
 */
export async function diffFiles(files: string[], options: DiffFilesOptions): Promise<DiffResult> {
  const progress = options.progress ?? NO_PROGRESS;
  // one mapper for the series: every snapshot's locations read the same way (detector keys compare across them)
  const mapper = options.sourceMaps === false ? null : new SourceMapper();
  const digests: SnapshotDigest[] = [];
  const digestFile = async (k: number): Promise<SnapshotDigest> => {
    const fileProgress = forFile(progress, { index: k + 1, count: files.length });
    const snap = await loadSnapshot(files[k], { progress: fileProgress });
    snap.locationMapper = mapper;
    fileProgress.phase('digest');
    const digest = digestSnapshot(snap, files[k]);
    digest.detectors = collectSamples(snap);
    return digest;
  };
  for (let k = 0; k < files.length - 1; k++) {
    digests.push(await digestFile(k));
    releaseMemory(); // that snapshot is unreachable now: free its arrays before the next one is read
  }
  const k = files.length - 1;
  const lastProgress = forFile(progress, { index: k + 1, count: files.length });
  const snap = await loadSnapshot(files[k], { progress: lastProgress });
  snap.locationMapper = mapper;
  const graph = new HeapGraph(snap, lastProgress);
  return diffSnapshots({ digests, last: graph, files, times: options.times ?? files.map(modifiedAt) }, options);
}

/** When a snapshot file was written (its modification time), or null. */
function modifiedAt(file: string): number | null {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}
