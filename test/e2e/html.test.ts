/**
 * The HTML report in a real browser: headless Chromium opens the page from disk and the test checks what a reader
 * sees — the culprit's name, kind and declaration, the chart — with no network request and no console error, in
 * light and dark mode; a hostile class name is shown escaped (its markup does not run). Skipped, saying so, when no
 * Chromium is installed (`.ci/run` installs it). LEAKSCOPE_SCREENSHOT_DIR keeps the screenshots (docs/report.png is
 * one of them).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { cli } from '../helpers/cli.js';
import { fixtureSnapshots } from '../helpers/fixtures.js';
import { findChromium, withPage } from '../helpers/browser.js';
import { targetNode } from '../helpers/nodes.js';
import { scratchDir } from '../helpers/scratch.js';

const chromium = findChromium();
const skip = chromium
  ? false
  : 'no Chromium installed (apt-get install chromium, or set LEAKSCOPE_CHROMIUM): the HTML report is not opened in a browser';
if (!chromium) process.stderr.write(`SKIPPED: ${skip}\n`);

interface Seen {
  title: string;
  verdict: string;
  names: string[];
  kinds: string[];
  declared: string[];
  scripts: number;
  images: number;
  chartLines: number;
  marks: number;
  visible: boolean;
  background: string;
}

const SEE = `(() => {
  const first = document.querySelector('.finding .name');
  const r = first ? first.getBoundingClientRect() : null;
  const style = first ? getComputedStyle(first) : null;
  return {
    title: document.title,
    verdict: document.getElementById('verdict').textContent,
    names: [...document.querySelectorAll('.finding .name')].map((e) => e.textContent),
    kinds: [...document.querySelectorAll('.finding')].map((e) => e.dataset.kind),
    declared: [...document.querySelectorAll('.finding dt')].filter((d) => d.textContent === 'declared at').map((d) => d.nextElementSibling.textContent),
    scripts: document.querySelectorAll('script').length,
    images: document.querySelectorAll('img').length,
    chartLines: document.querySelectorAll('figure.chart polyline').length,
    marks: document.querySelector('figure.chart')?.querySelectorAll('line.snap').length ?? 0,
    visible: Boolean(r && r.width > 0 && r.height > 0 && style.visibility === 'visible' && style.display !== 'none'),
    background: getComputedStyle(document.body).backgroundColor,
  };
})()`;

function shots(): string | null {
  const dir = process.env.LEAKSCOPE_SCREENSHOT_DIR;
  if (dir) mkdirSync(dir, { recursive: true });
  return dir ?? null;
}

describe('the HTML report in headless Chromium', { skip }, () => {
  let tmp: string;
  before(() => {
    tmp = scratchDir('leakscope-html-');
  });

  it('diff --format html: the culprit (name, kind, declaration) is visible, no request, no console error, light and dark', async () => {
    const file = path.join(tmp, 'diff.html');
    const r = cli(['diff', ...fixtureSnapshots('session-leak'), '--format', 'html', '-o', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^leakscope: leak — sessions \(Map\)/);
    assert.ok(statSync(file).size < 300_000, `${statSync(file).size} bytes`);
    const light = await withPage(chromium as string, file, async (page) => {
      const seen = await page.evaluate<Seen>(SEE);
      await page.screenshot(path.join(tmp, 'diff.png'));
      return { seen, requests: page.requests, errors: page.errors };
    });
    assert.deepEqual(light.requests, []);
    assert.deepEqual(light.errors, []);
    assert.equal(light.seen.title, 'leakscope diff: leak');
    assert.match(light.seen.verdict, /^LEAK — sessions \(Map\) holding Session grew at every one of 3 snapshots \(400 → 800 → 1200\)/);
    assert.equal(light.seen.names[0], 'sessions');
    assert.equal(light.seen.kinds[0], 'growing-collection');
    assert.match(light.seen.declared[0], /session-leak\.mjs:15:7$/);
    assert.equal(light.seen.visible, true);
    assert.equal(light.seen.chartLines, 1, 'the heap size per snapshot');
    assert.ok(statSync(path.join(tmp, 'diff.png')).size > 10_000, 'a screenshot with something in it');
    const dark = await withPage(chromium as string, file, (page) => page.evaluate<Seen>(SEE), { dark: true });
    assert.notEqual(dark.background, light.seen.background, 'dark mode changes the colours');
    assert.equal(dark.names[0], 'sessions');
  });

  it('a hostile name (escape sequence, newline, <script>, <img onerror>) is shown escaped and nothing of it runs', async () => {
    const dir = path.join(tmp, 'hostile');
    mkdirSync(dir);
    execFileSync(targetNode, ['fixtures/programs/hostile-growth.mjs', dir], { timeout: 60_000 });
    const files = [1, 2, 3].map((k) => path.join(dir, `hostile-growth-${k}.heapsnapshot`));
    const file = path.join(tmp, 'hostile.html');
    const r = cli(['diff', ...files, '--format', 'html', '-o', file]);
    assert.equal(r.status, 0, r.stderr);
    const html = readFileSync(file, 'utf8');
    assert.ok(!html.includes('\u001b'), 'no raw escape character in the page');
    const seen = await withPage(chromium as string, file, async (page) => ({
      seen: await page.evaluate<Seen>(SEE),
      errors: page.errors,
      requests: page.requests,
    }));
    assert.deepEqual(seen.errors, [], 'the onerror handler never ran');
    assert.deepEqual(seen.requests, []);
    assert.equal(seen.seen.title, 'leakscope diff: leak', 'the injected script did not run');
    assert.equal(seen.seen.scripts, 1, 'only the page’s own script');
    assert.equal(seen.seen.images, 0);
    assert.equal(
      seen.seen.names[0],
      'Evil\\x1b[2J\\n<script>document.title="pwned"</script><img src=x onerror="console.error(1)">',
      'shown as text, the control characters as escapes',
    );
  });

  it('run writes report.html beside its snapshots (0600): the verdict, the culprit, the memory chart with the snapshots marked', async () => {
    const dir = path.join(tmp, 'run');
    const r = cli(['run', '--quick', '--dir', dir, '--json', '--', targetNode, 'fixtures/programs/session-leak.mjs'], {
      timeoutMs: 120_000,
    });
    assert.equal(r.status, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    const file = path.join(dir, 'report.html');
    assert.ok(existsSync(file));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const seen = await withPage(chromium as string, file, async (page) => {
      const s = await page.evaluate<Seen>(SEE);
      await page.screenshot(path.join(tmp, 'run.png'));
      return { seen: s, errors: page.errors, requests: page.requests };
    });
    assert.deepEqual(seen.errors, []);
    assert.deepEqual(seen.requests, []);
    assert.equal(seen.seen.title, 'leakscope run: leak');
    assert.equal(seen.seen.names[0], 'sessions');
    assert.ok(seen.seen.chartLines >= 2, 'heap used and RSS at least');
    assert.equal(seen.seen.marks, report.snapshots.length, 'one mark per snapshot');
    const out = shots();
    if (out) {
      copyFileSync(path.join(tmp, 'run.png'), path.join(out, 'report.png'));
      copyFileSync(file, path.join(out, 'report.html'));
    }
    // --no-html: none written
    const quiet = cli(
      [
        'run',
        '--quick',
        '--no-html',
        '--dir',
        path.join(tmp, 'run-no-html'),
        '--json',
        '--',
        targetNode,
        'fixtures/programs/session-leak.mjs',
      ],
      { timeoutMs: 120_000 },
    );
    assert.equal(quiet.status, 1, quiet.stderr);
    assert.equal(existsSync(path.join(tmp, 'run-no-html', 'report.html')), false);
  });
});
