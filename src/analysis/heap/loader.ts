/**
 * Streams a `.heapsnapshot` file from disk through the tokenizer, in large chunks, into a HeapSnapshot.
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { printable } from '../../common/text.js';
import { SnapshotFormatError, UserError } from '../../common/errors.js';
import { HeapSnapshot } from './snapshot.js';
import { SnapshotTokenizer, type RawSnapshot } from './tokenizer.js';
import { parseThreads, SectionWorkers } from './parallel.js';
import { STAGING_RECORDS } from './numbers.js';
import { NO_PROGRESS, type Progress } from '../../common/progress.js';

export const READ_CHUNK_BYTES = 8 * 1024 * 1024;

export interface LoadOptions {
  progress?: Progress;
  chunkBytes?: number;
  /** 1: read everything on this thread; more: the nodes and edges sections in worker threads (parallel.ts); default by size and cores */
  threads?: number;
  /** node / edge records staged between reading and keeping them (numbers.ts; tests use a few, to cross many flushes) */
  stagingRecords?: number;
}

/** Turns file-system errors into one-line user errors. */
export function fileError(file: string, err: unknown): UserError {
  const path = printable(file);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new UserError(`${path}: no such file`, { suggestion: 'check the path' });
  if (code === 'EISDIR') return new UserError(`${path}: is a directory, not a heap snapshot file`);
  if (code === 'EACCES' || code === 'EPERM') return new UserError(`${path}: permission denied`);
  return new UserError(`${path}: cannot read (${code ?? (err as Error)?.message ?? String(err)})`, { cause: err });
}

export async function loadSnapshot(path: string, options: LoadOptions = {}): Promise<HeapSnapshot> {
  // what the path names is checked before it is opened: opening a named pipe blocks until a writer comes (forever),
  // and a device may never end; O_NONBLOCK covers a swap between the check and the open
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw Object.assign(new Error('dir'), { code: 'EISDIR' });
    if (!st.isFile())
      throw new UserError(
        `${printable(path)}: ${st.isFIFO() ? 'a named pipe' : st.isSocket() ? 'a socket' : 'a device'}, not a heap snapshot file`,
      );
  } catch (err) {
    throw err instanceof UserError ? err : fileError(path, err);
  }
  let handle: Awaited<ReturnType<typeof open>>;
  let workers: SectionWorkers | null = null;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const st2 = await handle.stat();
    if (st2.isDirectory()) throw fileError(path, Object.assign(new Error('dir'), { code: 'EISDIR' }));
    if (!st2.isFile()) throw new UserError(`${printable(path)}: not a regular file`);
    const total = st2.size;
    if (total === 0) throw new SnapshotFormatError('the file is empty', undefined, path);
    // two buffers: the next read runs in the thread pool while this chunk is tokenized
    const size = Math.max(1024 * 1024, options.chunkBytes ?? READ_CHUNK_BYTES);
    const stagingRecords = options.stagingRecords ?? STAGING_RECORDS;
    workers = parseThreads(total, options.threads) > 1 ? new SectionWorkers(handle.fd, size, stagingRecords) : null;
    const tokenizer = new SnapshotTokenizer({ expectedBytes: total, stagingRecords, ...(workers ? { delegate: workers } : {}) });
    const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
    const progress = options.progress ?? NO_PROGRESS;
    progress.phase('read');
    const readAt = (k: number, position: number) => {
      const p = handle.read(buffers[k % 2], 0, size, position).catch((err: unknown) => {
        throw fileError(path, err);
      });
      p.catch(() => {}); // a read left in flight when the tokenizer throws must not become an unhandled rejection
      return p;
    };
    let raw: RawSnapshot | null = null;
    let mainError: unknown;
    try {
      let position = 0;
      let k = 0;
      let pending = readAt(k, position);
      for (;;) {
        const { bytesRead } = await pending;
        if (bytesRead === 0) break;
        const chunk = buffers[k % 2];
        position += bytesRead;
        k++;
        pending = readAt(k, position);
        tokenizer.write(bytesRead === size ? chunk : chunk.subarray(0, bytesRead));
        progress.bytes(position, total);
      }
      raw = tokenizer.end();
    } catch (err) {
      if (!workers) throw err;
      mainError = err;
    }
    progress.phase('index');
    if (workers) {
      // the sections the workers read: their errors, in file order with the main thread's, and their index passes
      const checked = await workers.finish(mainError);
      if (!raw || !checked) throw new Error('the parse workers did not finish their sections');
      raw.checked = checked;
    }
    return new HeapSnapshot(raw as RawSnapshot);
  } catch (err) {
    if (err instanceof SnapshotFormatError && !err.file) throw err.inFile(path);
    throw err;
  } finally {
    await workers?.terminate();
    await handle.close();
  }
}
