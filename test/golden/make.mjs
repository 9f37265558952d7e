#!/usr/bin/env node
// Regenerates the inputs of the golden tests (test/unit/golden.test.ts): the --json reports of real runs of
// leakscope on fixture programs — `run`, `attach` and `diff`, each on a leaking program (session-leak) and on its
// healthy twin (bounded-cache). The repository's path becomes /app and the capture folders /app/.leakscope/<name>,
// so the rendered reports do not depend on where the clone is. Then rewrites the expected texts:
//
//   npm run build && node test/golden/make.mjs && UPDATE_GOLDEN=1 npm run test:unit -- --test-name-pattern golden
//
// Read the new texts before committing them: they are what a user sees.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const scratch = mkdtempSync(path.join(tmpdir(), 'leakscope-golden-'));
const cli = (args) => {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, CI: 'true' },
  });
  if (!r.stdout.trim().startsWith('{')) throw new Error(`leakscope ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
};
const save = (name, json, dirs) => {
  let text = json.split(root).join('/app');
  for (const [dir, as] of dirs) text = text.split(dir).join(`/app/.leakscope/${as}`);
  writeFileSync(path.join(here, `${name}.json`), text);
  console.log(`wrote test/golden/${name}.json (${(text.length / 1024).toFixed(0)} KiB)`);
};

async function attach(program) {
  const child = spawn(process.execPath, ['--inspect-port=0', path.join(root, 'fixtures/programs', `${program}.mjs`)], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, LEAKSCOPE_PARENT_PID: String(process.pid) },
  });
  try {
    await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => (out += d) && out.includes('listening on') && resolve());
      child.on('exit', (code) => reject(new Error(`${program} exited with ${code}`)));
    });
    const out = path.join(scratch, `attach-${program}`);
    return [
      cli(['attach', String(child.pid), '--interval', '1s', '--snapshots', '3', '--out', out, '--json']),
      [[out, `attach-${program}`]],
    ];
  } finally {
    child.kill('SIGKILL');
  }
}

try {
  for (const [program, as] of [
    ['session-leak', 'leak'],
    ['bounded-cache', 'healthy'],
  ]) {
    const out = path.join(scratch, `run-${program}`);
    save(
      `run-${as}`,
      cli(['run', '--quick', '--keep-snapshots', '--out', out, '--json', '--', 'node', `fixtures/programs/${program}.mjs`]),
      [[out, `run-${program}`]],
    );
    const snapshots = readdirSync(out)
      .filter((f) => f.endsWith('.heapsnapshot'))
      .sort()
      .map((f) => path.join(out, f));
    save(`diff-${as}`, cli(['diff', ...snapshots, '--json']), [[out, `run-${program}`]]);
    const [json, dirs] = await attach(program);
    save(`attach-${as}`, json, dirs);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
