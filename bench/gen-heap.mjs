#!/usr/bin/env node
// Builds the heap of a web server's session cache in a real Node process — Maps, class instances, closures, arrays,
// strings — until the heap snapshot would be about <targetMB>, then writes the snapshot with v8.writeHeapSnapshot.
//
//   node --max-old-space-size=8192 bench/gen-heap.mjs <targetMB> <out.heapsnapshot> [--series K]
//
// With --series K it writes K snapshots of one process (<out>-1 ... -K): a baseline, a target with extra retained
// objects, and a final with part of them released — the shape `leakscope diff` is measured on.
import v8 from 'node:v8';
import { renameSync } from 'node:fs';

const [targetMB = '50', out = 'bench/out/bench-50.heapsnapshot'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const seriesIdx = process.argv.indexOf('--series');
const series = seriesIdx > 0 ? Number(process.argv[seriesIdx + 1]) : 1;

// About 1.3 kB of snapshot text per session (measured on Node 20); the first ~6 MB are Node itself.
const BYTES_PER_SESSION = 1280;

class Session {
  constructor(id, user) {
    this.id = id;
    this.user = user;
    this.roles = ['reader', id % 7 === 0 ? 'admin' : 'user'];
    this.createdAt = Date.now();
    this.cart = new Map([[`sku-${id % 1000}`, { qty: id % 5, price: (id % 97) * 1.5 }]]);
    this.history = [];
    this.onExpire = () => this.user.length + id; // a closure per session
  }
}

class User {
  constructor(id) {
    this.id = id;
    this.name = `user-${id}-${'x'.repeat(id % 16)}`;
    this.email = `${this.name}@example.test`;
    this.tags = new Set([`t${id % 13}`, `t${id % 29}`]);
  }
}

const sessions = new Map();
const users = [];
const released = [];

function grow(count, start) {
  for (let i = start; i < start + count; i++) {
    const user = users[i % 5000] ?? (users[i % 5000] = new User(i));
    const s = new Session(i, user);
    s.history.push({ path: `/item/${i % 300}`, at: i }, { path: '/cart', at: i + 1 });
    sessions.set(`sess-${i}`, s);
  }
}

function write(file) {
  const tmp = `${file}.tmp`;
  v8.writeHeapSnapshot(tmp);
  renameSync(tmp, file);
  console.log(file);
}

const total = Math.max(1000, Math.round(((Number(targetMB) - 6) * 1e6) / BYTES_PER_SESSION));
if (series <= 1) {
  grow(total, 0);
  write(out);
} else {
  // baseline: 60 %; target: +40 % more; final: half of the added ones released
  const base = Math.round(total * 0.6);
  grow(base, 0);
  write(`${out.replace(/\.heapsnapshot$/, '')}-1.heapsnapshot`);
  grow(total - base, base);
  write(`${out.replace(/\.heapsnapshot$/, '')}-2.heapsnapshot`);
  for (let i = base; i < total; i += 2) released.push(sessions.delete(`sess-${i}`));
  write(`${out.replace(/\.heapsnapshot$/, '')}-3.heapsnapshot`);
}
