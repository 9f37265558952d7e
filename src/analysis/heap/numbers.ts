/**
 * The number arrays of a `.heapsnapshot` (nodes, edges, locations, samples, trace_function_infos): digits straight
 * from bytes into a Uint32Array. Used by the tokenizer for every numeric section, and by the parse workers
 * (parallel.ts) for the nodes and edges sections they read on their own: one code, one set of error messages.
 */
import { SnapshotFormatError } from '../../common/errors.js';

const MAX_U32 = 0xffffffff;

// number-array states
const N_FIRST = 0; // after '[': a number or ']'
const N_IN = 1; // inside a number
const N_AFTER = 2; // after a number: ',' or ']'
const N_NEXT = 3; // after ',': a number

export function describeByte(c: number): string {
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
    // JSON numbers have no leading zero (`028` is not 28): the byte path says so
    if (i >= end || v > MAX_U32 || n >= cap || (buf[numberStart] === 48 && i - numberStart > 1)) {
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

/** A section whose size meta fixed (nodes, edges): more or fewer numbers is an error naming meta's count. */
export interface FixedSize {
  /** meta's name for the count: node_count, edge_count */
  countName: string;
  /** meta's value */
  declared: number;
  /** numbers per record */
  per: number;
}

/**
 * Where a fixed-size section's records go as they are read (validate.ts: NodeRecords, EdgeRecords). The reader
 * fills a small staging buffer and hands over whole records, so the file's records never exist in full: only
 * what the sink keeps of them.
 */
export interface RecordSink {
  /** takes `records` whole records from staging[0 .. records * per) */
  take(staging: Uint32Array, records: number): void;
}

/** Records staged before they are handed to the sink: a few hundred kB, in the cache. */
export const STAGING_RECORDS = 16384;

/** Reads one number array, from just after its '[' to its ']', fed in chunks. */
export class NumberArrayReader {
  /** a growable section's numbers so far, or a fixed one's staging buffer (no longer than the numbers still due) */
  private target: Uint32Array;
  private readonly staging: Uint32Array | null = null;
  /** numbers in target */
  private count = 0;
  /** numbers already handed to the sink */
  private flushed = 0;
  /** a fixed section's numbers (meta's count times the fields per record) */
  private readonly total: number;
  done = false;
  private value = 0;
  private state = N_FIRST;

  /**
   * `fixed` and `sink` go together: the nodes and edges, whose records go to the sink through a staging buffer
   * of `stagingRecords` records. Without them, the numbers are kept in a growing array (locations, samples ...).
   */
  constructor(
    readonly section: string,
    private readonly fixed: FixedSize | null = null,
    private readonly sink: RecordSink | null = null,
    stagingRecords = STAGING_RECORDS,
  ) {
    if (fixed && !sink) throw new Error(`the "${section}" reader needs a sink for its records`);
    this.total = fixed ? fixed.declared * fixed.per : 0;
    if (fixed) {
      this.staging = new Uint32Array(fixed.per * Math.max(1, Math.min(stagingRecords, fixed.declared)));
      this.target = this.staging.subarray(0, Math.min(this.staging.length, this.total));
    } else {
      this.target = new Uint32Array(1024);
    }
  }

  /** A growable section's numbers (an exact copy). */
  numbers(): Uint32Array {
    return this.target.slice(0, this.count);
  }

  private fail(message: string, at: number): never {
    throw new SnapshotFormatError(message, at);
  }

  /**
   * The target is full (n numbers): grows a growable one; hands a fixed section's whole records to the sink (or
   * fails when meta's count allows no more). Returns how many numbers are left in the target.
   */
  private makeRoom(n: number, at: number): number {
    const fixed = this.fixed;
    if (fixed) {
      if (this.flushed + n >= this.total) {
        this.count = n;
        this.fail(`the "${this.section}" array has more numbers than meta's ${fixed.countName} allows (${this.total})`, at);
      }
      return this.flush(n);
    }
    const grown = new Uint32Array(this.target.length * 2);
    grown.set(this.target);
    this.target = grown;
    return n;
  }

  /**
   * Hands the whole records among the first n staged numbers to the sink and moves the rest to the front. The
   * staging buffer then takes no more than meta's count still allows: one number more fails where it is read.
   */
  private flush(n: number): number {
    const per = (this.fixed as FixedSize).per;
    const staging = this.staging as Uint32Array;
    const records = Math.floor(n / per);
    if (records > 0) (this.sink as RecordSink).take(staging, records);
    const taken = records * per;
    staging.copyWithin(0, taken, n);
    this.flushed += taken;
    this.target = staging.subarray(0, Math.min(staging.length, this.total - this.flushed));
    return n - taken;
  }

  private end(at: number): void {
    const fixed = this.fixed;
    const n = this.flushed + this.count;
    if (fixed && n !== this.total) {
      this.fail(
        `meta says ${fixed.declared} ${fixed.countName} (${this.total} numbers) but the "${this.section}" array ` +
          `has ${n} numbers${n % fixed.per === 0 ? '' : ` (not a multiple of ${fixed.per} fields)`}`,
        at,
      );
    }
    if (fixed) this.count = this.flush(this.count);
    this.done = true;
  }

  /**
   * The hot loop: reads buf[start..end) (`base` is the file offset of buf[0]) and returns where it stopped: just
   * after the closing ']' (then `done`), or `end`. A fast path takes V8's own shape (`123,45\n,6`) a whole number at
   * a time; anything else (whitespace, ']', a number cut by the chunk end, an error) goes through the
   * byte-at-a-time state machine, which then hands back to the fast path.
   */
  read(buf: Uint8Array, start: number, end: number, base: number): number {
    let target = this.target;
    let cap = target.length;
    let n = this.count;
    let v = this.value;
    let st = this.state;
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
        if (st === N_AFTER) this.fail(`missing ',' between numbers in "${this.section}"`, base + i);
        // a digit after a number that is only zeros so far: a leading zero, which JSON does not allow
        if (st === N_IN && v === 0) this.fail(`a number with a leading zero in "${this.section}" (not JSON)`, base + i);
        v = v * 10 + d;
        st = N_IN;
        i++;
        continue;
      }
      if (st === N_IN) {
        if (v > MAX_U32) this.fail(`number ${v} in "${this.section}" does not fit in 32 bits`, base + i);
        if (n >= cap) {
          n = this.makeRoom(n, base + i);
          target = this.target;
          cap = target.length;
        }
        target[n++] = v;
        v = 0;
        st = N_AFTER;
      }
      if (c === 44) {
        if (st !== N_AFTER) this.fail(`unexpected ',' in "${this.section}"`, base + i);
        st = N_NEXT;
      } else if (c === 93) {
        if (st === N_NEXT) this.fail(`trailing ',' in "${this.section}"`, base + i);
        this.count = n;
        this.end(base + i);
        return i + 1;
      } else if (c !== 32 && c !== 10 && c !== 13 && c !== 9) {
        this.fail(`unexpected ${describeByte(c)} in the "${this.section}" array`, base + i);
      }
      i++;
    }
    this.count = n;
    this.value = v;
    this.state = st;
    return i;
  }
}
