/**
 * The dead man's switch for an inspector leakscope opened. An inspector left listening gives any local process full
 * control of the target, so it must close even when leakscope cannot close it: a CI timeout, the OOM killer or a
 * dropped `kubectl exec` SIGKILLs leakscope at any moment.
 *
 * leakscope listens on a loopback port (one per leakscope process); when it opens a target's inspector, the target
 * connects to that port (a few lines run in the target, holding `node:inspector` and `node:net`, unref'd: they keep
 * nothing alive). The kernel closes the connection when leakscope dies, however it dies, and the target then closes
 * its inspector (half a second later, once our session is gone too) and forgets the lifeline. A target busy with
 * a snapshot notices when that work ends. On a normal detach leakscope cuts the lifeline first, then closes the
 * inspector as before. The target also records who opened its inspector (`leakscope.opened`: pid), so a later
 * leakscope that finds the inspector of a dead one open treats it as its own to close.
 *
 * The target's side is plain JavaScript evaluated through the inspector's command line API (its `require`).
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';

export const LIFELINE_KEY = 'leakscope.lifeline';
export const OPENED_KEY = 'leakscope.opened';
/** How long after leakscope is gone the target closes its inspector (our half-closed session goes first). */
export const LET_GO_DELAY_MS = 500;

let server: Promise<{ port: number; token: string }> | null = null;

/** This process's lifeline port (started on first use, unref'd: it never keeps leakscope running). */
export function lifelinePort(): Promise<{ port: number; token: string }> {
  server ??= new Promise((resolve, reject) => {
    const token = randomBytes(8).toString('hex');
    const s = net.createServer((socket) => {
      // the target's end: kept open while leakscope lives; nothing is read from it or written to it
      socket.unref();
      socket.on('error', () => {});
      socket.resume();
    });
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      s.unref();
      const a = s.address();
      if (a && typeof a === 'object') resolve({ port: a.port, token });
      else reject(new Error('no lifeline port'));
    });
  });
  return server;
}

/**
 * The target's side, as one expression for Runtime.evaluate with the command line API (which gives `require`):
 * records who opened the inspector and connects to the lifeline; when the connection closes after it was made
 * (leakscope died), the inspector is closed. A lifeline that cannot connect is dropped and changes nothing.
 */
export function lifelineScript(port: number, token: string, ownerPid: number): string {
  return `((inspector, net) => {
  const key = Symbol.for(${JSON.stringify(LIFELINE_KEY)});
  const opened = Symbol.for(${JSON.stringify(OPENED_KEY)});
  Object.defineProperty(globalThis, opened, { value: { pid: ${ownerPid}, at: Date.now() }, configurable: true, enumerable: false, writable: true });
  const old = globalThis[key];
  if (old && typeof old.cancel === 'function') { try { old.cancel(); } catch {} }
  let connected = false, done = false;
  const sock = net.connect({ host: '127.0.0.1', port: ${port} });
  const forget = () => { done = true; try { delete globalThis[key]; } catch {} };
  const letGo = () => {
    if (done) return;
    forget();
    if (!connected) return;
    const t = setTimeout(() => { try { if (inspector.url()) process._debugEnd(); } catch {} try { delete globalThis[opened]; } catch {} }, ${LET_GO_DELAY_MS});
    if (t && t.unref) t.unref();
  };
  sock.on('connect', () => { connected = true; sock.write(${JSON.stringify(token)}); });
  sock.on('error', letGo);
  sock.on('close', letGo);
  sock.unref();
  Object.defineProperty(globalThis, key, { value: { owner: ${ownerPid}, cancel() { forget(); sock.destroy(); } }, configurable: true, enumerable: false });
  return 'lifeline';
})(require('node:inspector'), require('node:net'))`;
}

/** Cuts the lifeline and forgets who opened the inspector (a normal detach, before the inspector is closed). */
export const CUT_LIFELINE = `(() => {
  const l = globalThis[Symbol.for(${JSON.stringify(LIFELINE_KEY)})];
  if (l && typeof l.cancel === 'function') l.cancel();
  try { delete globalThis[Symbol.for(${JSON.stringify(OPENED_KEY)})]; } catch {}
  return 'cut';
})()`;

/** Who opened the target's inspector, if a leakscope did: its pid (evaluated in the target), or null. */
export const WHO_OPENED = `(() => { const o = globalThis[Symbol.for(${JSON.stringify(OPENED_KEY)})]; return o && typeof o.pid === 'number' ? o.pid : null; })()`;
