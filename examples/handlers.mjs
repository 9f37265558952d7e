// Three request handlers for the expectNoLeak examples: one leaks (every call adds a session to a module-level Map
// that nothing deletes), one warms a cache once, one only makes garbage.
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
