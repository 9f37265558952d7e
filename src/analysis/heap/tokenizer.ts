/**
 * A push tokenizer for V8 `.heapsnapshot` JSON.
 *
 * Feed it the file's bytes in chunks of any size (`write`), then call `end`. It never holds the file, nor any
 * section of it, as one string: numbers go straight from bytes into typed arrays (preallocated from
 * `node_count` / `edge_count`), each string of the `strings` section is decoded on its own from its bytes (so a
 * multi-byte UTF-8 character split across two chunks survives), and only the small `snapshot` header is handed to
 * JSON.parse. Errors are SnapshotFormatError with the byte offset where the problem was seen.
 *
 * The chunk passed to `write` may be reused by the caller once `write` returns: every byte kept is copied.
 */
import { SnapshotFormatError } from '../../common/errors.js';
import { readLayout, type Layout, type SnapshotHeader } from './layout.js';
import { describeByte, NumberArrayReader, STAGING_RECORDS, type FixedSize } from './numbers.js';
import { EdgeRecords, NodeRecords, type RecordsChecked } from './validate.js';

export interface RawSnapshot {
  header: SnapshotHeader;
  layout: Layout;
  /** node records as kept in memory (layout.ts), `layout.nodeFieldCount` numbers each */
  nodes: Uint32Array;
  /** edge records as kept in memory: name_or_index, then to_node as a node ordinal */
  edges: Uint32Array;
  /** each edge's type */
  edgeTypeOf: Uint8Array;
  /** forward index: the edges of node n are firstEdge[n] .. firstEdge[n+1]-1 */
  firstEdge: Uint32Array;
  strings: string[];
  locations: Uint32Array;
  samples: Uint32Array;
  traceFunctionInfos: Uint32Array;
  /** The nested allocation trace tree, when the snapshot was taken with allocation tracking; else null. */
  traceTree: unknown[] | null;
  /** Non-fatal oddities (unknown sections skipped, oversized trace tree dropped ...). */
  warnings: string[];
  byteLength: number;
  /** what reading the nodes and edges checked (validate.ts): by the tokenizer, or by the parallel loader's workers */
  checked: RecordsChecked | null;
}

const MAX_U32 = 0xffffffff;
/** The header is a few kB; anything above this is not a V8 snapshot header. */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;
/** The trace tree is kept as parsed JSON; past this size it is dropped with a warning. */
const MAX_TRACE_TREE_BYTES = 256 * 1024 * 1024;

// top-level states
const T_BEGIN = 0;
const T_KEY_OR_END = 1;
const T_KEY = 2;
const T_COLON = 3;
const T_VALUE = 4;
const T_NUMBERS = 5;
const T_STRINGS = 6;
const T_CAPTURE = 7;
const T_COMMA_OR_END = 8;
const T_DONE = 9;
const T_SKIP = 10; // a number array another thread reads: only its end is looked for

// string-array states
const S_FIRST = 0;
const S_IN = 1;
const S_AFTER = 2;
const S_NEXT = 3;

const NUMERIC_SECTIONS = new Set(['nodes', 'edges', 'locations', 'samples', 'trace_function_infos']);

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** The arrays the nodes and edges sections are read into. */
export interface RecordArrays {
  nodes: Uint32Array;
  edges: Uint32Array;
  edgeTypeOf: Uint8Array;
  firstEdge: Uint32Array;
}

/** The nodes and edges sections read by other threads (parallel.ts): the tokenizer hands them over and skips them. */
export interface SectionDelegate {
  /** memory for the node and edge arrays (shared, so that the other threads can fill them) */
  allocate(bytes: number): ArrayBufferLike;
  /** the section's numbers start at byte `start` of the input (just after its '[') */
  begin(section: 'nodes' | 'edges', start: number, arrays: RecordArrays, fixed: FixedSize, layout: Layout, nodeCount: number): void;
}

export interface TokenizerOptions {
  /** The total size of the input when known: counts in the header that could not fit in it are rejected early. */
  expectedBytes?: number;
  /** read the nodes and edges sections elsewhere; the tokenizer only finds where they end */
  delegate?: SectionDelegate;
  /** node / edge records staged between the reader and its sink (tests use a few, to cross many flushes) */
  stagingRecords?: number;
}

