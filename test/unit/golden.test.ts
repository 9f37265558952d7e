/**
 * Golden tests of the terminal report: what `run`, `attach` and `diff` print for a leak and for a healthy program, at
 * 80 columns, from the --json reports of real runs (test/golden/*.json, made by test/golden/make.mjs). The text must
 * be exactly test/golden/<name>.txt; `UPDATE_GOLDEN=1` rewrites those files (read the diff before committing it).
 * Beyond the exact text: no line is wider than the terminal, line 1 is the verdict with the culprit's path:line, and
 * a leak's report fits in about 25 lines.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { DiffResult } from '../../src/analysis/diff/diff.js';
import { setProjectRoot } from '../../src/common/format.js';
import type { AttachReport } from '../../src/contracts/attach.js';
import type { RunReport } from '../../src/contracts/run.js';
import { attachTable } from '../../src/reporters/attach.js';
import { diffTable } from '../../src/reporters/diff.js';
import { runTerminal } from '../../src/reporters/run.js';
import { printableDeep } from '../../src/common/text.js';
import { repoRoot } from '../helpers/fixtures.js';

const WIDTH = 80;
const TOP = 10;
const dir = path.join(repoRoot, 'test', 'golden');

const render = {
  run: (r: unknown) => runTerminal(printableDeep(r as RunReport), { top: TOP, verbose: false, width: WIDTH }),
  attach: (r: unknown) => attachTable(printableDeep(r as AttachReport), TOP, { width: WIDTH }),
  diff: (r: unknown) => diffTable(printableDeep(r as DiffResult), TOP, { width: WIDTH }),
};

describe('golden terminal reports (80 columns)', () => {
  for (const command of ['run', 'attach', 'diff'] as const) {
    for (const as of ['leak', 'healthy'] as const) {
      it(`${command} on ${as === 'leak' ? 'a leaking program' : 'its healthy twin'}`, () => {
        setProjectRoot('/app');
        const report = JSON.parse(readFileSync(path.join(dir, `${command}-${as}.json`), 'utf8'));
        const text = render[command](report);
        const golden = path.join(dir, `${command}-${as}.txt`);
        if (process.env.UPDATE_GOLDEN) writeFileSync(golden, `${text}\n`);
        assert.ok(existsSync(golden), `${golden} is missing: run UPDATE_GOLDEN=1 npm run test:unit`);
        assert.equal(
          `${text}\n`,
          readFileSync(golden, 'utf8'),
          `the ${command} report changed: if that is intended, UPDATE_GOLDEN=1 and read the diff`,
        );
        const lines = text.split('\n');
        for (const l of lines) assert.ok([...l].length <= WIDTH, `wider than ${WIDTH} columns (${[...l].length}): ${l}`);
        if (as === 'leak') {
          // the verdict, the culprit and its place on the first line; the whole account in about 25 lines
          assert.match(lines[0] as string, /^LEAK\b.* fixtures\/programs\/session-leak\.mjs:15\b.*\bsessions\b/);
          assert.ok(lines.length <= 30, `${lines.length} lines`);
        } else {
          assert.match(lines[0] as string, /^(no leak|OK)\b/i);
          assert.ok(lines.length <= 15, `${lines.length} lines`);
        }
      });
    }
  }
});
