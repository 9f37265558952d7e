/**
 * Where in the program a holder is declared: `const sessions = new Map()` at app.js:14.
 *
 * V8 records locations for functions and for objects' constructors, not for variables. But it keeps each script's
 * source text, and a retainer path names the variable (a closure-scope variable) or the property that holds the
 * leak, so the declaration can be found in the text of the script whose scope or class holds it.
 */
import type { SourceLocation } from '../heap/snapshot.js';
import { scriptPath } from '../../common/format.js';
import { readSourceFile } from '../../common/source-files.js';
import { isCutBySnapshot, NAMES, SNAPSHOT_STRING_LIMIT } from '../heap/v8.js';
import type { HeapGraph } from '../graph/heap-graph.js';
import type { PathStep } from '../graph/paths.js';

const sourceCache = new WeakMap<object, Map<number, string | null>>();

function scriptOfContext(graph: HeapGraph, ctx: number): number {
  const snap = graph.snap;
  const retainers = graph.retainers;
  const { firstRetainer, retainingNodes } = retainers;
  for (let r = firstRetainer[ctx], end = firstRetainer[ctx + 1]; r < end; r++) {
    const from = retainingNodes[r];
    if (snap.v8.isScopeEdge(from, retainers.edge(ctx, r))) {
      const script = snap.v8.closureScript(from);
      if (script >= 0) return script;
    }
  }
  return -1;
}

function scriptOfObject(graph: HeapGraph, obj: number): number {
  // an instance's constructor: obj -map-> shape -constructor_or_back_pointer-> constructor closure ... V8 also
  // records the constructor's location for the object itself, which names the script id.
  const loc = graph.snap.location(obj);
  if (!loc) return -1;
  // the script is named by its compiled file (a source map points the location at the original)
  return scriptByName(graph, loc.compiled?.file ?? loc.file);
}

const scriptsByName = new WeakMap<object, Map<string, number>>();

/** The Script node of a script name (one pass over the nodes per graph, then a lookup). */
function scriptByName(graph: HeapGraph, file: string): number {
  let scripts = scriptsByName.get(graph);
  if (!scripts) {
    scripts = new Map();
    const snap = graph.snap;
    for (let n = 0; n < snap.nodeCount; n++) {
      if (!snap.v8.isScript(n)) continue;
      const name = scriptPath(snap.nodeName(n));
      if (name && !scripts.has(name)) scripts.set(name, n);
    }
    scriptsByName.set(graph, scripts);
  }
  return scripts.get(file) ?? -1;
}

function sourceOf(graph: HeapGraph, script: number): string | null {
  let cache = sourceCache.get(graph);
  if (!cache) {
    cache = new Map();
    sourceCache.set(graph, cache);
  }
  if (!cache.has(script)) cache.set(script, wholeSource(graph.snap.v8.scriptSource(script), scriptPath(graph.snap.nodeName(script))));
  return cache.get(script) ?? null;
}

/**
 * A script's whole text: the snapshot's, unless the snapshot cut it at 1 KB (most real files): then the file on
 * disk (source-files.ts's rules), when it starts as the snapshot's text does — the same file, not another version.
 */
