/**
 * Reports cannot be steered by the heap: every string field of a finding, a reason, a path, a file name, a worker's
 * name, a command line and the growth-trace line carries hostile text, and each format is parsed back with a real
 * parser — Markdown with CommonMark (no link, image or HTML node, no heading of its own), JUnit with an XML parser
 * (exactly the test cases leakscope writes), JSON and SARIF with JSON.parse — and the hostile text is still there,
 * as text. No processes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Parser, type Node } from 'commonmark';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { DiffResult, Finding } from '../../src/analysis/diff/diff.js';
import type { SoakJudgement } from '../../src/analysis/series/soak.js';
import { ALL_KINDS } from '../../src/analysis/findings/kinds.js';
import type { RunReport } from '../../src/contracts/run.js';
import type { AttachReport } from '../../src/contracts/attach.js';
import type { SummaryResult } from '../../src/analysis/summary.js';
import { diffMarkdown } from '../../src/reporters/diff.js';
import { renderRun } from '../../src/reporters/run.js';
import { attachMarkdown } from '../../src/reporters/attach.js';
import { summaryMarkdown } from '../../src/reporters/summary.js';
import { mdCode, mdEscape } from '../../src/reporters/markdown.js';
import { printableDeep } from '../../src/common/text.js';

/** What an attacker writes into a heap (a property name, a string value, a script name, a worker's name). */
const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '<iframe srcdoc="<script>alert(2)</script>">',
  '[click me](https://evil.example/steal)',
  '![pixel](https://evil.example/p.png)',
  '`code` `` span ``` fence',
  '# a heading of its own',
  '<!-- hidden -->',
  '*bold* _em_ ~~strike~~',
  '| fake | table |',
  'back\\slash & amp; &lt;',
  ']]></failure><testcase name="planted"/><failure><![CDATA[',
  ']]>]]><testcase name="planted-twice"/>',
  'https://evil.example/bare-link',
];
const H = HOSTILE.join(' ');

function finding(kind: Finding['kind'], k: number): Finding {
  const loc = { file: `/srv/app/${HOSTILE[k % HOSTILE.length]}.js`, line: 3, column: 7, scriptId: -1 };
  return {
    kind,
    name: `${HOSTILE[k % HOSTILE.length]} name`,
    holderClass: `${HOSTILE[(k + 1) % HOSTILE.length]}`,
    itemClass: `${HOSTILE[(k + 2) % HOSTILE.length]}`,
    retainerPath: HOSTILE,
    pathText: HOSTILE.join(' → '),
    location: loc,
    owner: loc,
    countByStep: [1, 2, 3],
    bytesByStep: [10, 20, 30],
    newObjects: 2,
    newBytes: 2e6,
    growthBytes: 2e6,
    status: 'leak',
    statusReason: H,
    evidence: [H],
    severity: 'high',
    confidence: 0.9,
    hint: H,
    summary: H,
    addedAt: {
      source: 'instrumentation',
      methods: ['set'],
      windowMs: 2000,
      calls: 5,
      why: null,
      sites: [
        {
          file: loc.file,
          line: 9,
          column: 3,
          function: H,
          calls: 5,
          samples: 5,
          from: [H],
          text: H,
          via: { file: loc.file, line: 1, column: 1, function: H, package: H, text: H },
        },
      ],
    },
  };
}

const findings = ALL_KINDS.map((k, i) => finding(k, i));

const diff: DiffResult = {
  files: HOSTILE.map((h) => `/tmp/${h}.heapsnapshot`),
  snapshots: HOSTILE.slice(0, 3).map((h) => ({ file: `/tmp/${h}.heapsnapshot`, bytes: 1e6, nodes: 10, totalSize: 1e6, takenAt: null })),
  idsComparable: true,
  matchedBy: 'ids',
  idCheck: [],
  verdict: 'leak',
  reason: H,
  classes: HOSTILE.map((h) => ({ name: h, countByStep: [1, 2, 3], bytesByStep: [1, 2, 3], deltaCount: 2, deltaBytes: 2, monotonic: true })),
  findings,
  warnings: [H],
};

const judgement: SoakJudgement = {
  verdict: 'leak',
  reason: H,
  trend: { slope: 2e6, low: 1e6, high: 3e6, samples: 10 } as never,
  failing: findings,
  accepted: [],
  ignored: [],
  watch: [],
  floor: 3e5,
  memory: null,
};

