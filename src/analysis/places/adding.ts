/**
 * The statement that adds to a collection, read from the program's source: `sessions.set(token, s)`,
 * `this.log.push(r)`, `bus.on('x', fn)`, `lastSeen[id] = {…}`. Its variable names the collection when no heap
 * snapshot does (attach --no-snapshot).
 */
import { readSourceFile } from '../../common/source-files.js';
import { printable } from '../../common/text.js';

export interface AddingStatement {
  line: number;
  column: number;
  /** the last name before the call or the index: `sessions` in `this.sessions.set(` */
  variable: string;
  how: 'method' | 'index';
  method: string | null;
  text: string;
}

const METHOD =
  /(?:^|[^\w$.])((?:this\.)?[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\.\s*(set|add|push|unshift|splice|on|once|addListener|prependListener|addEventListener)\s*\(/;
const INDEX = /(?:^|[^\w$.])((?:this\.)?[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\[[^\]]+\]\s*=(?![=>])/;

const cache = new Map<string, string[] | null>();
function linesOf(file: string): string[] | null {
  if (!cache.has(file)) cache.set(file, readSourceFile(file).text?.split('\n') ?? null);
  return cache.get(file) ?? null;
}

/**
 * The first adding statement from `from` to `to` (1-based lines), stopping where the function that starts at
 * `from` ends (its braces balance). A variable declared in that body (`const out = []`) is local: not a holder.
 */
export function addingStatementIn(file: string, from: number, to: number): AddingStatement | null {
  const text = linesOf(file);
  if (!text) return null;
  const locals = new Set<string>();
  let balance = 0;
  let opened = false;
  for (let i = from - 1; i >= 0 && i < text.length && i <= to - 1; i++) {
    const code = text[i].replace(/\/\/.*$/, '');
    for (const m of code.matchAll(/\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)/g)) locals.add(m[1]);
    for (const [re, how] of [
      [METHOD, 'method'],
      [INDEX, 'index'],
    ] as const) {
      const m = re.exec(code);
      if (!m) continue;
      const chain = m[1].split('.');
      const variable = chain[chain.length - 1];
      if (chain.length === 1 && locals.has(variable)) continue;
      if (variable === 'this') continue;
      return {
        line: i + 1,
        column: code.indexOf(m[1], m.index) + 1,
        variable,
        how,
        method: how === 'method' ? (m[2] ?? null) : null,
        text: printable(text[i].trim().slice(0, 160)),
      };
    }
    const opens = code.match(/{/g)?.length ?? 0;
    balance += opens - (code.match(/}/g)?.length ?? 0);
    if (opens > 0) opened = true;
    if (opened && balance <= 0) break;
  }
  return null;
}

/** How far above the adding line the shard's variable is looked for. */
const SHARD_LOOKBACK = 60;

/**
 * The outer holder of a shard: the collection `variable` was taken from, read above the adding line —
 * `const cache = tenantCaches.get(tenant)`, `cache = this.byTenant[t]`, or `const cache = cacheFor(tenant)` with
 * `tenantCaches.get(` in cacheFor's body. Null when the source does not say.
 */
export function shardHolderIn(file: string, line: number, variable: string): string | null {
  const text = linesOf(file);
  if (!text) return null;
  const v = variable.replace(/[$]/g, '\\$&');
  const fromCollection = (code: string, name: string): string | null => {
    const n = name.replace(/[$]/g, '\\$&');
    const m = new RegExp(`(?:^|[^\\w$.])${n}\\s*=\\s*(?:this\\.)?([A-Za-z_$][\\w$]*)\\s*(?:\\.\\s*get\\s*\\(|\\[)`).exec(code);
    return m ? m[1] : null;
  };
  for (let i = line - 1; i >= 0 && i >= line - 1 - SHARD_LOOKBACK; i--) {
    const code = text[i].replace(/\/\/.*$/, '');
    const direct = fromCollection(code, variable);
    if (direct) return direct;
    const call = new RegExp(`(?:^|[^\\w$.])${v}\\s*=\\s*(?:this\\.)?([A-Za-z_$][\\w$]*)\\s*\\(`).exec(code);
    if (call) {
      const fn = call[1].replace(/[$]/g, '\\$&');
      const decl = new RegExp(
        `(?:function\\s+${fn}\\s*\\(|(?:^|[^\\w$.])${fn}\\s*(?:=|:)\\s*(?:async\\s*)?(?:function\\b|\\()|^\\s*(?:async\\s+)?${fn}\\s*\\()`,
      );
      const at = text.findIndex((l) => decl.test(l));
      if (at < 0) return null;
      for (let j = at; j < text.length && j < at + SHARD_LOOKBACK; j++) {
        const m = /(?:^|[^\w$.])(?:this\.)?([A-Za-z_$][\w$]*)\s*\.\s*get\s*\(/.exec(text[j].replace(/\/\/.*$/, ''));
        if (m) return m[1];
        if (j > at && /^\s*}/.test(text[j]) && !/^\s+/.test(text[j].slice(0, 1))) break;
      }
      return null;
    }
  }
  return null;
}
