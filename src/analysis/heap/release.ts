/**
 * Gives a dropped snapshot's memory back before the next one is loaded. A snapshot's typed arrays live outside
 * the JS heap, and V8 may not collect them before the next big allocation, so two or three snapshots' worth of
 * arrays would otherwise sit in memory at once. A full GC (gc exposed at run time) frees them now.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | null | undefined;

export function releaseMemory(): void {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  gc?.();
}
