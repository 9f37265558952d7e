/**
 * V8's and Node's internal names live in one module (src/analysis/heap/v8.ts). This test reads every other source
 * file and fails when one of those names appears there as a string literal: the next Node release that renames a
 * field must need a change in one place.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { NAMES } from '../../src/analysis/heap/v8.js';

const SRC = path.resolve(import.meta.dirname, '../../src');
const VOCABULARY = path.join(SRC, 'analysis/heap/v8.ts');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sources(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : [],
  );
}

/** The file's string literals ('…', "…", `…`), comments left out. */
function literals(text: string): string[] {
  const out: string[] = [];
  const re = /\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g;
  for (const m of text.matchAll(re)) if (!m[0].startsWith('/')) out.push(m[0].slice(1, -1));
  return out;
}

// the names only V8 or Node would use (JavaScript's own class names, e.g. 'Map', may also be prose)
const INTERNAL: string[] = [
  NAMES.systemPrefix,
  NAMES.stackRoots,
  NAMES.boundFunction,
  NAMES.scopeInfo,
  NAMES.outerScope,
  NAMES.hashTable,
  NAMES.hiddenClass,
  NAMES.proto,
  NAMES.promiseReactions,
  NAMES.shared,
  NAMES.scriptSource,
  ...NAMES.scriptOfShared,
  NAMES.timeout,
  NAMES.timeoutRepeat,
  NAMES.timeoutCallback,
  NAMES.emitterEvents,
  'part of key (',
  'NativeContext',
  'ScriptContext',
];

describe('the V8 vocabulary', () => {
  it('is the only source file that spells V8 and Node internals as string literals', () => {
    const files = sources(SRC).filter((f) => f !== VOCABULARY);
    assert.ok(files.length > 40, `found the sources (${files.length} files)`);
    const found: string[] = [];
    for (const file of files) {
      for (const lit of literals(readFileSync(file, 'utf8'))) {
        for (const name of INTERNAL) {
          // short words ('table', 'map', 'source') are V8's edge names only where heaps are read: src/analysis/
          const hit = name.length <= 8 ? lit === name && file.startsWith(path.join(SRC, 'analysis')) : lit.includes(name);
          if (hit) found.push(`${path.relative(SRC, file)}: '${lit}'`);
        }
        // the closure -> scope edge shares its name with the snapshot format's edge type `context`, which the engine
        // (snapshot.ts) reads from meta; anywhere else it is the V8 internal edge
        if (lit === NAMES.closureContext && !file.endsWith('heap/snapshot.ts')) found.push(`${path.relative(SRC, file)}: '${lit}'`);
      }
    }
    assert.deepEqual(found, []);
  });

  it('the check would catch a stray literal', () => {
    assert.ok(literals(`const x = snap.findEdge(n, t, 'scope_info'); // 'table' in a comment`).includes('scope_info'));
    assert.ok(!literals(`// 'table' in a comment`).includes('table'));
  });
});
