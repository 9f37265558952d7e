import { HeapSnapshot } from '../../src/analysis/heap/snapshot.js';
import { SnapshotTokenizer } from '../../src/analysis/heap/tokenizer.js';
import { HeapGraph } from '../../src/analysis/graph/heap-graph.js';

/**
 * Parses snapshot text through the tokenizer, in chunks of the given sizes (cycled), into a HeapSnapshot;
 * `stagingRecords`: node / edge records staged between the reader and its sink (default: the loader's).
 */
export function parseText(text: string | Buffer, chunkSizes: number[] = [1 << 20], stagingRecords?: number): HeapSnapshot {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const t = new SnapshotTokenizer({ expectedBytes: bytes.length, ...(stagingRecords ? { stagingRecords } : {}) });
  let at = 0;
  let k = 0;
  while (at < bytes.length) {
    const size = chunkSizes[k++ % chunkSizes.length];
    t.write(bytes.subarray(at, at + size));
    at += size;
  }
  return new HeapSnapshot(t.end());
}

export function graphOf(text: string | Buffer): HeapGraph {
  return new HeapGraph(parseText(text));
}
