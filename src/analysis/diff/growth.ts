/**
 * Per-class growth across snapshots (objgraph's `growth()`): counts and self sizes per class at every snapshot,
 * and whether a class rose above its previous peak at every step. With object ids that cannot be compared, the
 * steadily growing classes are all a diff can report (no holder, no path).
 */
import type { SnapshotDigest } from './digest.js';
import { risesEveryStep, type Finding } from '../findings/findings.js';
import { isV8InternalClass } from '../heap/v8.js';

export interface ClassGrowth {
  name: string;
  countByStep: number[];
  bytesByStep: number[];
  deltaCount: number;
  deltaBytes: number;
  /** grew above its previous peak at every step (3+ snapshots) */
  monotonic: boolean;
}

export function classGrowth(digests: SnapshotDigest[]): ClassGrowth[] {
  const names = new Set<string>();
  for (const d of digests) for (const k of d.classes.keys()) names.add(k);
  const out: ClassGrowth[] = [];
  for (const name of names) {
    const countByStep = digests.map((d) => d.classes.get(name)?.count ?? 0);
    const bytesByStep = digests.map((d) => d.classes.get(name)?.selfSize ?? 0);
    const deltaCount = countByStep[countByStep.length - 1] - countByStep[0];
    const deltaBytes = bytesByStep[bytesByStep.length - 1] - bytesByStep[0];
    const monotonic = digests.length >= 3 && risesEveryStep(countByStep);
    if (deltaCount !== 0 || deltaBytes !== 0) out.push({ name, countByStep, bytesByStep, deltaCount, deltaBytes, monotonic });
  }
  out.sort((a, b) => b.deltaBytes - a.deltaBytes || b.deltaCount - a.deltaCount || a.name.localeCompare(b.name));
  return out;
}

/** The fallback when ids are not comparable: the program's classes that grew at every step, as suspects. */
export function classGrowthFindings(classes: ClassGrowth[], options: { top: number; minObjects: number; minBytes: number }): Finding[] {
  const findings: Finding[] = [];
  for (const c of classes) {
    if (findings.length >= options.top) break;
    if (
      !c.monotonic ||
      isV8InternalClass(c.name) ||
      c.name.startsWith('(') ||
      c.deltaCount < options.minObjects ||
      c.deltaBytes < options.minBytes
    )
      continue;
    findings.push({
      kind: 'class-growth',
      name: c.name,
      holderClass: '',
      itemClass: c.name,
      retainerPath: [],
      pathText: '',
      location: null,
      countByStep: c.countByStep,
      bytesByStep: c.bytesByStep,
      newObjects: c.deltaCount,
      newBytes: c.deltaBytes,
      growthBytes: Math.max(0, c.deltaBytes),
      status: 'suspect',
      statusReason: '',
      evidence: [],
      severity: 'low',
      confidence: 0.3,
      hint:
        `objects of this kind are created and kept, and the snapshots cannot say who holds them (their object ` +
        `ids do not match): take them in one session — leakscope attach <pid> — to see the holder and its retainer ` +
        `path`,
      summary: `${c.name}: ${c.countByStep.join(' → ')} objects (ids not comparable: no retainer path)`,
    });
  }
  return findings;
}
