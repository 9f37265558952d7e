// A benchmark target: a web server whose session cache holds about <heapMB> MB of heap, with three endpoints —
// GET /work (a small JSON response, for throughput) and GET /write-snapshot?file=... (v8.writeHeapSnapshot inside
// the process, timed, as the in-process baseline leakscope is compared with), GET /lag (the event loop's longest
// delay since the last /lag: the pause the target felt).
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';

// how long the event loop was held up (the target's own view of a pause): GET /lag returns the longest delay since
// the last /lag, in ms, and starts over
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();

const heapMB = Number(process.argv[2] ?? 300);
class Session {
  constructor(id) {
    this.id = id;
    this.user = { name: `user-${id}`, roles: ['reader', 'user'] };
    this.cart = new Map([[`sku-${id % 1000}`, { qty: id % 5 }]]);
    this.history = [{ path: `/item/${id % 300}` }];
    this.onExpire = () => this.id;
  }
}
const sessions = new Map();
// recent requests, bounded: every /work request calls recent.set (what the growth-trace benchmark wraps)
const recent = new Map();
globalThis.benchRecent = recent;
let i = 0;
while (process.memoryUsage().heapUsed < heapMB * 1e6) {
  for (let k = 0; k < 10000; k++, i++) sessions.set(`s${i}`, new Session(i));
}
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/lag') {
    res.end(JSON.stringify({ maxMs: lag.max / 1e6 }));
    lag.reset();
    return;
  }
  if (url.pathname === '/write-snapshot') {
    const t = performance.now();
    v8.writeHeapSnapshot(url.searchParams.get('file'));
    res.end(JSON.stringify({ ms: performance.now() - t }));
    return;
  }
  const s = sessions.get(`s${Math.floor(Math.random() * i)}`);
  recent.set(s.id, Date.now());
  if (recent.size > 1000) recent.delete(recent.keys().next().value);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ id: s.id, user: s.user.name, items: [...s.cart.keys()], at: Date.now() }));
});
server.listen(0, '127.0.0.1', () =>
  console.log(`listening on http://127.0.0.1:${server.address().port} heapUsed=${process.memoryUsage().heapUsed}`),
);
