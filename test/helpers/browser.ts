/**
 * A real headless Chromium for the HTML report's tests: started on a loopback debugging port of its own choosing
 * (read back from DevToolsActivePort), driven over the DevTools protocol with chrome-remote-interface, killed by pid
 * in `finally`. It records every network request and every console error or uncaught exception of the page.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import CDP from 'chrome-remote-interface';

/** The Chromium binary (LEAKSCOPE_CHROMIUM, or chromium / chromium-browser / google-chrome on the PATH), or null. */
export function findChromium(): string | null {
  const candidates = [process.env.LEAKSCOPE_CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter((c): c is string =>
    Boolean(c),
  );
  for (const c of candidates) {
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore', timeout: 20_000 });
      return c;
    } catch {
      // not this one
    }
  }
  return null;
}

export interface PageVisit {
  /** every request the page made (the page itself, file://, excluded) */
  requests: string[];
  /** console errors and uncaught exceptions */
  errors: string[];
  /** evaluate an expression in the page (returns its JSON value) */
  evaluate<T>(expression: string): Promise<T>;
  /** a PNG of the whole page */
  screenshot(file: string): Promise<void>;
}

/** Opens a local HTML file in headless Chromium, runs `fn`, and closes everything. */
export async function withPage<T>(
  chromium: string,
  file: string,
  fn: (page: PageVisit) => Promise<T>,
  o: { dark?: boolean } = {},
): Promise<T> {
  const profile = mkdtempSync(path.join(tmpdir(), 'leakscope-chromium-'));
  const child = spawn(
    chromium,
    [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-extensions',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile}`,
      '--window-size=1200,900',
      'about:blank',
    ],
    { stdio: 'ignore' },
  );
  try {
    const portFile = path.join(profile, 'DevToolsActivePort');
    const until = Date.now() + 30_000;
    while (!existsSync(portFile) || readFileSync(portFile, 'utf8').split('\n').length < 2) {
      if (Date.now() > until) throw new Error('Chromium did not open its debugging port within 30 s');
      if (child.exitCode !== null) throw new Error(`Chromium exited (${child.exitCode})`);
      await sleep(100);
    }
    const port = Number(readFileSync(portFile, 'utf8').split('\n')[0]);
    const client = await CDP({ host: '127.0.0.1', port });
    try {
      const { Network, Page, Runtime, Log, Emulation } = client;
      const requests: string[] = [];
      const errors: string[] = [];
      Network.requestWillBeSent((e) => {
        if (!e.request.url.startsWith('file://')) requests.push(e.request.url);
      });
      Runtime.consoleAPICalled((e) => {
        if (e.type === 'error' || e.type === 'assert')
          errors.push(`console.${e.type}: ${e.args.map((a) => a.value ?? a.description).join(' ')}`);
      });
      Runtime.exceptionThrown((e) => errors.push(`exception: ${e.exceptionDetails.exception?.description ?? e.exceptionDetails.text}`));
      Log.entryAdded((e) => {
        if (e.entry.level === 'error') errors.push(`log: ${e.entry.text}`);
      });
      await Promise.all([Network.enable({}), Page.enable(), Runtime.enable(), Log.enable()]);
      if (o.dark) await Emulation.setEmulatedMedia({ features: [{ name: 'prefers-color-scheme', value: 'dark' }] });
      const loaded = Page.loadEventFired();
      await Page.navigate({ url: pathToFileURL(file).href });
      await loaded;
      await sleep(300); // late console messages
      return await fn({
        requests,
        errors,
        evaluate: async <R>(expression: string) => {
          const r = await Runtime.evaluate({ expression, returnByValue: true, awaitPromise: true });
          if (r.exceptionDetails) throw new Error(`evaluate failed: ${r.exceptionDetails.text}`);
          return r.result.value as R;
        },
        screenshot: async (out: string) => {
          const { data } = await Page.captureScreenshot({ format: 'png', captureBeyondViewport: true });
          writeFileSync(out, Buffer.from(data, 'base64'));
        },
      });
    } finally {
      await client.close();
    }
  } finally {
    try {
      if (child.pid) process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone
    }
    await sleep(200);
    rmSync(profile, { recursive: true, force: true });
  }
}