const report = {
  schema: 'leakscope.run/v1',
  command: ['node', H],
  verdict: 'leak',
  reason: H,
  exitCode: 1,
  trend: judgement.trend,
  maxGrowth: 1e6,
  failOn: [...ALL_KINDS],
  failing: findings,
  accepted: [],
  ignored: [],
  watch: [],
  heapFloor: 3e5,
  memory: null,
  growthTrace: { windowMs: 2000, holders: [], undone: true, text: H },
  diff,
  snapshots: [],
  snapshotT: [],
  usage: [],
  warmup: [],
  program: { exit: { code: 1, signal: null }, stoppedByUs: true, stderrTail: H },
  load: { command: H, runs: 1, exits: [], failed: false, output: H },
  error: null,
  workers: [
    {
      thread: { id: 1, kind: 'worker', title: H, url: `file:///srv/${H}.mjs` },
      label: `worker 1 "${H}"`,
      verdict: 'leak',
      reason: H,
      trend: null,
      memory: null,
      snapshots: [],
      snapshotT: [],
      usage: [],
      diff,
      firstRound: 1,
      exited: null,
    },
  ],
} as unknown as RunReport;

const attach = {
  schema: 'leakscope.attach/v2',
  verdict: 'leak',
  reason: H,
  plan: { intervalMs: 1000, snapshots: 3, outDir: `/tmp/${H}`, gc: true, sampling: true, threads: 'all' },
  processes: [
    {
      target: { pid: 42, command: `node ${H}`, inspector: '127.0.0.1:9229', openedByUs: true, otherClients: 0 },
      isolates: [
        {
          thread: { id: 0, kind: 'main', title: '', url: '' },
          label: 'main thread',
          snapshots: [],
          profiles: [],
          snapshotMs: [],
          snapshotT: [],
          usage: [],
          verdict: 'leak',
          reason: H,
          diff,
          allocationSites: [{ functionName: H, file: `/srv/${H}.js`, line: 1, column: 1, bytesByStep: [1, 2], deltaBytes: 1, stack: [H] }],
          memory: null,
          firstRound: 1,
          exited: null,
        },
        {
          thread: { id: 1, kind: 'worker', title: H, url: '' },
          label: `worker 1 "${H}"`,
          snapshots: [],
          profiles: [],
          snapshotMs: [],
          snapshotT: [],
          usage: [],
          verdict: 'leak',
          reason: H,
          diff,
          allocationSites: [],
          memory: null,
          firstRound: 1,
          exited: null,
        },
      ],
      growthTrace: { windowMs: 2000, holders: [], undone: true, text: H },
      interrupted: false,
      error: H,
      detach: { inspectorClosed: true, errors: [H] },
    },
  ],
} as unknown as AttachReport;

const summary: SummaryResult = {
  file: `/tmp/${H}.heapsnapshot`,
  bytes: 1e6,
  snapshot: { layout: H, nodeFields: [H], edgeFields: [H], runtime: H },
  totals: {
    nodes: 1,
    edges: 1,
    strings: 1,
    selfSize: 1,
    reachableNodes: 1,
    reachableSize: 1,
    unreachableNodes: 0,
    offHeapSize: 0,
    offHeapStores: 0,
  },
  classes: HOSTILE.map((h) => ({ name: h, count: 1, selfSize: 1, retainedSize: 1 })) as never,
  largest: HOSTILE.map((h, i) => ({
    id: i,
    className: h,
    retainedSize: 1,
    selfSize: 1,
    pathText: h,
    location: { file: `/srv/${h}`, line: 1, column: 1, scriptId: -1 },
  })) as never,
  warnings: [H],
};

/** Every node of a CommonMark AST. */
function walk(md: string): Node[] {
  const out: Node[] = [];
  const w = new Parser().parse(md).walker();
  for (let e = w.next(); e; e = w.next()) if (e.entering) out.push(e.node);
  return out;
}

/** The text a reader sees: text and code nodes joined. */
function visibleText(nodes: Node[]): string {
  return nodes
    .map((n) =>
      n.type === 'text' || n.type === 'code' || n.type === 'code_block'
        ? (n.literal ?? '')
        : n.type === 'softbreak' || n.type === 'linebreak'
          ? ' '
          : '',
    )
    .join('');
}

