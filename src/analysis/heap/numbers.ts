/**
 * The number arrays of a `.heapsnapshot` (nodes, edges, locations, samples, trace_function_infos): digits straight
 * from bytes into a Uint32Array. Used by the tokenizer for every numeric section, and by the parse workers
 * (parallel.ts) for the nodes and edges sections they read on their own: one code, one set of error messages.
 */
import { SnapshotFormatError } from '../../errors.js';

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

/** A section whose size meta fixed (nodes, edges): more or fewer numbers is an error naming meta's count. */
export interface FixedSize {
  /** meta's name for the count: node_count, edge_count */
  countName: string;
  /** meta's value */
  declared: number;
  /** numbers per record */
  per: number;
}

/** Reads one number array, from just after its '[' to its ']', fed in chunks. */
export class NumberArrayReader {
  /** the numbers read so far (exactly `count` of them: see `numbers`) */
  private target: Uint32Array;
  count = 0;
  done = false;
  private value = 0;
  private state = N_FIRST;

  /** `target` is filled in place when `fixed` is given (its length is the count meta declares); else it grows. */
  constructor(readonly section: string, target: Uint32Array, private readonly fixed: FixedSize | null) {
    this.target = target.length > 0 || fixed ? target : new Uint32Array(1024);
  }

  /** The numbers read: the fixed target itself, or an exact copy of a growable one. */
  numbers(): Uint32Array {
    return this.fixed ? this.target : this.target.slice(0, this.count);
  }

  private fail(message: string, at: number): never {
    throw new SnapshotFormatError(message, at);
  }

  /** Grows a growable target (locations, samples ...) or fails for nodes/edges, whose size meta fixed. */
  private grow(n: number, at: number): Uint32Array {
    if (this.fixed) {
      this.count = n;
      this.fail(`the "${this.section}" array has more numbers than meta's ${this.fixed.countName} allows (${this.target.length})`, at);
    }
    const grown = new Uint32Array(this.target.length * 2);
    grown.set(this.target);
    this.target = grown;
    return grown;
  }

  private end(at: number): void {
    const fixed = this.fixed;
    const n = this.count;
    if (fixed && n !== this.target.length) {
      this.fail(
        `meta says ${fixed.declared} ${fixed.countName} (${this.target.length} numbers) but the "${this.section}" array has ${n} numbers${n % fixed.per === 0 ? '' : ` (not a multiple of ${fixed.per} fields)`}`,
        at,
      );
    }
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
        v = v * 10 + d;
        st = N_IN;
        i++;
        continue;
      }
      if (st === N_IN) {
        if (v > MAX_U32) this.fail(`number ${v} in "${this.section}" does not fit in 32 bits`, base + i);
        if (n >= cap) {
          target = this.grow(n, base + i);
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
