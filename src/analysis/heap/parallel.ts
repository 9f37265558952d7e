/**
 * The parallel loader's side of the tokenizer (SectionDelegate): the nodes and edges sections — four fifths of a
 * snapshot's bytes — are each read by a worker thread (parse-worker.ts) from the file, into SharedArrayBuffers,
 * and checked and indexed there, while the main thread reads the rest (header, strings, locations ...) and only
 * looks for the ']' that ends each of them (a native byte search). On two cores this halves the parse.
 *
 * Errors are those the one-thread parse gives, and the first one by byte offset wins, as it would there.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SnapshotFormatError } from '../../common/errors.js';
import type { Layout } from './layout.js';
import type { FixedSize } from './numbers.js';
import type { ParseJob, ParseResult } from './parse-worker.js';
import type { RecordArrays, SectionDelegate } from './tokenizer.js';
import type { RecordsChecked } from './validate.js';

/** Below this, starting threads costs more than it saves (measured: `npm run bench`). */
export const PARALLEL_MIN_BYTES = 48 * 1024 * 1024;

/** How many threads a load of this size should use: 1 (this one) or 3 (this one and one per section). */
export function parseThreads(bytes: number, requested?: number): number {
  if (requested !== undefined) return requested <= 1 ? 1 : 3;
  const env = Number(process.env.LEAKSCOPE_PARSE_THREADS);
  if (Number.isInteger(env) && env > 0) return env <= 1 ? 1 : 3;
  return bytes >= PARALLEL_MIN_BYTES && availableParallelism() >= 2 ? 3 : 1;
}

const FROM_SOURCES = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCES ? './parse-worker.ts' : './parse-worker.js', import.meta.url);

function startWorker(job: ParseJob): Worker {
  const options = { workerData: job, stdout: false, stderr: false };
  // run from the TypeScript sources (the tests, bin/dev.js): the worker loads them through tsx, as this thread does
  if (FROM_SOURCES)
    return new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`, {
      ...options,
      eval: true,
    });
  return new Worker(WORKER_URL, options);
}

export class SectionWorkers implements SectionDelegate {
  private readonly jobs: Array<{ worker: Worker; result: Promise<ParseResult> }> = [];

  constructor(
    private readonly fd: number,
    private readonly chunkBytes: number,
    private readonly stagingRecords: number,
  ) {}

  allocate(bytes: number): SharedArrayBuffer {
    return new SharedArrayBuffer(bytes);
  }

  begin(section: 'nodes' | 'edges', start: number, arrays: RecordArrays, fixed: FixedSize, layout: Layout, nodeCount: number): void {
    const [records, index] = section === 'nodes' ? [arrays.nodes, arrays.firstEdge] : [arrays.edges, arrays.edgeTypeOf];
    const job: ParseJob = {
      fd: this.fd,
      section,
      start,
      records: records.buffer as SharedArrayBuffer,
      index: index.buffer as SharedArrayBuffer,
      fixed,
      layout,
      nodeCount,
      chunkBytes: this.chunkBytes,
      stagingRecords: this.stagingRecords,
    };
    const worker = startWorker(job);
    const result = new Promise<ParseResult>((resolve) => {
      worker.once('message', (m: ParseResult) => resolve(m));
      worker.once('error', (err) =>
        resolve({ ok: false, section, message: `the ${section} reader failed: ${err.message}`, at: null, format: false }),
      );
      worker.once('exit', (code) =>
        resolve({ ok: false, section, message: `the ${section} reader stopped (exit ${code})`, at: null, format: false }),
      );
    });
    this.jobs.push({ worker, result });
  }

  /**
   * Waits for the workers. `mainError` is what the main thread's tokenizer threw, if anything: an error a worker
   * met earlier in the file wins over it, as in a one-thread parse. Returns what the workers checked.
   */
  async finish(mainError: unknown): Promise<RecordsChecked | null> {
    const results = await Promise.all(this.jobs.map((j) => j.result));
    const formatErrors = results.filter((r): r is Extract<ParseResult, { ok: false }> => !r.ok && r.format);
    const withOffset = formatErrors.filter((r) => r.at !== null).sort((a, b) => (a.at as number) - (b.at as number));
    const mainAt = mainError instanceof SnapshotFormatError ? mainError.byteOffset : undefined;
    const first = withOffset[0];
    if (first && (mainError === undefined || (mainAt !== undefined && (first.at as number) < mainAt)))
      throw new SnapshotFormatError(first.message, first.at as number);
    if (mainError !== undefined) throw mainError;
    const broken = results.find((r): r is Extract<ParseResult, { ok: false }> => !r.ok && !r.format);
    if (broken) throw new Error(broken.message);
    // checks without an offset (types, targets) come after every tokenizing error: nodes first, as on one thread
    const check = formatErrors.find((r) => r.at === null && r.section === 'nodes') ?? formatErrors.find((r) => r.at === null);
    if (check) throw new SnapshotFormatError(check.message);
    const nodes = results.find((r) => r.section === 'nodes');
    const edges = results.find((r) => r.section === 'edges');
    if (!nodes?.ok || !edges?.ok || !nodes.complete || !edges.complete) return null;
    return { nodes: { edgeSum: nodes.edgeSum, maxName: nodes.maxName }, edgeMaxName: edges.maxName };
  }

  /** Stops any worker still running (an error elsewhere, an interrupt). */
  async terminate(): Promise<void> {
    await Promise.all(this.jobs.map((j) => j.worker.terminate().catch(() => 0)));
  }
}
