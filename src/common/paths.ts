/**
 * The one way a script's name becomes a path. V8 names ES modules by `file://` URL (percent-encoded: a space is
 * `%20`), CommonJS scripts by path, and Node's own and remote scripts by other URLs (`node:…`, `http://…`).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A script's name as a path: a `file://` URL decoded; anything else (a path, `node:…`) as given. */
export function scriptPath(name: string): string {
  if (!name.startsWith('file://')) return name;
  try {
    return fileURLToPath(name);
  } catch {
    return name; // a file URL this platform cannot map (a remote host): kept as given
  }
}

/** A script name or URL as a local absolute path, or null (`node:…`, `http://…`, a relative name). */
export function localPath(name: string): string | null {
  const p = scriptPath(name);
  return !p.startsWith('file://') && path.isAbsolute(p) ? path.normalize(p) : null;
}
