/**
 * A parse worker (parallel.ts): reads one number section (nodes or edges) of the snapshot file the main thread opened, from the byte after
 * its '[' to its ']', straight into the shared array the main thread allocated, then runs that section's checks and
 * index pass (validate.ts). Posts one message: what it found, or the error (message and byte offset).
 */
import { readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { SnapshotFormatError } from '../../errors.js';
import type { Layout } from './layout.js';
import { NumberArrayReader, type FixedSize } from './numbers.js';
import { indexEdges, indexNodes } from './validate.js';

export interface ParseJob {
  /** the main thread's descriptor of the file (threads share descriptors; positional reads leave its offset alone) */
  fd: number;
  section: 'nodes' | 'edges';
  /** file offset of the first byte after '[' */
  start: number;
  target: SharedArrayBuffer;
  /** nodes: where firstEdge goes (nodeCount + 1 entries) */
  firstEdge: SharedArrayBuffer | null;
  fixed: FixedSize;
  layout: Layout;
  nodeCount: number;
  chunkBytes: number;
}

export type ParseResult =
  | { ok: true; section: 'nodes' | 'edges'; complete: true; edgeSum: number; maxName: number }
  | { ok: true; section: 'nodes' | 'edges'; complete: false }
  | { ok: false; section: 'nodes' | 'edges'; message: string; at: number | null; format: boolean };

function run(job: ParseJob): ParseResult {
  const target = new Uint32Array(job.target);
  const reader = new NumberArrayReader(job.section, target, job.fixed);
  const buf = Buffer.allocUnsafe(job.chunkBytes);
  let position = job.start;
  while (!reader.done) {
    const got = readSync(job.fd, buf, 0, buf.length, position);
    if (got === 0) return { ok: true, section: job.section, complete: false }; // the main thread says where it ends
    reader.read(buf, 0, got, position);
    position += got;
  }
  if (job.section === 'nodes') {
    const checked = indexNodes(target, job.layout, new Uint32Array(job.firstEdge as SharedArrayBuffer));
    return { ok: true, section: 'nodes', complete: true, edgeSum: checked.edgeSum, maxName: checked.maxName };
  }
  return { ok: true, section: 'edges', complete: true, edgeSum: 0, maxName: indexEdges(target, job.layout, job.nodeCount) };
}

const job = workerData as ParseJob;
let result: ParseResult;
try {
  result = run(job);
} catch (err) {
  const format = err instanceof SnapshotFormatError;
  result = { ok: false, section: job.section, message: format ? err.detail : String((err as Error)?.message ?? err), at: format ? (err.byteOffset ?? null) : null, format };
}
parentPort?.postMessage(result);
