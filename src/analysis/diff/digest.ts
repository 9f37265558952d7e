/**
 * A snapshot's digest: what a diff keeps of every snapshot but the last — per-class counts and self sizes, and the
 * sorted object ids with a signature of each object's kind (to tell whether two snapshots' ids are comparable).
 * A few bytes per node; the snapshot itself can be dropped once its digest is taken.
 */
import { classifyNodes, type Classification } from '../heap/classes.js';
import type { HeapSnapshot } from '../heap/snapshot.js';
import { IdIndex } from '../graph/ids.js';
import type { DetectorSamples } from '../detectors/index.js';

export interface ClassAggregate {
  count: number;
  selfSize: number;
}

export interface SnapshotDigest {
  file: string;
  bytes: number;
  nodeCount: number;
  totalSize: number;
  classes: Map<string, ClassAggregate>;
  /** object ids, ascending */
  ids: Uint32Array;
  /** per id (same order): a hash of the node's type and name */
  signatures: Uint32Array;
  /** the largest odd id: V8 gives heap objects odd ids from one rising counter (embedder nodes get even ids
   * derived from addresses, which say nothing about order) */
  maxObjectId: number;
  /** the detectors' samples of this snapshot (filled by the diff) */
  detectors?: DetectorSamples;
}

/** FNV-1a over a string: a cheap, stable 32-bit signature. */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function digestSnapshot(
  snap: HeapSnapshot,
  file: string,
  ids: IdIndex = new IdIndex(snap),
  classes: Classification = classifyNodes(snap),
): SnapshotDigest {
  const { classOf, names } = classes;
  const counts = new Float64Array(names.length);
  const self = new Float64Array(names.length);
  const { nodes, nodeFieldCount: nf, nodeCount } = snap;
  const oSelf = snap.layout.nSelfSize;
  const oType = snap.layout.nType;
  const oName = snap.layout.nName;
  let total = 0;
  for (let n = 0; n < nodeCount; n++) {
    const c = classOf[n];
    const s = nodes[n * nf + oSelf];
    counts[c]++;
    self[c] += s;
    total += s;
  }
  const byName = new Map<string, ClassAggregate>();
  for (let c = 0; c < names.length; c++) if (counts[c] > 0) byName.set(names[c], { count: counts[c], selfSize: self[c] });
  // signature per node: type and name (strings are hashed once per string index; the type mixed in as its index)
  const nameHash = new Uint32Array(snap.strings.length);
  const hashed = new Uint8Array(snap.strings.length);
  const signatures = new Uint32Array(nodeCount);
  for (let k = 0; k < nodeCount; k++) {
    const n = ids.ordinals[k];
    const p = n * nf;
    const nameIdx = nodes[p + oName];
    if (hashed[nameIdx] === 0) {
      nameHash[nameIdx] = hashString(snap.strings[nameIdx]);
      hashed[nameIdx] = 1;
    }
    signatures[k] = Math.imul(nameHash[nameIdx] ^ Math.imul(nodes[p + oType] + 1, 0x9e3779b1), 0x01000193) >>> 0;
  }
  return {
    file,
    bytes: snap.byteLength,
    nodeCount,
    totalSize: total,
    classes: byName,
    ids: ids.sortedIds,
    signatures,
    maxObjectId: maxOdd(ids.sortedIds),
  };
}

function maxOdd(sorted: Uint32Array): number {
  for (let k = sorted.length - 1; k >= 0; k--) if (sorted[k] % 2 === 1) return sorted[k];
  return 0;
}

export interface IdComparability {
  comparable: boolean;
  /** ids present in both */
  common: number;
  /** of the common ids, the share whose object has the same type and name in both */
  sameKindShare: number;
  /** of the heap-object (odd) ids new in `b`, the share not above a's largest (V8 never reuses them in a process) */
  reusedShare: number;
  reason: string;
}

/**
 * Are `a` and `b` snapshots of one process, taken in this order? V8 keeps an object's id across snapshots of one
 * process and hands out new ids above every id it gave before, so: the objects both name by one id must be of the
 * same kind, and the heap-object ids new in `b` must lie above `a`'s largest.
 */
export function compareIds(a: SnapshotDigest, b: SnapshotDigest): IdComparability {
  let i = 0;
  let j = 0;
  let common = 0;
  let same = 0;
  let fresh = 0;
  let reused = 0;
  const A = a.ids;
  const B = b.ids;
  while (j < B.length) {
    const idB = B[j];
    while (i < A.length && A[i] < idB) i++;
    if (i < A.length && A[i] === idB) {
      common++;
      if (a.signatures[i] === b.signatures[j]) same++;
    } else if (idB % 2 === 1) {
      fresh++;
      if (idB <= a.maxObjectId) reused++;
    }
    j++;
  }
  const sameKindShare = common === 0 ? 0 : same / common;
  const reusedShare = fresh === 0 ? 0 : reused / fresh;
  let reason = 'object ids match: snapshots of one process';
  let comparable = true;
  if (common < Math.min(A.length, B.length) * 0.05) {
    comparable = false;
    reason = `only ${common} object ids in common: not one numbering (separate inspector sessions, restarts or different programs)`;
  } else if (sameKindShare < 0.97) {
    comparable = false;
    reason = `${((1 - sameKindShare) * 100).toFixed(1)}% of shared ids name different objects: not one numbering (separate inspector sessions, restarts or different programs)`;
  } else if (reusedShare > 0.05) {
    comparable = false;
    reason = `${(reusedShare * 100).toFixed(1)}% of new ids lie below the earlier snapshot's largest id: not one process, or out of order`;
  }
  return { comparable, common, sameKindShare, reusedShare, reason };
}