export function wholeSource(text: string | null, file: string): string | null {
  if (text === null || !isCutBySnapshot(text)) return text;
  const disk = readSourceFile(file).text;
  return disk?.startsWith(text.slice(0, SNAPSHOT_STRING_LIMIT - 24)) ? disk : text;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Finds the first declaration or assignment of `name` in `source`; 1-based line and column. */
export function findDeclaration(source: string, name: string, kind: 'variable' | 'property'): { line: number; column: number } | null {
  const n = escapeRe(name);
  const patterns =
    kind === 'variable'
      ? [
          new RegExp(`\\b(?:const|let|var)\\s+${n}\\b`),
          new RegExp(`\\b(?:function|class)\\s+${n}\\b`),
          new RegExp(`(?:^|[^.\\w$])${n}\\s*=[^=]`, 'm'),
        ]
      : [
          new RegExp(`\\bthis\\.${n}\\s*=[^=]`),
          new RegExp(`^\\s*(?:static\\s+)?#?${n}\\s*=`, 'm'),
          new RegExp(`\\.${n}\\s*=[^=]`),
          new RegExp(`\\b${n}\\s*:`),
        ];
  for (const re of patterns) {
    const m = re.exec(source);
    if (!m) continue;
    const at = m.index + m[0].indexOf(name);
    const before = source.slice(0, at);
    const line = before.split('\n').length;
    const column = at - before.lastIndexOf('\n');
    return { line, column };
  }
  return null;
}

/**
 * Where an ES module declares an exported name (`export const callLatency = new Histogram(…)`): among the modules
 * in the heap, the one whose source declares it — an exported declaration first, the program's own modules first.
 */
function exportDeclaration(graph: HeapGraph, name: string): SourceLocation | null {
  scriptByName(graph, ''); // index the scripts
  const scripts = scriptsByName.get(graph) as Map<string, number>;
  const found: Array<{ loc: SourceLocation; exported: boolean; program: boolean }> = [];
  for (const [file, script] of scripts) {
    if (file.startsWith('node:')) continue;
    const source = sourceOf(graph, script);
    if (!source?.includes(name)) continue;
    const at = findDeclaration(source, name, 'variable');
    if (!at) continue;
    const line = source.split('\n')[at.line - 1] ?? '';
    const loc = graph.snap.mapLocation({ file, line: at.line, column: at.column, scriptId: -1 }, () => source);
    found.push({ loc, exported: /\bexport\b/.test(line), program: isApplicationFile(file) });
  }
  found.sort((a, b) => Number(b.exported) - Number(a.exported) || Number(b.program) - Number(a.program));
  return found[0]?.loc ?? null;
}

/**
 * Where a sharded holder's inner collections are made. By a property of its entries (`.orders`): that field's
 * declaration in the entries' class. Else in the holder's own file: the variable the code puts into the holder
 * (`tenantCaches.set(tenant, cache)`, `byUser[id] = list`) and the line that makes it (`cache = new Map()`).
 */
export function innerDeclaration(
  graph: HeapGraph,
  holderDecl: SourceLocation | null,
  holderName: string,
  shardClass: string,
  via: string | null,
  wrapper: number,
): (SourceLocation & { text: string }) | null {
  const snap = graph.snap;
  let file: string | null = null;
  let source: string | null = null;
  let at: { line: number; column: number } | null = null;
  if (via !== null) {
    const script = wrapper >= 0 ? scriptOfObject(graph, wrapper) : -1;
    if (script < 0) return null;
    file = scriptPath(snap.nodeName(script));
    source = sourceOf(graph, script);
    at = source ? findDeclaration(source, via, 'property') : null;
  } else if (holderDecl) {
    file = holderDecl.compiled?.file ?? holderDecl.file;
    const script = scriptByName(graph, file);
    source = script >= 0 ? sourceOf(graph, script) : readSourceFile(file).text;
    if (!source) return null;
    const h = escapeRe(holderName);
    const puts = new RegExp(
      `(?:^|[^\\w$.])${h}\\s*(?:\\.\\s*(?:set|push|add)\\s*\\((?:[^,()]*,\\s*)?([A-Za-z_$][\\w$]*)\\s*\\)|\\[[^\\]]*\\]\\s*=\\s*([A-Za-z_$][\\w$]*))`,
    );
    const m = puts.exec(source);
    const inner = m?.[1] ?? m?.[2];
    if (!inner) return null;
    const makes = new RegExp(`\\b${escapeRe(inner)}\\s*=\\s*(?:new\\s+${escapeRe(shardClass)}\\b|\\[)`);
    const mm = makes.exec(source);
    if (!mm) return null;
    const before = source.slice(0, mm.index);
    at = { line: before.split('\n').length, column: mm.index - before.lastIndexOf('\n') };
  }
  if (!at || !file || !source) return null;
  const text = source.split('\n')[at.line - 1]?.trim().slice(0, 160) ?? '';
  const loc = snap.mapLocation({ file, line: at.line, column: at.column, scriptId: -1 }, () => source);
  return { ...loc, text };
}

/** Is this script a dependency's (under node_modules)? */
export function isDependencyFile(file: string): boolean {
  return file.includes('/node_modules/') || file.includes('\\node_modules\\');
}

const packages = new Map<string, { name: string; version: string | null } | null>();

/**
 * The npm package a file under node_modules belongs to: its name from the path (`@scope/name` too), its version
 * from its package.json when that can be read (source-files.ts's rules); null for the program's own files.
 */
export function packageOf(file: string): { name: string; version: string | null } | null {
  const p = file.replace(/\\/g, '/');
  const at = p.lastIndexOf('/node_modules/');
  if (at < 0) return null;
  const rest = p.slice(at + '/node_modules/'.length).split('/');
  const name = rest[0]?.startsWith('@') ? rest.slice(0, 2).join('/') : rest[0];
  if (!name) return null;
  const dir = `${p.slice(0, at)}/node_modules/${name}`;
  if (!packages.has(dir)) {
    let version: string | null = null;
    const text = readSourceFile(`${dir}/package.json`, 1024 * 1024).text;
    try {
      const v = text ? (JSON.parse(text) as { version?: unknown }).version : undefined;
      if (typeof v === 'string' && /^[\w.+-]{1,64}$/.test(v)) version = v;
    } catch {
      version = null;
    }
    packages.set(dir, { name, version });
  }
  return packages.get(dir) ?? null;
}

/** `tiny-memo@1.0.0` (or just the name when its version is not known) */
export function packageText(p: { name: string; version: string | null }): string {
  return p.version ? `${p.name}@${p.version}` : p.name;
}

/** Is this script the program's own code (not Node's, not a dependency's)? */
export function isApplicationFile(file: string): boolean {
  return !file.startsWith('node:') && !file.includes('/node_modules/') && !file.startsWith('script#');
}

/**
 * The declaration of the holder at the end of a retainer path: the variable a scope holds it in, or the property of
 * an object of the program's own class. With `accept`, keeps walking towards the root until a declaration in an
 * accepted file turns up — e.g. the application variable that owns a dependency's cache.
 */
export function declarationLocation(graph: HeapGraph, steps: PathStep[], accept?: (file: string) => boolean): SourceLocation | null {
  const snap = graph.snap;
  for (let k = steps.length - 1; k >= 1; k--) {
    const { edge } = steps[k];
    const holder = steps[k - 1].node;
    const type = snap.edgeType(edge);
    let script = -1;
    let kind: 'variable' | 'property';
    let file: string | null = null;
    let source: string | null = null;
    if (type === snap.edgeContext && snap.v8.isContext(holder)) {
      script = scriptOfContext(graph, holder);
      kind = 'variable';
    } else if (type === snap.edgeProperty && snap.nodeType(holder) === snap.typeObject) {
      script = scriptOfObject(graph, holder);
      kind = 'property';
      if (script < 0) {
        // a CommonJS module's exports (`module.exports = { quoteFor }`): the variable its file declares
        const exportsOf = snap.v8.exportsModuleFile(holder, graph.retainers);
        if (exportsOf) {
          script = scriptByName(graph, exportsOf);
          file = exportsOf;
          source = script >= 0 ? sourceOf(graph, script) : readSourceFile(exportsOf).text;
          kind = 'variable';
        }
      }
    } else if (
      k >= 2 &&
      snap.edgeName(edge) === NAMES.cellValue &&
      snap.v8.cellExportName(holder, steps[k - 2].node, steps[k - 1].edge, graph.retainers) !== null
    ) {
      // an ES module's exported binding (a Cell): the module that declares that name
      const name = snap.v8.cellExportName(holder, steps[k - 2].node, steps[k - 1].edge, graph.retainers) as string;
      const found = exportDeclaration(graph, name);
      if (found && (!accept || accept(found.file))) return found;
      if (!accept) return null;
      continue;
    } else {
      continue;
    }
    if (script >= 0) {
      file ??= scriptPath(snap.nodeName(script));
      source ??= sourceOf(graph, script);
    }
    const found = source
      ? (findDeclaration(source, snap.edgeName(edge), kind) ??
        (kind === 'variable' && file && !snap.v8.isContext(holder) ? findDeclaration(source, snap.edgeName(edge), 'property') : null))
      : null;
    if (found && file) {
      const text = source;
      const loc = snap.mapLocation({ file, line: found.line, column: found.column, scriptId: -1 }, () => text);
      if (!accept || accept(loc.file)) return loc;
    }
    // the nearest holder decides, unless we are looking further for an accepted file
    if (!accept) return null;
  }
  return null;
}

/**
 * Where a holder is declared when its path's last step does not say (the path reaches it through another module's
 * import binding, `const { configBus } = require(…)` of lib/config.js): among every scope variable that holds it, the
 * one whose script declares it, preferring a declaration that creates it (`const configBus = new EventEmitter()`).
 */
export function declarationAmongRetainers(graph: HeapGraph, n: number): SourceLocation | null {
  const snap = graph.snap;
  const retainers = graph.retainers;
  const { firstRetainer, retainingNodes } = retainers;
  let best: SourceLocation | null = null;
  for (let r = firstRetainer[n], end = firstRetainer[n + 1]; r < end; r++) {
    const from = retainingNodes[r];
    const e = retainers.edge(n, r);
    let script = -1;
    let file: string | null = null;
    let source: string | null = null;
    if (snap.edgeType(e) === snap.edgeContext && snap.v8.isContext(from)) {
      script = scriptOfContext(graph, from);
      if (script >= 0) {
        file = scriptPath(snap.nodeName(script));
        source = sourceOf(graph, script);
      }
    } else if (snap.edgeType(e) === snap.edgeProperty) {
      // a CommonJS module's exports object (`module.exports = { configBus }`): the module's own file declares it;
      // V8 drops a module's Script once none of its functions is alive, so the file on disk may be all there is
      file = snap.v8.exportsModuleFile(from, retainers);
      if (file) {
        script = scriptByName(graph, file);
        source = script >= 0 ? sourceOf(graph, script) : readSourceFile(file).text;
      }
    }
    if (!file || !source) continue;
    const name = snap.edgeName(e);
    const found = findDeclaration(source, name, 'variable');
    if (!found) continue;
    const loc = snap.mapLocation({ file, line: found.line, column: found.column, scriptId: -1 }, () => source);
    const text = source.split('\n')[found.line - 1] ?? '';
    if (CREATES.test(text.slice(found.column - 1 + name.length))) return loc;
    best ??= loc;
  }
  return best;
}

/** `= new X(…)`, `= []`, `= {}`, `= Object.create(…)`: the declaration that makes the object, not one that imports it */
const CREATES = /^\s*(?::[^=]*)?=\s*(?:new\b|\[|\{|Object\.create\b|create[A-Z]\w*\(|\w+\.create\w*\()/;

/**
 * For a holder declared inside a dependency (or nowhere), the application declaration that owns it: the nearest
 * variable or property on the path declared in the program's own code.
 */
export function applicationOwner(graph: HeapGraph, steps: PathStep[], declaration: SourceLocation | null): SourceLocation | null {
  if (declaration && isApplicationFile(declaration.file)) return null;
  return declarationLocation(graph, steps, isApplicationFile);
}

/**
 * The closures in the function around `inside` (a location within it, e.g. a sibling closure's) whose text uses
 * `variable`: `const describeChange = () => previous.raw` -> { name: 'describeChange', location }. Read from the
 * script source V8 keeps; a closure that is no longer alive (never kept, never called) is found this way only.
 */
export function closuresUsingVariable(
  graph: HeapGraph,
  inside: SourceLocation,
  variable: string,
): Array<{ name: string; location: SourceLocation }> {
  const script = scriptByName(graph, inside.file);
  const source = script < 0 ? null : sourceOf(graph, script);
  if (!source) return [];
  const lines = source.split('\n');
  const uses = new RegExp(`\\b${escapeRe(variable)}\\b`);
  const declares = new RegExp(`\\b(?:const|let|var)\\s+${escapeRe(variable)}\\b`);
  const closure =
    /(?:\b(?:const|let|var)\s+([\w$]+)\s*=\s*(?:async\s+)?(?:function\b[^(]*\(|\([^)]*\)\s*=>|[\w$]+\s*=>))|(?:\bfunction\s+([\w$]+)\s*\()/;
  // the enclosing function: scan up from the sibling for the nearest line that declares `variable`
  let start = inside.line - 1;
  while (start > 0 && !declares.test(lines[start])) start--;
  if (!declares.test(lines[start] ?? '')) return [];
  const out: Array<{ name: string; location: SourceLocation }> = [];
  let depth = 0;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i];
    const m = closure.exec(line);
    if (m && i !== start) {
      // the closure's text: this line, and following lines until its braces balance
      let text = line;
      let balance = (line.match(/{/g)?.length ?? 0) - (line.match(/}/g)?.length ?? 0);
      for (let j = i + 1; balance > 0 && j < lines.length && j < i + 200; j++) {
        text += `\n${lines[j]}`;
        balance += (lines[j].match(/{/g)?.length ?? 0) - (lines[j].match(/}/g)?.length ?? 0);
      }
      const name = m[1] ?? m[2];
      if (uses.test(text.slice(m.index + m[0].length)))
        out.push({ name, location: { file: inside.file, line: i + 1, column: m.index + 1, scriptId: -1 } });
    }
    depth += (line.match(/{/g)?.length ?? 0) - (line.match(/}/g)?.length ?? 0);
    if (depth < 0) break; // left the enclosing function
  }
  return out;
}
