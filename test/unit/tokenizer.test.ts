import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SnapshotFormatError } from '../../src/common/errors.js';
import { SnapshotTokenizer } from '../../src/analysis/heap/tokenizer.js';
import { buildSnapshot, root, type BuilderLayout } from '../helpers/builder.js';
import { parseText } from '../helpers/load.js';

const NAMES = ['Grüße', '日本語のキャッシュ', 'emoji 🚀 key', 'quote " and \\ backslash', 'tab\tnewline\n', 'plain'];

function sample(layout: BuilderLayout = 'node20') {
  const nodes = [
    root(),
    { type: 'synthetic', name: '(GC roots)', self: 0 },
    ...NAMES.map((name, i) => ({ type: 'object', name, self: 10 + i })),
  ];
  const edges = [
    { from: 0, type: 'element' as const, name: 1, to: 1 },
    ...NAMES.map((name, i) => ({ from: 1, type: 'property' as const, name: `p-${name}`, to: i + 2 })),
    { from: 2, type: 'weak' as const, name: 'w', to: 3 },
  ];
  return buildSnapshot(nodes, edges, { layout, locations: [[2, 7, 11, 4]] });
}

function dump(text: string, chunks?: number[], stagingRecords?: number) {
  const s = parseText(text, chunks, stagingRecords);
  return {
    nodes: Array.from({ length: s.nodeCount }, (_, n) => [s.nodeTypeName(n), s.nodeName(n), s.nodeId(n), s.selfSize(n)]),
    edges: Array.from({ length: s.edgeCount }, (_, e) => [s.edgeTypeName(e), s.edgeName(e), s.edgeTo(e)]),
    strings: s.strings,
    locations: Array.from(s.locationsRaw),
  };
}