function assertInert(md: string, what: string, headings: RegExp): void {
  const nodes = walk(md);
  const bad = nodes.filter((n) => ['link', 'image', 'html_inline', 'html_block'].includes(n.type));
  assert.deepEqual(
    bad.map((n) => `${n.type} ${n.destination ?? n.literal ?? ''}`),
    [],
    `${what}: no link, image or HTML made by the heap`,
  );
  for (const h of nodes.filter((n) => n.type === 'heading')) {
    const text = visibleText(walkChildren(h));
    assert.match(text, headings, `${what}: a heading of leakscope's own, not one the heap wrote (${text.slice(0, 80)})`);
  }
  const text = visibleText(nodes);
  for (const h of [
    '<img src=x onerror=alert(1)>',
    '[click me](https://evil.example/steal)',
    '![pixel](https://evil.example/p.png)',
    ']]></failure>',
  ]) {
    assert.ok(text.includes(h), `${what}: ${h} is shown as text`);
  }
}

function walkChildren(node: Node): Node[] {
  const out: Node[] = [];
  const w = node.walker();
  for (let e = w.next(); e; e = w.next()) if (e.entering && e.node !== node) out.push(e.node);
  return out;
}

describe('reports cannot be steered by the heap', () => {
  it('mdEscape and mdCode keep any text as text', () => {
    for (const h of HOSTILE) {
      assert.equal(visibleText(walk(mdEscape(h))), h.replace(/\n/g, ' '));
      assert.equal(visibleText(walk(`x ${mdCode(h)} y`)), `x ${h} y`);
    }
    assert.equal(mdCode('a `b` c'), '``a `b` c``');
    assert.equal(mdCode('`edge`'), '`` `edge` ``');
  });

  it('Markdown: diff, run (with a worker), attach (two isolates) and summary — no link, image, HTML or heading of the heap', () => {
    assertInert(
      diffMarkdown(printableDeep(diff), 20),
      'diff',
      /^(leakscope diff: leak|Growing collections|Dangling timers|Listener build-up|Leaked closures|Pending promises|Growing classes|Per-class growth|Watch.*|.* — (high|watch))$/,
    );
    assertInert(
      renderRun(printableDeep(report), printableDeep(judgement), new Set(ALL_KINDS), {
        format: 'markdown',
        top: 20,
        verbose: true,
        version: '0',
      }),
      'run',
      /^(leakscope run: leak|worker 1 .*|Growing collections|Dangling timers|Listener build-up|Leaked closures|Pending promises|Growing classes|Per-class growth|main thread|.* — (high|watch))$/,
    );
    assertInert(
      attachMarkdown(printableDeep(attach), 20),
      'attach',
      /^(leakscope attach: leak|main thread|worker 1 .*|Growing collections|Dangling timers|Listener build-up|Leaked closures|Pending promises|Growing classes|Per-class growth|Allocation sites whose live memory grew|.* — (high|watch))$/,
    );
    assertInert(summaryMarkdown(printableDeep(summary)), 'summary', /^(Heap summary: .*|Top classes by retained size|Largest objects)$/);
  });

  it('JUnit: valid XML with exactly the test cases leakscope writes, the hostile text inside them', () => {
    const xml = renderRun(printableDeep(report), printableDeep(judgement), new Set(ALL_KINDS), {
      format: 'junit',
      top: 20,
      verbose: false,
      version: '0',
    });
    assert.equal(XMLValidator.validate(xml), true);
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (name) => ['testsuite', 'testcase', 'failure'].includes(name) }).parse(
      xml,
    );
    const suites = doc.testsuites.testsuite;
    assert.equal(suites.length, 1);
    const cases = suites[0].testcase as Array<Record<string, unknown>>;
    assert.equal(cases.length, ALL_KINDS.length + 1, 'one case per kind and the heap trend: none planted');
    assert.ok(cases.every((c) => !String(c['@_name']).startsWith('planted')));
    assert.ok(xml.includes(']] ></failure><testcase name="planted"/>'), 'the text is kept, its ]]> broken');
  });

  it('JSON and SARIF parse back with the hostile text intact', () => {
    const sarif = JSON.parse(
      renderRun(printableDeep(report), printableDeep(judgement), new Set(ALL_KINDS), {
        format: 'sarif',
        top: 20,
        verbose: false,
        version: '0',
      }),
    );
    assert.equal(sarif.runs[0].results.length, findings.length);
    assert.ok(JSON.stringify(sarif).includes('[click me](https://evil.example/steal)'));
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  });
});