export class SnapshotTokenizer {
  private state = T_BEGIN;
  private base = 0; // bytes consumed before the current chunk
  private firstKey = true;
  private key = '';
  private keyParts: Buffer[] = [];
  private keyEscape = false;
  private readonly seen = new Set<string>();
  private readonly expectedBytes?: number;
  private readonly delegate?: SectionDelegate;

  // header + sections
  private header: SnapshotHeader | null = null;
  private layout: Layout | null = null;
  private arrays: RecordArrays | null = null;
  private nodeRecords: NodeRecords | null = null;
  private edgeRecords: EdgeRecords | null = null;
  private readonly stagingRecords: number;
  private locations: Uint32Array = new Uint32Array(0);
  private samples: Uint32Array = new Uint32Array(0);
  private traceFunctionInfos: Uint32Array = new Uint32Array(0);
  private traceTree: unknown[] | null = null;
  private readonly strings: string[] = [];
  private readonly warnings: string[] = [];

  // number array in progress (or skipped)
  private num: NumberArrayReader | null = null;
  private numSection = '';

  // string array in progress
  private strState = S_FIRST;
  private strEscape = false;
  private strHasEscape = false;
  private strParts: Buffer[] = [];

  // generic value capture (header, trace_tree) or skip (unknown sections)
  private capDepth = 0;
  private capInString = false;
  private capEscape = false;
  private capScalar = false;
  private capKeep = false;
  private capBytes = 0;
  private capLimit = 0;
  private capStart = 0;
  private capParts: Buffer[] = [];

  constructor(options: TokenizerOptions = {}) {
    this.expectedBytes = options.expectedBytes;
    this.delegate = options.delegate;
    this.stagingRecords = options.stagingRecords ?? STAGING_RECORDS;
  }

  /** Bytes consumed so far. */
  get bytesRead(): number {
    return this.base;
  }

  private fail(message: string, at: number): never {
    throw new SnapshotFormatError(message, at);
  }

  write(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const end = buf.length;
    let i = 0;
    while (i < end) {
      switch (this.state) {
        case T_BEGIN: {
          const c = buf[i];
          if (isWs(c)) {
            i++;
            break;
          }
          // a UTF-8 byte order mark is tolerated at the very start
          if (this.base + i === 0 && c === 0xef && end >= 3 && buf[1] === 0xbb && buf[2] === 0xbf) {
            i += 3;
            break;
          }
          if (c !== 123) this.fail(`expected '{' at the start, found ${describeByte(c)}`, this.base + i);
          this.state = T_KEY_OR_END;
          this.firstKey = true;
          i++;
          break;
        }
        case T_KEY_OR_END: {
          const c = buf[i];
          if (isWs(c)) {
            i++;
            break;
          }
          if (c === 125 && this.firstKey) {
            this.state = T_DONE;
            i++;
            break;
          }
          if (c !== 34) this.fail(`expected a key, found ${describeByte(c)}`, this.base + i);
          this.state = T_KEY;
          this.keyParts = [];
          this.keyEscape = false;
          i++;
          break;
        }
        case T_KEY:
          i = this.readKey(buf, i, end);
          break;
        case T_COLON: {
          const c = buf[i];
          if (isWs(c)) {
            i++;
            break;
          }
          if (c !== 58) this.fail(`expected ':' after key "${this.key}", found ${describeByte(c)}`, this.base + i);
          this.state = T_VALUE;
          i++;
          break;
        }
        case T_VALUE: {
          const c = buf[i];
          if (isWs(c)) {
            i++;
            break;
          }
          this.beginValue(c, this.base + i);
          if ((this.state as number) !== T_CAPTURE) i++; // capture scans the opening byte itself
          break;
        }
        case T_NUMBERS: {
          const num = this.num as NumberArrayReader;
          i = num.read(buf, i, end, this.base);
          if (num.done) this.endNumbers(num);
          break;
        }
        case T_SKIP: {
          // a number array has no ']' inside: the first one ends it (the thread reading it checks the rest)
          const j = buf.indexOf(93, i);
          if (j < 0) i = end;
          else {
            i = j + 1;
            this.state = T_COMMA_OR_END;
          }
          break;
        }
        case T_STRINGS:
          i = this.readStrings(buf, i, end);
          break;
        case T_CAPTURE:
          i = this.readCapture(buf, i, end);
          break;
        case T_COMMA_OR_END: {
          const c = buf[i];
          if (isWs(c)) {
            i++;
            break;
          }
          if (c === 44) {
            this.state = T_KEY_OR_END;
            this.firstKey = false;
            i++;
            break;
          }
          if (c === 125) {
            this.state = T_DONE;
            i++;
            break;
          }
          this.fail(`expected ',' or '}' after the "${this.key}" section, found ${describeByte(c)}`, this.base + i);
          break;
        }
        case T_DONE: {
          const c = buf[i];
          if (!isWs(c) && c !== 0) this.fail(`unexpected ${describeByte(c)} after the end of the snapshot`, this.base + i);
          i++;
          break;
        }
      }
    }
    this.base += end;
  }

