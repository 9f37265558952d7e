#!/usr/bin/env node
// Hostile inputs: mutated and malformed heap snapshots through `leakscope summary` and `leakscope diff`, each under
// a timeout. Prints the counts that must all be zero: hangs, crashes (a signal, or an exit code other than the
// documented ones), stack traces, wrongly accepted (a broken file read as if whole), wrongly rejected (a valid
// snapshot in unusual formatting refused, or read with a different result).
//
//   npm run fuzz -- [--seed 1] [--flips 140] [--keep DIR] [--no-big]
//
// The base snapshots come from a committed fixture program (fixtures/make-snapshots.mjs); nothing big is committed.
import { spawnSync, execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  openSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSnapshots } from '../fixtures/make-snapshots.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
let seed = Number(opt('--seed', '1'));
const flips = Number(opt('--flips', '140'));
const keep = opt('--keep', null);
const big = !args.includes('--no-big');
const rand = () => {
  // mulberry32: the same cases for the same seed
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const dir = keep ?? mkdtempSync(path.join(tmpdir(), 'leakscope-fuzz-'));
mkdirSync(dir, { recursive: true });
const series = makeSnapshots('session-leak', { rounds: 3, requests: 60 });
const base = readFileSync(series[2]);
const baseText = base.toString('latin1');
const cases = []; // { name, file, expect: 'accept' | 'reject' | 'either', same?: true }
const add = (name, bytes, expect, extra = {}) => {
  const file = path.join(dir, `${String(cases.length).padStart(3, '0')}-${name.replace(/[^\w.-]+/g, '_')}.heapsnapshot`);
  writeFileSync(file, bytes);
  cases.push({ name, file, expect, ...extra });
};
const at = (needle) => {
  const i = baseText.indexOf(needle);
  if (i < 0) throw new Error(`no ${needle} in the base snapshot`);
  return i;
};

// 1. truncations at every section boundary, inside each section, and in the middle of a multi-byte character
const marks = [
  '"snapshot":',
  '"meta":',
  '"node_count":',
  '"edge_count":',
  '"trace_function_count":',
  '"nodes":[',
  '"edges":[',
  '"trace_function_infos":',
  '"trace_tree":',
  '"samples":',
  '"locations":',
  '"strings":[',
];
for (const m of marks) {
  const i = at(m);
  for (const d of [0, m.length, m.length + 3]) add(`truncated-at-${m}+${d}`, base.subarray(0, i + d), 'reject');
}
for (const frac of [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.9999])
  add(`truncated-at-${frac}`, base.subarray(0, Math.floor(base.length * frac)), 'reject');
add('truncated-last-byte', base.subarray(0, base.length - 1), 'reject');
add('truncated-last-2-bytes', base.subarray(0, base.length - 2), 'reject');
// a snapshot with a multi-byte name, cut in the middle of it
{
  const withUtf8 = Buffer.from(baseText.replace('"strings":["', '"strings":["Sessión✓🙂","'), 'latin1');
  const text = withUtf8.toString('latin1');
  const s = text.indexOf('"strings":[') + '"strings":["'.length;
  const utf8 = Buffer.concat([withUtf8.subarray(0, s), Buffer.from('Sessión✓🙂', 'utf8'), withUtf8.subarray(s + 'Sessión✓🙂'.length)]);
  const star = utf8.indexOf(Buffer.from('✓', 'utf8'));
  add('truncated-mid-utf8-1', utf8.subarray(0, star + 1), 'reject');
  add('truncated-mid-utf8-2', utf8.subarray(0, star + 2), 'reject');
  const emoji = utf8.indexOf(Buffer.from('🙂', 'utf8'));
  add('truncated-mid-utf8-emoji', utf8.subarray(0, emoji + 3), 'reject');
  add('extra-string-utf8', utf8, 'accept');
}

// 2. byte flips anywhere: read or refused, but never a hang, a crash or a stack trace
for (let k = 0; k < flips; k++) {
  const b = Buffer.from(base);
  const pos = Math.floor(rand() * b.length);
  b[pos] = Math.floor(rand() * 256);
  add(`flip-${pos}`, b, 'either');
}

// 3. structural lies in meta and counts
const parsed = JSON.parse(base.toString('utf8'));
const nf = parsed.snapshot.meta.node_fields.length;
const ef = parsed.snapshot.meta.edge_fields.length;
const lie = (name, mutate, expect = 'reject') => {
  const j = structuredClone(parsed);
  mutate(j);
  add(name, Buffer.from(JSON.stringify(j)), expect);
};
lie('node_count+1', (j) => j.snapshot.node_count++);
lie('node_count-1', (j) => j.snapshot.node_count--);
lie('node_count-0', (j) => (j.snapshot.node_count = 0));
lie('node_count-huge', (j) => (j.snapshot.node_count = 2 ** 40));
lie('node_count-negative', (j) => (j.snapshot.node_count = -5));
lie('node_count-float', (j) => (j.snapshot.node_count = 1.5));
lie('node_count-string', (j) => (j.snapshot.node_count = '100'));
lie('edge_count+1', (j) => j.snapshot.edge_count++);
lie('edge_count-1', (j) => j.snapshot.edge_count--);
lie('edge_count-huge', (j) => (j.snapshot.edge_count = 2 ** 33));
lie('no-meta', (j) => delete j.snapshot.meta);
lie('no-node_fields', (j) => delete j.snapshot.meta.node_fields);
lie('no-edge_fields', (j) => delete j.snapshot.meta.edge_fields);
lie('node_fields-empty', (j) => (j.snapshot.meta.node_fields = []));
lie('node_types-not-array', (j) => (j.snapshot.meta.node_types = 'x'));
lie('edge_types-missing-names', (j) => (j.snapshot.meta.edge_types[0] = ['property']));
lie('no-nodes', (j) => delete j.nodes);
lie('no-edges', (j) => delete j.edges);
lie('no-strings', (j) => delete j.strings);
lie('nodes-not-array', (j) => (j.nodes = {}));
lie('strings-not-array', (j) => (j.strings = 'abc'));
lie('strings-number', (j) => (j.strings[0] = 5));
lie('edge-to-node-out-of-range', (j) => (j.edges[2] = j.nodes.length + nf));
lie('edge-to-node-not-multiple', (j) => (j.edges[2] = 1));
lie('edge-to-node-negative', (j) => (j.edges[2] = -7));
lie('edge-type-out-of-range', (j) => (j.edges[0] = 99));
lie('edge-name-string-out-of-range', (j) => {
  const e = j.edges.findIndex((v, i) => i % ef === 0 && v === 2);
  j.edges[e + 1] = j.strings.length + 10;
});
lie('node-type-out-of-range', (j) => (j.nodes[0] = 99));
lie('node-name-out-of-range', (j) => (j.nodes[1] = j.strings.length + 1));
const ecField = parsed.snapshot.meta.node_fields.indexOf('edge_count');
lie('node-edge_count-too-big', (j) => (j.nodes[ecField] += 1000000));
lie('node-edge_count-sum-short', (j) => (j.nodes[ecField] = 0));
lie('number-float-in-nodes', (j) => (j.nodes[3] = 1.25));
lie('number-negative-in-nodes', (j) => (j.nodes[3] = -1));
lie('number-huge-in-nodes', (j) => (j.nodes[3] = 2 ** 53));
lie('nodes-string-inside', (j) => (j.nodes[5] = 'x'));
lie('root-id-changed', (j) => (j.nodes[2] = 12345678), 'either');
lie('snapshot-not-object', (j) => (j.snapshot = []));
add('not-json', Buffer.from('this is not a heap snapshot\n'), 'reject');
add('json-array', Buffer.from('[1,2,3]'), 'reject');
add('json-object-no-snapshot', Buffer.from('{"a":1}'), 'reject');
add('empty', Buffer.alloc(0), 'reject');
add('only-whitespace', Buffer.from('   \n\t  '), 'reject');
add('zeros', Buffer.alloc(4096), 'reject');
add('nul-inside', Buffer.concat([base.subarray(0, 100), Buffer.from([0]), base.subarray(101)]), 'reject');
add('trailing-garbage', Buffer.concat([base, Buffer.from('garbage')]), 'reject');
add('two-documents', Buffer.concat([base, base]), 'reject');
add(
  'deep-nesting-meta',
  Buffer.from(baseText.replace('"meta":{', `"meta":{"deep":${'['.repeat(100000)}${']'.repeat(100000)},`), 'latin1'),
  'either',
);
add('invalid-escape-in-string', Buffer.from(baseText.replace('"strings":["', '"strings":["bad \\q escape","'), 'latin1'), 'reject');
add('lone-surrogate-escape', Buffer.from(baseText.replace('"strings":["', '"strings":["\\ud800","'), 'latin1'), 'accept');
add('control-char-raw-in-string', Buffer.from(baseText.replace('"strings":["', '"strings":["a\u0001b","'), 'latin1'), 'either');
add('long-key', Buffer.from(baseText.replace('"snapshot":{', `"snapshot":{"${'k'.repeat(5e6)}":1,`), 'latin1'), 'either');
add('huge-string-10MB', Buffer.from(baseText.replace('"strings":["', `"strings":["${'s'.repeat(1e7)}","`), 'latin1'), 'accept');

// 4. valid snapshots in unusual formatting: must be accepted, with the same result as the original
const same = { same: true };
add('pretty-printed', Buffer.from(JSON.stringify(parsed, null, 2)), 'accept', same);
add('one-line', Buffer.from(JSON.stringify(parsed)), 'accept', same);
add('crlf', Buffer.from(baseText.replace(/\n/g, '\r\n'), 'latin1'), 'accept', same);
{
  // whitespace between every token, outside strings: numbers arrays re-joined, headers pretty-printed
  const sections = Object.entries(parsed).map(
    ([k, v]) =>
      `\t"${k}" :\r\n ${Array.isArray(v) && v.every((x) => typeof x === 'number') ? `[ ${v.join(' ,\t')} ]` : JSON.stringify(v, null, '\t')}`,
  );
  add('tabs-and-spaces', Buffer.from(`{ ${sections.join(' ,\n')} \n}`), 'accept', same);
}
add(
  'escaped-ascii-in-strings',
  Buffer.from(JSON.stringify(parsed).replace(/"strings":\["([a-z])/, (m, c) => `"strings":["\\u00${c.charCodeAt(0).toString(16)}`)),
  'accept',
  same,
);
add(
  'escaped-slash',
  Buffer.from(
    JSON.stringify(parsed)
      .replace(/"strings":\[/, '"strings":["a\\/b",')
      .replace(/,"a\\\/b"/, ''),
  ),
  'accept',
);
{
  // the header first (V8 always writes it first, and the arrays are sized from it), then any order
  const reordered = {
    snapshot: parsed.snapshot,
    strings: parsed.strings,
    edges: parsed.edges,
    ...Object.fromEntries(Object.entries(parsed).filter(([k]) => !['strings', 'snapshot', 'edges', 'nodes'].includes(k))),
    nodes: parsed.nodes,
  };
  add('sections-reordered', Buffer.from(JSON.stringify(reordered)), 'accept', same);
  const meta = structuredClone(parsed);
  meta.snapshot = { edge_count: parsed.snapshot.edge_count, node_count: parsed.snapshot.node_count, ...parsed.snapshot };
  add('header-keys-reordered', Buffer.from(JSON.stringify(meta)), 'accept', same);
  const first = { strings: parsed.strings, ...parsed };
  add('strings-before-header (refused with a clear message)', Buffer.from(JSON.stringify(first)), 'either');
}
add('leading-whitespace', Buffer.concat([Buffer.from('\n\n   '), base]), 'accept', same);
add('trailing-newlines', Buffer.concat([base, Buffer.from('\n\n')]), 'accept', same);

// 5. special files
const special = [];
const sp = (name, file, expect) => special.push({ name, file, expect });
sp('directory', dir, 'reject');
const fifo = path.join(dir, 'fifo.heapsnapshot');
execFileSync('mkfifo', [fifo]);
sp('fifo', fifo, 'reject');
sp('dev-zero', '/dev/zero', 'reject');
sp('dev-null', '/dev/null', 'reject');
sp('dev-urandom', '/dev/urandom', 'reject');
const loop = path.join(dir, 'loop.heapsnapshot');
symlinkSync(loop, loop);
sp('symlink-loop', loop, 'reject');
const toDir = path.join(dir, 'to-dir.heapsnapshot');
symlinkSync(dir, toDir);
sp('symlink-to-directory', toDir, 'reject');
sp('missing', path.join(dir, 'missing.heapsnapshot'), 'reject');
const noRead = path.join(dir, 'unreadable.heapsnapshot');
writeFileSync(noRead, base);
chmodSync(noRead, 0);
sp('unreadable (0000; root reads it anyway)', noRead, process.getuid?.() === 0 ? 'accept' : 'reject');
if (big) {
  // a single 600 MB string: longer than a V8 heap can hold
  const f = path.join(dir, 'huge-string-600MB.heapsnapshot');
  const fd = openSync(f, 'w');
  const s = at('"strings":[') + '"strings":['.length;
  writeSync(fd, base.subarray(0, s));
  writeSync(fd, '"');
  const chunk = Buffer.alloc(64 * 1024 * 1024, 'a');
  for (let i = 0; i < 9; i++) writeSync(fd, chunk);
  writeSync(fd, '",');
  writeSync(fd, base.subarray(s));
  closeSync(fd);
  sp('huge-string-600MB', f, 'reject');
}
for (const s of special) cases.push(s);

// run them
const TIMEOUT = 60_000;
const cli = (argv) => {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...argv], {
    encoding: 'utf8',
    timeout: TIMEOUT,
    maxBuffer: 64 * 1024 * 1024,
  });
  return r;
};
const reference = JSON.parse(cli(['summary', series[2], '--json']).stdout);
const strip = (j) => JSON.stringify({ ...j, file: '', bytes: 0 });
const counts = { cases: 0, runs: 0, hangs: 0, crashes: 0, stackTraces: 0, wronglyAccepted: 0, wronglyRejected: 0 };
const problems = [];
const judge = (c, command, r, check) => {
  counts.runs++;
  const what = `${command} ${c.name}`;
  if (r.error?.code === 'ETIMEDOUT' || (r.signal === 'SIGTERM' && r.status === null)) {
    counts.hangs++;
    problems.push(`hang: ${what}`);
    return;
  }
  if (r.signal || ![0, 1, 2].includes(r.status)) {
    counts.crashes++;
    problems.push(`crash: ${what}: ${r.signal ?? `exit ${r.status}`} ${r.stderr.split('\n')[0]}`);
    return;
  }
  if (/\n\s+at .+:\d+:\d+\)?\n/.test(r.stderr) || r.stderr.trim().split('\n').length > 1) {
    counts.stackTraces++;
    problems.push(`stack trace or more than one line: ${what}: ${r.stderr.slice(0, 200)}`);
  }
  const accepted = r.status === 0 || r.status === 1;
  if (c.expect === 'reject' && accepted) {
    counts.wronglyAccepted++;
    problems.push(`wrongly accepted: ${what}`);
  } else if (c.expect === 'accept' && !accepted) {
    counts.wronglyRejected++;
    problems.push(`wrongly rejected: ${what}: ${r.stderr.trim()}`);
  } else if (c.same && accepted && check && !check(r)) {
    counts.wronglyRejected++;
    problems.push(`read differently: ${what}`);
  }
};
for (const c of cases) {
  counts.cases++;
  judge(c, 'summary', cli(['summary', c.file, '--json']), (r) => strip(JSON.parse(r.stdout)) === strip(reference));
  judge(c, 'diff', cli(['diff', series[0], series[1], c.file, '--json']), null);
  process.stderr.write(`\r${counts.cases}/${cases.length}`);
}
process.stderr.write('\n');

// 6. files a snapshot names: a snapshot with allocation traces (added-at lines are read from the files its script
// names) and a script whose source map names files, all pointed at files that must never be read into a report —
// the system's, the environment (a secret planted for the run), special files that would hang a reader
const SECRET = `leakscope-fuzz-secret-${Math.floor(rand() * 1e12)}`;
const leaks = { files: 0, runs: 0, leaked: 0, hangs: 0, crashes: 0, stackTraces: 0 };
{
  const tracked = makeSnapshots('session-leak', { rounds: 3, requests: 60, track: true });
  const program = path.join(root, 'fixtures', 'programs', 'session-leak.mjs');
  const fifoSource = path.join(dir, 'source-fifo.mjs');
  execFileSync('mkfifo', [fifoSource]);
  const targets = [
    '/etc/passwd',
    '../../../../../../etc/passwd',
    'file:///etc/shadow',
    '/proc/self/environ',
    'file:///proc/self/environ',
    '/dev/zero',
    '/dev/stdin',
    fifoSource,
    `${dir}/../../../../etc/hostname`,
  ];
  const json = (s) => JSON.stringify(s).slice(1, -1);
  for (const [k, t] of targets.entries()) {
    const files = tracked.map((f, i) => {
      const out = path.join(dir, `names-${k}-${i}.heapsnapshot`);
      // every string naming the program (script names, trace_function_infos' script_name) names the target instead
      writeFileSync(
        out,
        readFileSync(f, 'latin1')
          .split(json(program))
          .join(json(t))
          .split(json(`file://${program}`))
          .join(json(t)),
        'latin1',
      );
      return out;
    });
    leaks.files++;
    runNamed(`trace names ${t}`, files);
  }
  // a source map (inline, in the script text the snapshot keeps) whose sources name the same files
  for (const [k, t] of targets.slice(0, 5).entries()) {
    const map = Buffer.from(JSON.stringify({ version: 3, sources: [t], names: [], mappings: ';;;;;;;;;;;;;;AAAA;;;;;AAAA' })).toString(
      'base64',
    );
    const files = tracked.map((f, i) => {
      const out = path.join(dir, `map-${k}-${i}.heapsnapshot`);
      const text = readFileSync(f, 'latin1');
      // the program's source string ends with its last line: a sourceMappingURL comment is added after it
      const marker = json("await serve('session-leak', login);\n");
      writeFileSync(
        out,
        text.split(marker).join(json(`await serve('session-leak', login);\n//# sourceMappingURL=data:application/json;base64,${map}\n`)),
        'latin1',
      );
      return out;
    });
    leaks.files++;
    runNamed(`source map naming ${t}`, files);
  }
}

