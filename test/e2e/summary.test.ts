import { mdText } from '../helpers/markdown.js';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { cli } from '../helpers/cli.js';
import { fixtureSnapshots } from '../helpers/fixtures.js';
import { scratchDir } from '../helpers/scratch.js';

describe('leakscope summary', () => {
  let file: string;
  let tmp: string;
  before(() => {
    file = fixtureSnapshots('session-leak')[2];
    tmp = scratchDir('leakscope-summary-');
  });

  it('prints totals, top classes and the culprit with its path and module', () => {
    const r = cli(['summary', file, '--top', '8']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'no progress noise when stderr is not a TTY');
    assert.match(r.stdout, /\d[\d,]* nodes, [\d,]+ edges, heap [\d.]+ [kM]B, reachable/);
    assert.match(r.stdout, /Top 8 classes by retained size/);
    assert.match(r.stdout, /│ Session +│ 1,200 +│/);
    assert.match(r.stdout, /Map @\d+/);
    assert.match(r.stdout.replace(/[│\s]+/g, ' '), /session-leak\.mjs → sessions \(Map\)/);
  });

  it('--json prints one documented object', () => {
    const r = cli(['summary', file, '--json', '--top', '5']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.schema, 'leakscope.summary/v1');
    assert.deepEqual(Object.keys(j).sort(), ['bytes', 'classes', 'file', 'largest', 'schema', 'snapshot', 'totals', 'warnings']);
    assert.equal(j.classes.length, 5);
    assert.deepEqual(Object.keys(j.classes[0]).sort(), ['count', 'name', 'retainedSize', 'selfSize']);
    const top = j.largest[0];
    assert.equal(top.className, 'Map');
    assert.equal(top.retainerPath.at(-1), 'sessions (Map)');
    assert.equal(top.retainerPath.at(-2), 'module fixtures/programs/session-leak.mjs');
    assert.ok(j.totals.nodes > 10000 && j.totals.edges > j.totals.nodes);
  });

  it('--format markdown', () => {
    const r = cli(['summary', file, '--format', 'markdown', '--top', '3']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^# Heap summary: /);
    assert.match(r.stdout, /\| Class \| Count \| Self size \| Retained size \|/);
    assert.match(mdText(r.stdout), /sessions \(Map\)/);
  });

  describe('bad input: one line on stderr, exit code 2, no stack trace', () => {
    const cases: Array<[string, () => string, RegExp]> = [
      ['a missing file', () => path.join(tmp, 'nope.heapsnapshot'), /nope\.heapsnapshot: no such file/],
      ['a directory', () => tmp, /is a directory/],
      [
        'an empty file',
        () => {
          const f = path.join(tmp, 'empty.heapsnapshot');
          writeFileSync(f, '');
          return f;
        },
        /the file is empty/,
      ],
      [
        'a snapshot truncated in the middle',
        () => {
          const f = path.join(tmp, 'cut2.heapsnapshot');
          const b = readFileSync(file);
          writeFileSync(f, b.subarray(0, b.length - 1000));
          return f;
        },
        /ends early inside the "strings" array \(truncated\?\) \(at byte \d+\)/,
      ],
      [
        'a truncated snapshot',
        () => {
          const f = path.join(tmp, 'cut.heapsnapshot');
          writeFileSync(f, readFileSync(file).subarray(0, 500_000));
          return f;
        },
        /file has 500000 \(truncated\?\)/,
      ],
      [
        'JSON that is not a snapshot',
        () => {
          const f = path.join(tmp, 'package.json');
          writeFileSync(f, '{"name":"x"}');
          return f;
        },
        /no "snapshot" header/,
      ],
      [
        'not JSON',
        () => {
          const f = path.join(tmp, 'notes.txt');
          writeFileSync(f, 'hello');
          return f;
        },
        /expected '\{' at the start/,
      ],
    ];
    for (const [what, make, re] of cases) {
      it(what, () => {
        const r = cli(['summary', make()]);
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, re);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.doesNotMatch(r.stderr, /\n\s+at /);
        assert.equal(r.stdout, '');
      });
    }

    it('--debug adds the stack trace', () => {
      const r = cli(['summary', path.join(tmp, 'nope.heapsnapshot'), '--debug']);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /\n\s+at /);
    });

    it('an unknown flag is a usage error', () => {
      const r = cli(['summary', file, '--frobnicate']);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /frobnicate/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    });
  });
});

describe('strings from the heap cannot drive the terminal', () => {
  let file: string;
  before(() => {
    file = path.join(scratchDir('leakscope-hostile-'), 'hostile.heapsnapshot');
    execFileSync(process.execPath, ['fixtures/programs/hostile-names.mjs', file], { timeout: 60_000 });
  });

  for (const format of ['table', 'markdown']) {
    it(`${format}: control characters in a class name are shown escaped; JSON keeps them exact`, () => {
      const r = cli(['summary', file, '--format', format]);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/.test(r.stdout), 'no raw control or bidi character reaches the terminal');
      // visible, escaped (Markdown escapes the punctuation, which renders as it was)
      const seen = format === 'markdown' ? mdText(r.stdout) : r.stdout;
      assert.ok(seen.includes('{\\x1b]0;pwned\\x07\\x1b[2JEvil\\nVerdict: NO-LEAK\\u202e, payl'), seen);
      assert.ok(!/^Verdict: NO-LEAK/m.test(r.stdout), 'a newline in a name cannot fake a line of output');
    });
  }

  it('json: the name is exact', () => {
    const r = cli(['summary', file, '--json']);
    const j = JSON.parse(r.stdout);
    assert.ok(
      j.classes.some((c: { name: string }) => c.name === '{\u001b]0;pwned\u0007\u001b[2JEvil\nVerdict: NO-LEAK\u202e, payload}'),
      JSON.stringify(j.classes.map((c: { name: string }) => c.name)),
    );
  });
});
