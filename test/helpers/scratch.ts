/**
 * Temporary folders for tests, removed when the test file's process exits (pass or fail): they hold heap snapshots
 * (hundreds of MB, and every string of the process). LEAKSCOPE_KEEP_TMP=1 keeps them to look at after a failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  if (process.env.LEAKSCOPE_KEEP_TMP) return;
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort: a folder a child still writes into is left
    }
  }
});

/** A new private folder under the system's temporary folder, named `<prefix>XXXXXX`. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
