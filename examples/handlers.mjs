// Request handlers for the expectNoLeak examples: two leak (every call adds a session to a module-level Map that
// nothing deletes; a per-tenant price cache that never evicts), one warms a cache once, one only makes garbage.
const sessions = new Map();
let next = 0;

export async function leakyLogin(user) {
  const session = { user, token: `t${next++}`, history: new Array(16).fill(user) };
  sessions.set(session.token, session);
  return session.token;
}

const rates = new Map();

export async function cachedRates(currency) {
  if (!rates.has(currency)) rates.set(currency, new Array(2000).fill(1.1));
  return rates.get(currency)[0];
}

export async function parseBody(i) {
  const body = JSON.parse(JSON.stringify({ i, items: new Array(50).fill(i) }));
  return body.items.length;
}

const pricesByTenant = new Map();

export async function tenantPrice(tenant, sku) {
  let prices = pricesByTenant.get(tenant);
  if (!prices) {
    prices = new Map();
    pricesByTenant.set(tenant, prices);
  }
  let quote = prices.get(sku);
  if (!quote) {
    quote = { sku, amount: sku.length * 3, history: new Array(8).fill(0) };
    prices.set(sku, quote);
  }
  return quote.amount;
}
