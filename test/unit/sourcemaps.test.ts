import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SourceMapper, sourceMappingURL } from '../../src/common/sourcemaps.js';
import { scratchDir } from '../helpers/scratch.js';

// a.ts line 3 `const x = new Map();` compiled to a.js line 1 (mappings: line 1 col 0 -> source 0 line 3 col 0)
const MAP = JSON.stringify({ version: 3, file: 'a.js', sources: ['../src/a.ts'], names: [], mappings: 'AAEA' });

describe('source maps', () => {
  it('finds the sourceMappingURL comment at the end of a script, in either comment style', () => {
    assert.equal(sourceMappingURL('x();\n//# sourceMappingURL=a.js.map\n'), 'a.js.map');
    assert.equal(sourceMappingURL('x();\n/*# sourceMappingURL=data:application/json;base64,e30= */'), 'data:application/json;base64,e30=');
    assert.equal(sourceMappingURL('x(); // no map'), null);
  });

  it('maps a compiled position through a .map file beside the script, and through an inline map', () => {
    const dir = scratchDir('leakscope-maps-');
    const js = path.join(dir, 'dist', 'a.js');
    const mapper = new SourceMapper();
    const mapped = mapper.map({ file: js, line: 1, column: 1 }, () => 'const x = new Map();\n//# sourceMappingURL=a.js.map\n');
    // no such .map file: the compiled location stays
    assert.deepEqual(mapped, { file: js, line: 1, column: 1 });
    const inline = `const x = new Map();\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(MAP).toString('base64')}\n`;
    const other = path.join(dir, 'dist', 'b.js');
    assert.deepEqual(
      new SourceMapper().map({ file: other, line: 1, column: 1 }, () => inline),
      { file: path.join(dir, 'src', 'a.ts'), line: 3, column: 1, compiled: { file: other, line: 1, column: 1 } },
    );
  });

  it('a broken map leaves the location as it was', () => {
    const dir = scratchDir('leakscope-maps-');
    writeFileSync(path.join(dir, 'c.js.map'), '{ not json');
    const loc = { file: path.join(dir, 'c.js'), line: 2, column: 5 };
    assert.deepEqual(
      new SourceMapper().map(loc, () => 'x\n//# sourceMappingURL=c.js.map'),
      loc,
    );
  });
});
