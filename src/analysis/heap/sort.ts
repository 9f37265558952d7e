/**
 * Sorting millions of numbers without JS arrays: typed arrays only (node ids, location records).
 */

/** Sorts keys ascending and values along with them, stable: a least-significant-digit radix sort, 16 bits a pass. */
export function sortPairs(keys: Uint32Array, values: Uint32Array): void {
  const n = keys.length;
  let k1: Uint32Array = keys;
  let v1: Uint32Array = values;
  let k2: Uint32Array = new Uint32Array(n);
  let v2: Uint32Array = new Uint32Array(n);
  const counts = new Uint32Array(65536);
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(k1[i] >>> shift) & 0xffff]++;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const at = counts[(k1[i] >>> shift) & 0xffff]++;
      k2[at] = k1[i];
      v2[at] = v1[i];
    }
    [k1, k2] = [k2, k1];
    [v1, v2] = [v2, v1];
  }
  // two passes: the sorted pairs are back in the arrays given
}