  private readKey(buf: Buffer, start: number, end: number): number {
    let i = start;
    let esc = this.keyEscape;
    for (; i < end; i++) {
      const c = buf[i];
      if (esc) {
        esc = false;
        continue;
      }
      if (c === 92) {
        esc = true;
        continue;
      }
      if (c === 34) break;
    }
    this.keyEscape = esc;
    if (i - start > 0) this.keyParts.push(Buffer.from(buf.subarray(start, i)));
    if (i === end) {
      if (this.keyParts.reduce((n, p) => n + p.length, 0) > 4096) this.fail('a key longer than 4096 bytes', this.base + i);
      return i;
    }
    const raw = Buffer.concat(this.keyParts).toString('utf8');
    try {
      this.key = JSON.parse(`"${raw}"`) as string;
    } catch {
      this.fail('a key that is not a valid JSON string', this.base + i);
    }
    if (this.seen.has(this.key)) this.fail(`the "${this.key}" section appears twice`, this.base + i);
    this.seen.add(this.key);
    this.state = T_COLON;
    return i + 1;
  }

  private beginValue(c: number, at: number): void {
    const key = this.key;
    if (key === 'snapshot') {
      if (c !== 123) this.fail(`"snapshot" is not an object`, at);
      this.beginCapture(true, MAX_HEADER_BYTES, at);
      return;
    }
    if (NUMERIC_SECTIONS.has(key)) {
      if (c !== 91) this.fail(`"${key}" is not an array`, at);
      this.beginNumbers(key, at);
      return;
    }
    if (key === 'strings') {
      if (c !== 91) this.fail(`"strings" is not an array`, at);
      if (!this.header) this.fail('"strings" comes before the "snapshot" header', at);
      this.state = T_STRINGS;
      this.strState = S_FIRST;
      return;
    }
    if (key === 'trace_tree') {
      this.beginCapture(true, MAX_TRACE_TREE_BYTES, at);
      return;
    }
    this.warnings.push(`unknown section "${key}" skipped`);
    this.beginCapture(false, Number.POSITIVE_INFINITY, at);
  }

  private beginNumbers(key: string, at: number): void {
    const header = this.header;
    const layout = this.layout;
    if (!header || !layout) this.fail(`"${key}" comes before the "snapshot" header`, at);
    this.numSection = key;
    if (key === 'nodes' || key === 'edges') {
      const fixed: FixedSize =
        key === 'nodes'
          ? { countName: 'node_count', declared: header.node_count, per: layout.file.nodeFieldCount }
          : { countName: 'edge_count', declared: header.edge_count, per: layout.file.edgeFieldCount };
      const arrays = this.arrays as RecordArrays;
      if (this.delegate) {
        this.delegate.begin(key, at + 1, arrays, fixed, layout, header.node_count);
        this.num = null;
        this.state = T_SKIP;
        return;
      }
      const sink =
        key === 'nodes'
          ? (this.nodeRecords = new NodeRecords(layout, arrays.nodes, arrays.firstEdge))
          : (this.edgeRecords = new EdgeRecords(layout, arrays.edges, arrays.edgeTypeOf, header.node_count));
      this.num = new NumberArrayReader(key, fixed, sink, this.stagingRecords);
    } else {
      this.num = new NumberArrayReader(key);
    }
    this.state = T_NUMBERS;
  }

  private endNumbers(num: NumberArrayReader): void {
    const key = num.section;
    if (key === 'locations') this.locations = num.numbers();
    else if (key === 'samples') this.samples = num.numbers();
    else if (key === 'trace_function_infos') this.traceFunctionInfos = num.numbers();
    this.num = null;
    this.state = T_COMMA_OR_END;
  }