/** Every report format of a diff of `files`, checked for file contents (the system's, the planted secret). */
function runNamed(what, files) {
  for (const format of ['--json', 'table', 'markdown', 'html']) {
    const argv = ['diff', ...files, ...(format === '--json' ? ['--json'] : ['--format', format])];
    const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...argv], {
      encoding: 'utf8',
      timeout: TIMEOUT,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, LEAKSCOPE_FUZZ_SECRET: SECRET },
      cwd: root,
    });
    leaks.runs++;
    const w = `${what} (${format})`;
    if (r.error?.code === 'ETIMEDOUT') {
      leaks.hangs++;
      problems.push(`hang: ${w}`);
      continue;
    }
    if (r.signal || ![0, 1, 2].includes(r.status)) {
      leaks.crashes++;
      problems.push(`crash: ${w}: ${r.signal ?? `exit ${r.status}`} ${r.stderr.split('\n')[0]}`);
      continue;
    }
    if (/\n\s+at .+:\d+:\d+\)?\n/.test(r.stderr)) {
      leaks.stackTraces++;
      problems.push(`stack trace: ${w}`);
    }
    const out = r.stdout + r.stderr;
    if (
      out.includes(SECRET) ||
      /root:[x*]:0:0:/.test(out) ||
      /\bPATH=\//.test(out) ||
      out.includes(readFileSync('/etc/hostname', 'utf8').trim() + '`')
    ) {
      leaks.leaked++;
      problems.push(`file contents in the report: ${w}`);
    }
  }
}

