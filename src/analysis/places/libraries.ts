/**
 * What to do about a leak held inside a popular package, in its own terms. A generic "bound it (an LRU…)" does not
 * help a user of express-session or prom-client: the fix is a setting or a usage of that package. One row per
 * package whose leaky configurations are well known; the `when` pattern (on the finding's retainer path) narrows a
 * row to the structure that leaks. Any other package gets the generic hint and the owner's line.
 */

interface LibraryRow {
  /** the npm package name */
  name: string;
  /** only when the retainer path matches (the package's leaking structure) */
  when?: RegExp;
  hint: string;
}

const LIBRARIES: readonly LibraryRow[] = [
  {
    name: 'lodash',
    when: /memoiz|MapCache/,
    hint:
      'lodash’s _.memoize keeps every key it has seen, forever: memoize over a bounded set of keys, give it ' +
      'a bounded cache (_.memoize.Cache = an LRU class, set before memoizing), or clear memoized.cache',
  },
  {
    name: 'lodash.memoize',
    hint: 'lodash.memoize keeps every key it has seen, forever: memoize over a bounded set of keys, or give it a bounded cache (memoize.Cache = an LRU class)',
  },
  {
    name: 'express-session',
    hint:
      'express-session’s default MemoryStore never prunes and is not meant for production: use a store with ' +
      'expiry (Redis, a database), set saveUninitialized: false so visits that store nothing make no session, ' +
      'and give the cookie a maxAge',
  },
  {
    name: 'node-cache',
    hint: 'a NodeCache keeps a key until its TTL: set stdTTL (and checkperiod) or maxKeys, or del() keys when done; one instance per request also keeps its check timer',
  },
  {
    name: 'dataloader',
    hint: 'a DataLoader caches every key for as long as the loader lives: create one loader per request (in its context), or pass { cache: false }, a bounded cacheMap, or call clearAll()',
  },
  {
    name: 'prom-client',
    hint:
      'each distinct label value is a new series kept for the life of the metric: do not label with unbounded ' +
      'values (user or request ids, URLs with ids); use a bounded set, or remove()/reset() series you no longer ' +
      'report',
  },
  {
    name: 'axios',
    when: /interceptor|handlers/i,
    hint: 'an interceptor added per request stays on the instance: add interceptors once at start-up, or eject each one (instance.interceptors.request.eject(id)) when its request is done',
  },
  {
    name: 'lru-cache',
    hint: 'an LRUCache is bounded only by max, maxSize or ttl: give it one (ttl alone needs ttlAutopurge or reads to evict)',
  },
  { name: 'memoizee', hint: 'memoizee keeps every result unless told otherwise: pass max (an LRU bound) or maxAge' },
  {
    name: 'winston',
    hint: 'a logger or transport created per request stays registered: create loggers once and reuse them, or close() them',
  },
  {
    name: 'ioredis',
    hint: 'a client (or a pipeline listener) created per request stays connected: create clients once and reuse them, or quit() them',
  },
];

/** The package's own advice for a finding held inside it, or null when the package has no row. */
export function libraryHint(pkg: string, path: readonly string[]): string | null {
  const text = path.join(' → ');
  const row = LIBRARIES.find((r) => r.name === pkg && (!r.when || r.when.test(text)));
  return row ? row.hint : null;
}
