/**
 * Gives a dropped snapshot's memory back before the next one is loaded. A snapshot's typed arrays live outside
 * the JS heap, and V8 may not collect them before the next big allocation, so two or three snapshots' worth of
 * arrays would otherwise sit in memory at once. A full GC frees them now.
 *
 * The GC comes from `globalThis.gc` when the process was started with --expose-gc, or, in leakscope's own process
 * (the CLI calls allowExposingGc at start), from exposing it at run time. Inside a user's process (the library API:
 * `expectNoLeak` in their test runner) no V8 flag is ever changed: without their --expose-gc, nothing is forced.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | null | undefined;
let mayExpose = false;

/** For leakscope's own process only: lets releaseMemory turn on --expose-gc at run time. */
export function allowExposingGc(): void {
  mayExpose = true;
  if (gc === null) gc = undefined;
}

export function releaseMemory(): void {
  if (gc === undefined) {
    const own = (globalThis as { gc?: unknown }).gc;
    if (typeof own === 'function') gc = own as () => void;
    else if (!mayExpose) gc = null;
    else {
      try {
        v8.setFlagsFromString('--expose-gc');
        gc = vm.runInNewContext('gc') as () => void;
      } catch {
        gc = null;
      }
    }
  }
  gc?.();
}