// 7. hostile names (terminal escapes, markup, Markdown links and images, ]]>) through every format, parsed back
const injected = { runs: 0, injected: 0 };
{
  const hostileDir = path.join(dir, 'hostile');
  mkdirSync(hostileDir);
  const files = [1, 2, 3].map((k) => {
    const f = path.join(hostileDir, `h${k}.heapsnapshot`);
    execFileSync(process.execPath, [path.join(root, 'fixtures', 'programs', 'hostile-names.mjs'), f], { timeout: 60_000 });
    return f;
  });
  const { Parser } = await import('commonmark');
  const { XMLValidator } = await import('fast-xml-parser');
  const md = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), 'diff', ...files, '--format', 'markdown'], {
    encoding: 'utf8',
    timeout: TIMEOUT,
  });
  injected.runs++;
  const w = new Parser().parse(md.stdout).walker();
  for (let e = w.next(); e; e = w.next()) {
    if (e.entering && ['link', 'image', 'html_inline', 'html_block'].includes(e.node.type)) {
      injected.injected++;
      problems.push(`markdown: a ${e.node.type} made by the heap`);
    }
  }
  const html = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), 'diff', ...files, '--format', 'html'], {
    encoding: 'utf8',
    timeout: TIMEOUT,
  });
  injected.runs++;
  // the page's own script is the one <script> in it; outside it, no element the heap made can carry a handler
  const page = html.stdout.replace(/<style[\s\S]*?<\/style>/g, '');
  if (
    /\u001b/.test(page) ||
    page.split('<script').length !== 2 ||
    /<[a-z][^>]*\son\w+\s*=/i.test(page.replace(/<script>[\s\S]*?<\/script>/, ''))
  ) {
    injected.injected++;
    problems.push('html: an escape sequence, a script or an event handler from the heap');
  }
  const js = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), 'diff', ...files, '--json'], {
    encoding: 'utf8',
    timeout: TIMEOUT,
  });
  injected.runs++;
  try {
    JSON.parse(js.stdout);
  } catch {
    injected.injected++;
    problems.push('json: does not parse');
  }
  const table = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), 'diff', ...files], { encoding: 'utf8', timeout: TIMEOUT });
  injected.runs++;
  if (
    /[\u0000-\u0008\u000b-\u001f\u007f\u202e]/.test(table.stdout) ||
    /^Verdict: NO-LEAK/m.test(table.stdout.split('\n').slice(1).join('\n'))
  ) {
    injected.injected++;
    problems.push('table: a raw control character or a faked line');
  }
  void XMLValidator; // JUnit and SARIF are rendered by `run` only: test/unit/hostile-reports.test.ts parses them back
}