function formatError(fn: () => unknown): SnapshotFormatError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SnapshotFormatError, `expected SnapshotFormatError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

describe('tokenizer', () => {
  it('reads nodes, edges, strings and locations through the accessors', () => {
    const d = dump(sample().text);
    assert.deepEqual(d.nodes[2], ['object', 'Grüße', 5, 10]);
    assert.deepEqual(d.nodes[3], ['object', '日本語のキャッシュ', 7, 11]);
    assert.deepEqual(d.edges[0], ['element', '1', 1]);
    assert.deepEqual(d.edges[3], ['property', 'p-emoji 🚀 key', 4]);
    assert.deepEqual(d.edges.at(-1), ['weak', 'w', 3]);
    assert.ok(d.strings.includes('quote " and \\ backslash'));
    assert.ok(d.strings.includes('tab\tnewline\n'));
    assert.deepEqual(d.locations, [2 * 7, 7, 11, 4]);
  });

  it('gives the same result fed in chunks of 1..7 bytes and in 8 parts', () => {
    const { text } = sample();
    const reference = dump(text);
    for (let size = 1; size <= 7; size++) assert.deepEqual(dump(text, [size]), reference, `chunk size ${size}`);
    assert.deepEqual(dump(text, [1, 2, 3, 5, 7, 11, 13]), reference);
    const eighth = Math.ceil(Buffer.byteLength(text) / 8);
    assert.deepEqual(dump(text, [eighth]), reference);
  });

  it("keeps raw multi-byte UTF-8 intact across every chunk boundary, and reads V8's \\u escapes the same", () => {
    // the builder writes raw UTF-8 (as DevTools-saved files may); V8 itself escapes non-ASCII as \uXXXX
    const { text } = sample();
    assert.ok(/[^\x00-\x7f]/.test(text), 'the sample holds raw non-ASCII bytes');
    const escaped = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const reference = dump(text);
    assert.deepEqual(dump(escaped, [3]), reference);
    const bytes = Buffer.from(text, 'utf8');
    for (let cut = 1; cut < bytes.length; cut += 3) {
      const t = new SnapshotTokenizer();
      t.write(bytes.subarray(0, cut));
      t.write(bytes.subarray(cut));
      const s = t.end();
      assert.deepEqual(s.strings, reference.strings, `cut at ${cut}`);
    }
  });

  it('reads the same records whatever the staging between reader and sink, across chunk boundaries', () => {
    const { text } = sample();
    const reference = dump(text);
    for (const staging of [1, 2, 3, 5]) {
      for (const chunks of [[5], [7, 64], [1 << 20]])
        assert.deepEqual(dump(text, chunks, staging), reference, `staging ${staging}, chunks ${chunks}`);
    }
  });

  it("keeps only what the analyses read: four numbers a node, two an edge plus a type byte; the file's layout for reports", () => {
    const s = parseText(sample('node20').text);
    assert.equal(s.nodes.length, s.nodeCount * 4);
    assert.equal(s.edges.length, s.edgeCount * 2);
    assert.equal(s.edgeTypeOf.length, s.edgeCount);
    assert.equal(s.layout.file.nodeFieldCount, 7);
    assert.equal(s.layout.description, '7 node fields (with detachedness), 3 edge fields');
    assert.equal(s.layout.nTraceNodeId, -1, 'no allocation tracking: trace ids are not kept');
    // the node's edge count became the forward index
    assert.deepEqual(Array.from(s.firstEdge), [0, 1, 7, 8, 8, 8, 8, 8, 8]);
    // with allocation tracking, the trace id is the fifth number
    const tracked = parseText(sample('node20').text.replace('"trace_function_count":0', '"trace_function_count":1'));
    assert.equal(tracked.nodeFieldCount, 5);
    assert.equal(tracked.layout.nTraceNodeId, 4);
  });

  for (const layout of ['node16-no-detachedness', 'reordered-extra'] as const) {
    it(`takes field offsets from meta (${layout})`, () => {
      const ref = dump(sample('node20').text);
      const other = dump(sample(layout).text);
      assert.deepEqual(other.nodes, ref.nodes);
      assert.deepEqual(other.edges, ref.edges);
    });
  }

  it('carries samples, trace_function_infos and the trace tree', () => {
    const { text } = sample();
    const withTrace = text
      .replace('"trace_function_infos":[]', '"trace_function_infos":[1,2,3,4,5,6]')
      .replace('"trace_tree":[]', '"trace_tree":[1,0,0,0,[2,1,3,96,[]]]')
      .replace('"samples":[]', '"samples":[100,5,200,9]');
    const s = parseText(withTrace, [3]);
    assert.deepEqual(Array.from(s.traceFunctionInfos), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(s.samples), [100, 5, 200, 9]);
    assert.deepEqual(s.traceTree, [1, 0, 0, 0, [2, 1, 3, 96, []]]);
  });

  describe('bad input: one SnapshotFormatError naming the problem', () => {
    const good = sample().text;
    const cases: Array<[string, string, RegExp]> = [
      ['empty', '', /empty/],
      ['not JSON', 'hello world', /expected '\{'/],
      ['JSON that is not a snapshot', '{"name":"leakscope","version":"1.0.0"}', /no "snapshot" header/],
      ['an array', '[1,2,3]', /expected '\{'/],
      ['truncated inside nodes', good.slice(0, good.indexOf('"nodes"') + 20), /ends early inside the "nodes" array/],
      ['truncated inside strings', good.slice(0, good.length - 10), /ends early inside the "strings" array/],
      ['node_count too small', good.replace(/"node_count":\d+/, '"node_count":3'), /has more numbers than meta's node_count/],
      ['node_count too large', good.replace(/"node_count":\d+/, '"node_count":9'), /meta says 9 node_count .* but the "nodes" array has/],
      [
        'huge node_count',
        good.replace(/"node_count":\d+/, '"node_count":99999999999'),
        /need at least \d+ bytes, but the file has \d+ \(truncated\?\)/,
      ],
      [
        'edge outside the node array',
        good.replace(/"edges":\[(\d+),(\d+),(\d+)/, '"edges":[$1,$2,7000'),
        /edge #0 points outside the node array/,
      ],
      ['unknown layout', good.replace('"name_or_index"', '"label"'), /unknown snapshot layout: meta.edge_fields lacks 'name_or_index'/],
      ['a letter inside nodes', good.replace('"nodes":[9', '"nodes":[x'), /unexpected 'x' in the "nodes" array/],
      [
        'a leading zero inside nodes (028 is not JSON)',
        good.replace('"nodes":[9', '"nodes":[09'),
        /a number with a leading zero in "nodes" \(not JSON\)/,
      ],
      [
        'a leading zero inside edges',
        good.replace(/"edges":\[(\d+),/, '"edges":[0$1,'),
        /a number with a leading zero in "edges" \(not JSON\)/,
      ],
      ['garbage after the end', `${good}]`, /after the end of the snapshot/],
    ];
    for (const [what, text, re] of cases) {
      it(what, () => {
        const err = formatError(() => parseText(text));
        assert.match(err.message, re);
        assert.equal(err.message.includes('\n'), false, 'one line');
        // the same error at the same byte when the records reach their sink a few at a time
        for (const staging of [1, 3]) {
          const small = formatError(() => parseText(text, [1 << 20], staging));
          assert.equal(small.message, err.message, `staging ${staging}`);
          assert.equal(small.byteOffset, err.byteOffset, `staging ${staging}`);
        }
      });
    }

    it('gives the byte offset where it applies', () => {
      const text = good.replace('"nodes":[9', '"nodes":[x');
      const err = formatError(() => parseText(text, [5]));
      assert.equal(err.byteOffset, text.indexOf('"nodes":[x') + 9);
    });
  });
});