  private readStrings(buf: Buffer, start: number, end: number): number {
    let i = start;
    while (i < end) {
      const st = this.strState;
      if (st === S_IN) {
        const s = i;
        let esc = this.strEscape;
        let hasEsc = this.strHasEscape;
        for (; i < end; i++) {
          const c = buf[i];
          if (esc) {
            esc = false;
            continue;
          }
          if (c === 92) {
            esc = true;
            hasEsc = true;
            continue;
          }
          if (c === 34) break;
        }
        this.strEscape = esc;
        this.strHasEscape = hasEsc;
        if (i === end) {
          if (i > s) this.strParts.push(Buffer.from(buf.subarray(s, i)));
          return i;
        }
        let value: string;
        if (this.strParts.length === 0) value = this.decodeString(buf, s, i, hasEsc);
        else {
          this.strParts.push(Buffer.from(buf.subarray(s, i)));
          const whole = Buffer.concat(this.strParts);
          this.strParts = [];
          value = this.decodeString(whole, 0, whole.length, hasEsc);
        }
        this.strings.push(value);
        this.strState = S_AFTER;
        i++;
        continue;
      }
      const c = buf[i];
      if (c === 32 || c === 10 || c === 13 || c === 9) {
        i++;
        continue;
      }
      if (c === 34 && st !== S_AFTER) {
        this.strState = S_IN;
        this.strEscape = false;
        this.strHasEscape = false;
        i++;
        continue;
      }
      if (c === 44 && st === S_AFTER) {
        this.strState = S_NEXT;
        i++;
        continue;
      }
      if (c === 93 && st !== S_NEXT) {
        this.state = T_COMMA_OR_END;
        return i + 1;
      }
      this.fail(`unexpected ${describeByte(c)} in the "strings" array`, this.base + i);
    }
    return i;
  }

  private decodeString(buf: Buffer, s: number, e: number, hasEscape: boolean): string {
    try {
      if (!hasEscape) return buf.toString('utf8', s, e);
      return JSON.parse(`"${buf.toString('utf8', s, e)}"`) as string;
    } catch (err) {
      // longer than any string a V8 heap can hold (buffer.constants.MAX_STRING_LENGTH): not a real snapshot
      if ((err as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG' || err instanceof RangeError) {
        return this.fail(`string #${this.strings.length} is ${e - s} bytes long, more than a V8 heap can hold`, this.base);
      }
      return this.fail(`string #${this.strings.length} is not a valid JSON string`, this.base);
    }
  }

  private beginCapture(keep: boolean, limit: number, at: number): void {
    this.state = T_CAPTURE;
    this.capDepth = 0;
    this.capInString = false;
    this.capEscape = false;
    this.capScalar = false;
    this.capKeep = keep;
    this.capLimit = limit;
    this.capBytes = 0;
    this.capStart = at;
    this.capParts = [];
  }

  /** Scans one JSON value of any shape, keeping its bytes if asked. */
  private readCapture(buf: Buffer, start: number, end: number): number {
    let i = start;
    let depth = this.capDepth;
    let inStr = this.capInString;
    let esc = this.capEscape;
    let done = false;
    if (this.capBytes === 0 && depth === 0 && !inStr && !this.capScalar) {
      const c = buf[i];
      if (c !== 123 && c !== 91 && c !== 34) this.capScalar = true;
    }
    for (; i < end; i++) {
      const c = buf[i];
      if (inStr) {
        if (esc) esc = false;
        else if (c === 92) esc = true;
        else if (c === 34) {
          inStr = false;
          if (depth === 0) {
            i++;
            done = true;
            break;
          }
        }
        continue;
      }
      if (this.capScalar) {
        if (c === 44 || c === 125 || c === 93 || isWs(c)) {
          done = true;
          break;
        }
        continue;
      }
      if (c === 34) inStr = true;
      else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        depth--;
        if (depth === 0) {
          i++;
          done = true;
          break;
        }
      }
    }
    const taken = i - start;
    this.capBytes += taken;
    if (this.capKeep) {
      if (this.capBytes > this.capLimit) {
        if (this.key === 'snapshot') this.fail(`the "snapshot" header is larger than ${MAX_HEADER_BYTES} bytes`, this.capStart);
        this.warnings.push(`"${this.key}" is larger than ${this.capLimit} bytes and was not kept`);
        this.capKeep = false;
        this.capParts = [];
      } else if (taken > 0) {
        this.capParts.push(Buffer.from(buf.subarray(start, i)));
      }
    }
    this.capDepth = depth;
    this.capInString = inStr;
    this.capEscape = esc;
    if (done) this.endCapture();
    return i;
  }

