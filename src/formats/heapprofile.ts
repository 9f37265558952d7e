/**
 * The `.heapprofile` format (V8's sampling heap profile, as HeapProfiler.getSamplingProfile returns it and Chrome
 * DevTools opens it). A bottom-layer type shared by capture (which saves it) and analysis (which compares them).
 */
export interface SamplingProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number; scriptId?: string };
  selfSize: number;
  id: number;
  children: SamplingProfileNode[];
}

export interface SamplingProfile {
  head: SamplingProfileNode;
  samples?: Array<{ size: number; nodeId: number; ordinal: number }>;
}
