/**
 * Source maps for every printed location: a compiled script's `//# sourceMappingURL=` (read from the script text V8
 * keeps in the snapshot, or from the file on disk when it is there), an inline `data:` map or a `.map` file beside
 * the script, decoded by @jridgewell/trace-mapping. A location with an original position reads as the original,
 * with the compiled one kept beside it (`compiled`). Maps are read once per script; any failure leaves the
 * compiled location as it was.
 */
import { readSourceFile } from './source-files.js';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { localPath } from './paths.js';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';

export interface Position {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

/** A location read through a source map: the original, with the compiled position it came from. */
export type Mapped<T extends Position> = T & { compiled?: Position };

/** A heap snapshot cuts strings (a script's source) at this many characters. */
const SNAPSHOT_TEXT_LIMIT = 1024;

/** Maps larger than this are not read (a map is JSON held in memory). */
const MAX_MAP_BYTES = 64 * 1024 * 1024;

const URL_COMMENT = /\/[/*][#@]\s*sourceMappingURL=([^\s'"*]+)\s*(?:\*\/)?\s*$/;

/** The sourceMappingURL of a script's text (the last one, as engines read it), or null. */
export function sourceMappingURL(text: string): string | null {
  const tail = text.slice(-4096).trimEnd().split('\n');
  for (let i = tail.length - 1; i >= 0 && i >= tail.length - 5; i--) {
    const m = URL_COMMENT.exec(tail[i].trim());
    if (m) return m[1];
  }
  return null;
}

const toPath = localPath;

/** A script or map file on disk, read only under source-files.ts's rules (its name comes from a snapshot). */
function readSmall(file: string): string | null {
  return readSourceFile(file, MAX_MAP_BYTES).text;
}

export class SourceMapper {
  private readonly maps = new Map<string, TraceMap | null>();

  /** The map of a compiled script (by its path or file:// URL), or null; `text` is its source when known. */
  private mapOf(script: string, text: () => string | null): TraceMap | null {
    if (this.maps.has(script)) return this.maps.get(script) ?? null;
    let map: TraceMap | null = null;
    try {
      const file = toPath(script);
      // the snapshot keeps a script's first 1 KB only: a longer one's sourceMappingURL (at its end) is on disk
      const kept = text();
      const source = kept !== null && kept.length < SNAPSHOT_TEXT_LIMIT ? kept : ((file ? readSmall(file) : null) ?? kept);
      const url = source ? sourceMappingURL(source) : null;
      if (url) {
        let json: string | null = null;
        let mapUrl: string | undefined;
        if (url.startsWith('data:')) {
          const comma = url.indexOf(',');
          const meta = url.slice(5, comma);
          const body = url.slice(comma + 1);
          json = meta.endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
          mapUrl = file ? pathToFileURL(file).href : undefined;
        } else if (file) {
          const mapFile = url.startsWith('file://')
            ? toPath(url)
            : /^[a-z]+:/i.test(url)
              ? null
              : path.resolve(path.dirname(file), decodeURIComponent(url));
          if (mapFile) {
            json = readSmall(mapFile);
            mapUrl = pathToFileURL(mapFile).href;
          }
        }
        if (json) map = new TraceMap(json, mapUrl);
      }
    } catch {
      map = null; // a broken map: the compiled location stays
    }
    this.maps.set(script, map);
    return map;
  }

  /**
   * The original position of a compiled one, with the compiled one beside it; the position itself when the script
   * has no map or the map says nothing about that spot.
   */
  map<T extends Position>(loc: T, text: () => string | null = () => null): Mapped<T> {
    const tm = this.mapOf(loc.file, text);
    if (!tm) return loc;
    let original: ReturnType<typeof originalPositionFor>;
    try {
      original = originalPositionFor(tm, { line: loc.line, column: Math.max(0, loc.column - 1) });
    } catch {
      return loc;
    }
    if (!original.source || original.line === null) return loc;
    const file = original.source.startsWith('file://') ? (toPath(original.source) ?? original.source) : original.source;
    return {
      ...loc,
      file,
      line: original.line,
      column: (original.column ?? 0) + 1,
      compiled: { file: loc.file, line: loc.line, column: loc.column },
    };
  }
}
