/**
 * A parse worker (parallel.ts): reads one number section (nodes or edges) of the snapshot file the main thread
 * opened, from the byte after its '[' to its ']', into the shared arrays the main thread allocated, through that
 * section's sink (validate.ts: the records kept in memory, checked and indexed as they come). Posts one message:
 * what it found, or the error (message and byte offset).
 */
import { readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { SnapshotFormatError } from '../../common/errors.js';
import type { Layout } from './layout.js';
import { NumberArrayReader, type FixedSize } from './numbers.js';
import { EdgeRecords, NodeRecords } from './validate.js';

export interface ParseJob {
  /** the main thread's descriptor of the file (threads share descriptors; positional reads leave its offset alone) */
  fd: number;
  section: 'nodes' | 'edges';
  /** file offset of the first byte after '[' */
  start: number;
  /** nodes: the node records and firstEdge (nodeCount + 1 entries); edges: the edge records and their types */
  records: SharedArrayBuffer;
  index: SharedArrayBuffer;
  fixed: FixedSize;
  layout: Layout;
  nodeCount: number;
  chunkBytes: number;
  stagingRecords: number;
}

export type ParseResult =
  | { ok: true; section: 'nodes' | 'edges'; complete: true; edgeSum: number; maxName: number }
  | { ok: true; section: 'nodes' | 'edges'; complete: false }
  | { ok: false; section: 'nodes' | 'edges'; message: string; at: number | null; format: boolean };

function run(job: ParseJob): ParseResult {
  const records = new Uint32Array(job.records);
  const nodes = job.section === 'nodes' ? new NodeRecords(job.layout, records, new Uint32Array(job.index)) : null;
  const edges = job.section === 'edges' ? new EdgeRecords(job.layout, records, new Uint8Array(job.index), job.nodeCount) : null;
  const reader = new NumberArrayReader(job.section, job.fixed, nodes ?? edges, job.stagingRecords);
  const buf = Buffer.allocUnsafe(job.chunkBytes);
  let position = job.start;
  while (!reader.done) {
    const got = readSync(job.fd, buf, 0, buf.length, position);
    if (got === 0) return { ok: true, section: job.section, complete: false }; // the main thread says where it ends
    reader.read(buf, 0, got, position);
    position += got;
  }
  if (nodes) {
    const checked = nodes.finish();
    return { ok: true, section: 'nodes', complete: true, edgeSum: checked.edgeSum, maxName: checked.maxName };
  }
  return { ok: true, section: 'edges', complete: true, edgeSum: 0, maxName: (edges as EdgeRecords).finish() };
}

const job = workerData as ParseJob;
let result: ParseResult;
try {
  result = run(job);
} catch (err) {
  const format = err instanceof SnapshotFormatError;
  result = {
    ok: false,
    section: job.section,
    message: format ? err.detail : String((err as Error)?.message ?? err),
    at: format ? (err.byteOffset ?? null) : null,
    format,
  };
}
parentPort?.postMessage(result);
