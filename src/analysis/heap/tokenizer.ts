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
import { SnapshotFormatError } from '../../errors.js';
import { readLayout, type Layout, type SnapshotHeader } from './layout.js';

export interface RawSnapshot {
  header: SnapshotHeader;
  layout: Layout;
  /** node records, `layout.nodeFieldCount` numbers each */
  nodes: Uint32Array;
  /** edge records, `layout.edgeFieldCount` numbers each; `to_node` still as V8 wrote it (an offset into nodes) */
  edges: Uint32Array;
  strings: string[];
  locations: Uint32Array;
  samples: Uint32Array;
  traceFunctionInfos: Uint32Array;
  /** The nested allocation trace tree, when the snapshot was taken with allocation tracking; else null. */
  traceTree: unknown[] | null;
  /** Non-fatal oddities (unknown sections skipped, oversized trace tree dropped ...). */
  warnings: string[];
  byteLength: number;
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

// number-array states
const N_FIRST = 0; // after '[': a number or ']'
const N_IN = 1; // inside a number
const N_AFTER = 2; // after a number: ',' or ']'
const N_NEXT = 3; // after ',': a number

// string-array states
const S_FIRST = 0;
const S_IN = 1;
const S_AFTER = 2;
const S_NEXT = 3;

const NUMERIC_SECTIONS = new Set(['nodes', 'edges', 'locations', 'samples', 'trace_function_infos']);

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function describeByte(c: number): string {
  return c >= 32 && c < 127 ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/** Out-parameters of scanNumbers (one shared object: no allocation in the hot path). */
const scan = { i: 0, n: 0, afterNumber: false };

/**
 * The fast path of the number arrays, for V8's own shape (`123,45\n,6`): whole numbers at a time into `target`
 * from `buf[i]`, which must be at the start of a number. Stops, with scan.i at the first byte it did not consume
 * and scan.n the new count, at anything else: whitespace, ']', a non-digit, a number cut by the chunk end, a number
 * over 32 bits, or a full target. scan.afterNumber tells that it stopped right after a number (at a separator it
 * does not take); otherwise it stopped where a number may start. The caller's byte path takes over from there.
 */
function scanNumbers(buf: Uint8Array, i: number, end: number, target: Uint32Array, n: number, out: typeof scan): void {
  const cap = target.length;
  let afterNumber = false;
  for (;;) {
    if (i >= end) break;
    let d = buf[i] - 48;
    if (!(d >= 0 && d <= 9)) break;
    const numberStart = i;
    let v = d;
    i++;
    while (i < end && (d = buf[i] - 48) >= 0 && d <= 9) {
      v = v * 10 + d;
      i++;
    }
    if (i >= end || v > MAX_U32 || n >= cap) {
      i = numberStart;
      break;
    }
    target[n++] = v;
    const c = buf[i];
    if (c === 44) i++;
    else if (c === 10 && buf[i + 1] === 44) i += 2;
    else {
      afterNumber = true;
      break;
    }
  }
  out.i = i;
  out.n = n;
  out.afterNumber = afterNumber;
}

export interface TokenizerOptions {
  /** The total size of the input when known: counts in the header that could not fit in it are rejected early. */
  expectedBytes?: number;
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

  // header + sections
  private header: SnapshotHeader | null = null;
  private layout: Layout | null = null;
  private nodes: Uint32Array = new Uint32Array(0);
  private edges: Uint32Array = new Uint32Array(0);
  private locations: Uint32Array = new Uint32Array(0);
  private samples: Uint32Array = new Uint32Array(0);
  private traceFunctionInfos: Uint32Array = new Uint32Array(0);
  private traceTree: unknown[] | null = null;
  private readonly strings: string[] = [];
  private readonly warnings: string[] = [];

  // number array in progress
  private numTarget: Uint32Array = new Uint32Array(0);
  private numCount = 0;
  private numValue = 0;
  private numState = N_FIRST;
  private numGrowable = false;
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
          if (isWs(c)) { i++; break; }
          // a UTF-8 byte order mark is tolerated at the very start
          if (this.base + i === 0 && c === 0xef && end >= 3 && buf[1] === 0xbb && buf[2] === 0xbf) { i += 3; break; }
          if (c !== 123) this.fail(`expected '{' at the start, found ${describeByte(c)}`, this.base + i);
          this.state = T_KEY_OR_END;
          this.firstKey = true;
          i++;
          break;
        }
        case T_KEY_OR_END: {
          const c = buf[i];
          if (isWs(c)) { i++; break; }
          if (c === 125 && this.firstKey) { this.state = T_DONE; i++; break; }
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
          if (isWs(c)) { i++; break; }
          if (c !== 58) this.fail(`expected ':' after key "${this.key}", found ${describeByte(c)}`, this.base + i);
          this.state = T_VALUE;
          i++;
          break;
        }
        case T_VALUE: {
          const c = buf[i];
          if (isWs(c)) { i++; break; }
          this.beginValue(c, this.base + i);
          if ((this.state as number) !== T_CAPTURE) i++; // capture scans the opening byte itself
          break;
        }
        case T_NUMBERS:
          i = this.readNumbers(buf, i, end);
          break;
        case T_STRINGS:
          i = this.readStrings(buf, i, end);
          break;
        case T_CAPTURE:
          i = this.readCapture(buf, i, end);
          break;
        case T_COMMA_OR_END: {
          const c = buf[i];
          if (isWs(c)) { i++; break; }
          if (c === 44) { this.state = T_KEY_OR_END; this.firstKey = false; i++; break; }
          if (c === 125) { this.state = T_DONE; i++; break; }
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
      if (esc) { esc = false; continue; }
      if (c === 92) { esc = true; continue; }
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
    this.numState = N_FIRST;
    this.numValue = 0;
    this.numCount = 0;
    if (key === 'nodes') {
      this.numTarget = this.nodes;
      this.numGrowable = false;
    } else if (key === 'edges') {
      this.numTarget = this.edges;
      this.numGrowable = false;
    } else {
      this.numTarget = new Uint32Array(1024);
      this.numGrowable = true;
    }
    this.state = T_NUMBERS;
  }

  private endNumbers(at: number): void {
    const key = this.numSection;
    const n = this.numCount;
    if (key === 'nodes' || key === 'edges') {
      if (n !== this.numTarget.length) {
        const layout = this.layout as Layout;
        const per = key === 'nodes' ? layout.nodeFieldCount : layout.edgeFieldCount;
        const declared = key === 'nodes' ? this.header?.node_count : this.header?.edge_count;
        this.fail(
          `meta says ${declared} ${key === 'nodes' ? 'node_count' : 'edge_count'} (${this.numTarget.length} numbers) but the "${key}" array has ${n} numbers${n % per === 0 ? '' : ` (not a multiple of ${per} fields)`}`,
          at,
        );
      }
    } else {
      const exact = this.numTarget.slice(0, n);
      if (key === 'locations') this.locations = exact;
      else if (key === 'samples') this.samples = exact;
      else this.traceFunctionInfos = exact;
    }
    this.numTarget = new Uint32Array(0);
    this.state = T_COMMA_OR_END;
  }

  /** Grows a growable target (locations, samples ...) or fails for nodes/edges, whose size meta fixed. */
  private growTarget(n: number, at: number): Uint32Array {
    if (!this.numGrowable) {
      this.numCount = n;
      this.fail(`the "${this.numSection}" array has more numbers than meta's ${this.numSection === 'nodes' ? 'node_count' : 'edge_count'} allows (${this.numTarget.length})`, at);
    }
    const grown = new Uint32Array(this.numTarget.length * 2);
    grown.set(this.numTarget);
    this.numTarget = grown;
    return grown;
  }

  /**
   * The hot loop: digits straight into the typed array. A fast path takes V8's own shape (`123,45\n,6`) a whole
   * number at a time; anything else (whitespace, ']', a number cut by the chunk end, an error) goes through the
   * byte-at-a-time state machine, which then hands back to the fast path.
   */
  private readNumbers(buf: Buffer, start: number, end: number): number {
    let target = this.numTarget;
    let cap = target.length;
    let n = this.numCount;
    let v = this.numValue;
    let st = this.numState;
    let i = start;
    while (i < end) {
      if (st === N_FIRST || st === N_NEXT) {
        scanNumbers(buf, i, end, target, n, scan);
        if (scan.n !== n) st = scan.afterNumber ? N_AFTER : N_NEXT;
        n = scan.n;
        i = scan.i;
        if (i >= end) break;
      }
      // general path: one byte
      const c = buf[i];
      const d = c - 48;
      if (d >= 0 && d <= 9) {
        if (st === N_AFTER) this.fail(`missing ',' between numbers in "${this.numSection}"`, this.base + i);
        v = v * 10 + d;
        st = N_IN;
        i++;
        continue;
      }
      if (st === N_IN) {
        if (v > MAX_U32) this.fail(`number ${v} in "${this.numSection}" does not fit in 32 bits`, this.base + i);
        if (n >= cap) {
          target = this.growTarget(n, this.base + i);
          cap = target.length;
        }
        target[n++] = v;
        v = 0;
        st = N_AFTER;
      }
      if (c === 44) {
        if (st !== N_AFTER) this.fail(`unexpected ',' in "${this.numSection}"`, this.base + i);
        st = N_NEXT;
      } else if (c === 93) {
        if (st === N_NEXT) this.fail(`trailing ',' in "${this.numSection}"`, this.base + i);
        this.numCount = n;
        this.endNumbers(this.base + i);
        return i + 1;
      } else if (c !== 32 && c !== 10 && c !== 13 && c !== 9) {
        this.fail(`unexpected ${describeByte(c)} in the "${this.numSection}" array`, this.base + i);
      }
      i++;
    }
    this.numCount = n;
    this.numValue = v;
    this.numState = st;
    return i;
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
          if (esc) { esc = false; continue; }
          if (c === 92) { esc = true; hasEsc = true; continue; }
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
      if (c === 32 || c === 10 || c === 13 || c === 9) { i++; continue; }
      if (c === 34 && st !== S_AFTER) {
        this.strState = S_IN;
        this.strEscape = false;
        this.strHasEscape = false;
        i++;
        continue;
      }
      if (c === 44 && st === S_AFTER) { this.strState = S_NEXT; i++; continue; }
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
          if (depth === 0) { i++; done = true; break; }
        }
        continue;
      }
      if (this.capScalar) {
        if (c === 44 || c === 125 || c === 93 || isWs(c)) { done = true; break; }
        continue;
      }
      if (c === 34) inStr = true;
      else if (c === 123 || c === 91) depth++;
      else if (c === 125 || c === 93) {
        depth--;
        if (depth === 0) { i++; done = true; break; }
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
    const nodeNumbers = header.node_count * layout.nodeFieldCount;
    const edgeNumbers = header.edge_count * layout.edgeFieldCount;
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
    this.nodes = new Uint32Array(nodeNumbers);
    this.edges = new Uint32Array(edgeNumbers);
  }

  /** Finishes the parse: throws if the input stopped early or a required section is missing. */
  end(): RawSnapshot {
    const at = this.base;
    if (this.state !== T_DONE) {
      if (this.state === T_BEGIN) this.fail(this.base === 0 ? 'the file is empty' : 'no JSON object found', at);
      const where = this.state === T_NUMBERS ? ` inside the "${this.numSection}" array` : this.state === T_STRINGS ? ' inside the "strings" array' : this.key ? ` inside the "${this.key}" section` : '';
      this.fail(`the file ends early${where} (truncated?)`, at);
    }
    if (!this.header || !this.layout) this.fail('no "snapshot" header: this JSON is not a V8 heap snapshot', at);
    for (const required of ['nodes', 'edges', 'strings']) {
      if (!this.seen.has(required)) this.fail(`the "${required}" section is missing`, at);
    }
    return {
      header: this.header,
      layout: this.layout,
      nodes: this.nodes,
      edges: this.edges,
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
