/**
 * Source maps: a TypeScript service (fixtures/ts-service, compiled here by the typescript devDependency with
 * --sourceMap, and again with --inlineSourceMap) run under `leakscope run`, and its snapshots diffed offline: the
 * finding points at the .ts file and line of the growing collection, with the compiled location beside it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { cli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/fixtures.js';
import { targetNode } from '../helpers/nodes.js';
import { scratchDir } from '../helpers/scratch.js';

const project = path.join(repoRoot, 'fixtures', 'ts-service');
const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

interface Loc {
  file: string;
  line: number;
  column: number;
  compiled?: { file: string; line: number; column: number };
}

describe('source maps: a TypeScript service', () => {
  let tmp: string;
  before(() => {
    tmp = scratchDir('leakscope-ts-');
    execFileSync(process.execPath, [tsc, '-p', project], { timeout: 120_000 });
    execFileSync(
      process.execPath,
      [tsc, '-p', project, '--sourceMap', 'false', '--inlineSourceMap', '--outDir', path.join(project, 'dist-inline')],
      { timeout: 120_000 },
    );
  });

  it('run: the finding is at the .ts line of the growing Map, the compiled line beside it; diff offline agrees; --no-source-maps prints the compiled one', () => {
    const out = path.join(tmp, 'run');
    const r = cli(['run', '--quick', '--out', out, '--json', '--', targetNode, path.join(project, 'dist', 'server.js')], {
      timeoutMs: 120_000,
    });
    assert.equal(r.status, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    const f = j.failing[0];
    assert.deepEqual([f.kind, f.name, f.holderClass], ['growing-collection', 'orderIndex', 'Map']);
    const loc: Loc = f.location;
    assert.ok(loc.file.endsWith('fixtures/ts-service/src/store/order-index.ts'), loc.file);
    assert.equal(loc.line, 21);
    assert.ok(loc.compiled?.file.endsWith('fixtures/ts-service/dist/store/order-index.js'), JSON.stringify(loc.compiled));
    assert.equal(loc.compiled?.line, 4);
    assert.match(
      f.summary,
      /^orderIndex \(Map\) in fixtures\/ts-service\/src\/store\/order-index\.ts:21:7 held by module fixtures\/ts-service\/src\/store\/order-index\.ts/,
    );

    const files = readdirSync(out)
      .filter((x) => x.endsWith('.heapsnapshot'))
      .sort()
      .map((x) => path.join(out, x));
    const table = cli(['diff', ...files]);
    assert.match(table.stdout, /^LEAK at fixtures\/ts-service\/src\/store\/order-index\.ts:21:7: orderIndex \(Map\)\n/);
    assert.match(
      table.stdout.replace(/\s+/g, ' '),
      / declared fixtures\/ts-service\/src\/store\/order-index\.ts:21:7 \(compiled fixtures\/ts-service\/dist\/store\/order-index\.js:4:7\) /,
    );
    const raw = JSON.parse(cli(['diff', ...files, '--json', '--no-source-maps']).stdout);
    const compiled: Loc = raw.findings[0].location;
    assert.ok(compiled.file.endsWith('fixtures/ts-service/dist/store/order-index.js'), compiled.file);
    assert.equal(compiled.line, 4);
    assert.equal(compiled.compiled, undefined);
  });

  it('a class field holds the Map (`private readonly openOrders = new Map()`): declared at its .ts line, added at the .ts line of set', () => {
    const r = cli(
      ['run', '--quick', '--out', path.join(tmp, 'class'), '--json', '--', targetNode, path.join(project, 'dist', 'class-server.js')],
      { timeoutMs: 120_000 },
    );
    assert.equal(r.status, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.failing.length, 1, JSON.stringify(j.failing.map((f: { name: string }) => f.name)));
    const f = j.failing[0];
    assert.deepEqual([f.kind, f.name, f.holderClass, f.itemClass], ['growing-collection', 'openOrders', 'Map', 'Object']);
    assert.match(f.pathText, /module fixtures\/ts-service\/src\/class-server\.ts → index \(OrderIndex\) → openOrders \(Map\)$/);
    const loc: Loc = f.location;
    assert.ok(loc.file.endsWith('fixtures/ts-service/src/store/open-orders.ts'), loc.file);
    assert.equal(loc.line, 6);
    assert.ok(loc.compiled?.file.endsWith('fixtures/ts-service/dist/store/open-orders.js'), JSON.stringify(loc.compiled));
    const site = f.addedAt.sites[0];
    assert.equal(f.addedAt.source, 'instrumentation');
    assert.ok(site.file.endsWith('fixtures/ts-service/src/store/open-orders.ts'), site.file);
    assert.equal(site.line, 9);
    assert.equal(site.text, 'this.openOrders.set(order.id, order);');
  });

  it('an inline (data:) source map works the same', () => {
    const r = cli(
      ['run', '--quick', '--out', path.join(tmp, 'inline'), '--json', '--', targetNode, path.join(project, 'dist-inline', 'server.js')],
      { timeoutMs: 120_000 },
    );
    assert.equal(r.status, 1, r.stderr);
    const loc: Loc = JSON.parse(r.stdout).failing[0].location;
    assert.ok(loc.file.endsWith('fixtures/ts-service/src/store/order-index.ts'), loc.file);
    assert.equal(loc.line, 21);
    assert.ok(loc.compiled?.file.endsWith('fixtures/ts-service/dist-inline/store/order-index.js'), JSON.stringify(loc.compiled));
  });
});
