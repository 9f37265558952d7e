// Load for the capture benchmarks: 16 keep-alive clients on loopback, GETs to one target, counted per second.
import http from 'node:http';

export function httpLoad(port) {
  let agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const get = (p) =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
  /**
   * requests per second of GET /work over `ms`, or until `done` settles (fresh connections each phase: a long pause
   * outlives keep-alive)
   */
  async function throughput(ms, done = null) {
    agent.destroy();
    agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const t0 = Date.now();
    let until = done ? Number.POSITIVE_INFINITY : t0 + ms;
    done?.finally(() => (until = 0));
    let n = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (Date.now() < until) {
          try {
            await get('/work');
            n++;
          } catch {
            // a reset connection: try again
          }
        }
      }),
    );
    return n / ((Date.now() - t0) / 1000);
  }
  return { get, throughput, destroy: () => agent.destroy() };
}
