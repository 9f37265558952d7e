/**
 * "Which lines allocate the memory that stays" — tracemalloc's compare_to for V8's sampling heap profiler.
 *
 * A sampling profile taken at time t lists the sampled allocations still alive at t, by call stack. Comparing the
 * first and last profile per allocation site (the innermost frame in the program's own code, not Node's internals)
 * shows the sites whose live bytes grew between windows.
 */
import type { LocationMapper } from '../heap/snapshot.js';
import type { SamplingProfile, SamplingProfileNode } from '../../formats/heapprofile.js';
import { scriptPath, shortLocation } from '../../common/format.js';
import { ANONYMOUS } from '../heap/v8.js';

export interface AllocationSite {
  functionName: string;
  /** script path (file:// stripped) */
  file: string;
  /** 1-based */
  line: number;
  column: number;
  /** when read through a source map: the compiled position */
  compiled?: { file: string; line: number; column: number };
  /** live sampled bytes in each profile */
  bytesByStep: number[];
  deltaBytes: number;
  /** the frames above it, innermost first, e.g. ["login app.js:20", "emit node:events:517"] */
  stack: string[];
}

function isProgramFrame(url: string): boolean {
  return url !== '' && !url.startsWith('node:') && !url.startsWith('internal/') && !url.includes('/node_modules/');
}

function frameText(f: SamplingProfileNode['callFrame']): string {
  return `${f.functionName || ANONYMOUS} ${shortLocation({ file: f.url, line: f.lineNumber + 1 })}`;
}

/** Live bytes per site key in one profile. */
export function liveBytesBySite(
  profile: SamplingProfile,
): Map<string, { site: Omit<AllocationSite, 'bytesByStep' | 'deltaBytes'>; bytes: number }> {
  const out = new Map<string, { site: Omit<AllocationSite, 'bytesByStep' | 'deltaBytes'>; bytes: number }>();
  // iterative walk keeping the path (no recursion: stacks can be deep)
  const stack: Array<{ node: SamplingProfileNode; path: SamplingProfileNode[] }> = [{ node: profile.head, path: [] }];
  while (stack.length) {
    const { node, path } = stack.pop() as { node: SamplingProfileNode; path: SamplingProfileNode[] };
    const here = [...path, node];
    if (node.selfSize > 0) {
      // the innermost frame of the program's own code; else the innermost frame at all
      let at = here.length - 1;
      while (at > 0 && !isProgramFrame(here[at].callFrame.url)) at--;
      if (at === 0) at = here.length - 1;
      const f = here[at].callFrame;
      const key = `${f.functionName}|${f.url}|${f.lineNumber}|${f.columnNumber}`;
      let entry = out.get(key);
      if (!entry) {
        entry = {
          site: {
            functionName: f.functionName || ANONYMOUS,
            file: scriptPath(f.url),
            line: f.lineNumber + 1,
            column: f.columnNumber + 1,
            stack: here
              .slice(Math.max(1, at - 4), at)
              .reverse()
              .map((n) => frameText(n.callFrame)),
          },
          bytes: 0,
        };
        out.set(key, entry);
      }
      entry.bytes += node.selfSize;
    }
    for (const child of node.children ?? []) stack.push({ node: child, path: here.length > 64 ? here.slice(-64) : here });
  }
  return out;
}

/** Sites whose live sampled bytes grew from the first to the last profile, most growth first. */
export function compareProfiles(profiles: SamplingProfile[], top = 10, mapper: LocationMapper | null = null): AllocationSite[] {
  if (profiles.length < 2) return [];
  const maps = profiles.map(liveBytesBySite);
  const keys = new Set<string>();
  for (const m of maps) for (const k of m.keys()) keys.add(k);
  const sites: AllocationSite[] = [];
  for (const key of keys) {
    const bytesByStep = maps.map((m) => m.get(key)?.bytes ?? 0);
    const deltaBytes = bytesByStep[bytesByStep.length - 1] - bytesByStep[0];
    if (deltaBytes <= 0) continue;
    const info = maps.find((m) => m.has(key))?.get(key)?.site;
    if (!info) continue;
    sites.push({ ...info, bytesByStep, deltaBytes });
  }
  sites.sort((a, b) => b.deltaBytes - a.deltaBytes);
  // the sites shown, read through their scripts' source maps (the original position; the compiled one beside it)
  return sites.slice(0, top).map((s) => (mapper && s.line > 0 ? mapper.map(s) : s));
}