if (!keep) {
  try {
    chmodSync(noRead, 0o600);
  } catch {
    // gone
  }
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  `hostile inputs: ${counts.cases} files (${cases.filter((c) => c.expect === 'reject').length} must be ` +
    `refused, ${cases.filter((c) => c.expect === 'accept').length} must be read, ${cases.filter((c) => c.expect === 'either').length} ` +
    `either), ${counts.runs} runs of summary and diff, ${TIMEOUT / 1000} s timeout each`,
);
console.log(
  `hangs ${counts.hangs} / crashes ${counts.crashes} / stack traces ${counts.stackTraces} / wrongly accepted ${counts.wronglyAccepted} / wrongly rejected ${counts.wronglyRejected}`,
);
console.log(
  `files a snapshot names: ${leaks.files} series naming /etc, /proc, /dev, a FIFO and ../ paths (trace ` +
    `names and source maps), ${leaks.runs} runs of diff in 4 formats: hangs ${leaks.hangs} / crashes ${leaks.crashes} ` +
    `/ stack traces ${leaks.stackTraces} / file contents leaked ${leaks.leaked}`,
);
console.log(
  `hostile names parsed back (Markdown with CommonMark, HTML, JSON, table): ${injected.runs} runs, injected elements ${injected.injected}`,
);
for (const p of problems) console.log(`  ${p}`);
process.exitCode = problems.length ? 1 : 0;