  private endCapture(): void {
    this.state = T_COMMA_OR_END;
    if (!this.capKeep) return;
    const text = Buffer.concat(this.capParts).toString('utf8');
    this.capParts = [];
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.fail(`the "${this.key}" section is not valid JSON`, this.capStart);
    }
    if (this.key === 'snapshot') this.setHeader(value);
    else if (this.key === 'trace_tree') this.traceTree = Array.isArray(value) ? value : null;
  }

  private setHeader(value: unknown): void {
    const at = this.capStart;
    let layout: Layout;
    try {
      layout = readLayout(value);
    } catch (err) {
      if (err instanceof SnapshotFormatError) this.fail(err.detail, at);
      throw err;
    }
    const header = value as SnapshotHeader;
    const nodeNumbers = header.node_count * layout.file.nodeFieldCount;
    const edgeNumbers = header.edge_count * layout.file.edgeFieldCount;
    // every number takes at least two bytes ("0,"): counts the input cannot hold are corrupt, not a reason to
    // allocate gigabytes
    if (this.expectedBytes !== undefined && (nodeNumbers + edgeNumbers) * 2 > this.expectedBytes + 64) {
      this.fail(
        `meta's node_count ${header.node_count} and edge_count ${header.edge_count} need at least ${(nodeNumbers + edgeNumbers) * 2} bytes, but the file has ${this.expectedBytes} (truncated?)`,
        at,
      );
    }
    if (nodeNumbers > MAX_U32 || edgeNumbers > MAX_U32) {
      this.fail(`meta's node_count / edge_count are too large (${header.node_count} / ${header.edge_count})`, at);
    }
    this.header = header;
    this.layout = layout;
    const memory = (bytes: number) => (this.delegate ? this.delegate.allocate(bytes) : new ArrayBuffer(bytes));
    this.arrays = {
      nodes: new Uint32Array(memory(4 * header.node_count * layout.nodeFieldCount)),
      edges: new Uint32Array(memory(4 * header.edge_count * layout.edgeFieldCount)),
      edgeTypeOf: new Uint8Array(memory(header.edge_count)),
      firstEdge: new Uint32Array(memory(4 * (header.node_count + 1))),
    };
  }

  /** Finishes the parse: throws if the input stopped early or a required section is missing. */
  end(): RawSnapshot {
    const at = this.base;
    if (this.state !== T_DONE) {
      if (this.state === T_BEGIN) this.fail(this.base === 0 ? 'the file is empty' : 'no JSON object found', at);
      const where =
        this.state === T_NUMBERS || this.state === T_SKIP
          ? ` inside the "${this.numSection}" array`
          : this.state === T_STRINGS
            ? ' inside the "strings" array'
            : this.key
              ? ` inside the "${this.key}" section`
              : '';
      this.fail(`the file ends early${where} (truncated?)`, at);
    }
    if (!this.header || !this.layout) this.fail('no "snapshot" header: this JSON is not a V8 heap snapshot', at);
    for (const required of ['nodes', 'edges', 'strings']) {
      if (!this.seen.has(required)) this.fail(`the "${required}" section is missing`, at);
    }
    const arrays = this.arrays as RecordArrays;
    // read here (not by a delegate): the checks that waited for the end of the parse, nodes first
    const checked =
      this.nodeRecords && this.edgeRecords ? { nodes: this.nodeRecords.finish(), edgeMaxName: this.edgeRecords.finish() } : null;
    return {
      header: this.header,
      layout: this.layout,
      ...arrays,
      checked,
      strings: this.strings,
      locations: this.locations,
      samples: this.samples,
      traceFunctionInfos: this.traceFunctionInfos,
      traceTree: this.traceTree,
      warnings: this.warnings,
      byteLength: this.base,
    };
  }
}
