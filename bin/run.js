#!/usr/bin/env node
// leakscope's entry point. `--version`/`-v` is answered here without loading oclif (a version check that takes a
// second is one nobody scripts); `help [command]` is `[command] --help`; everything else is oclif's, which reads the
// commands' flags from oclif.manifest.json (written at build time) so that --help loads no command either.
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const first = argv[0];
if (argv.length === 1 && (first === '--version' || first === '-v' || first === 'version')) {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`leakscope/${version} ${process.platform}-${process.arch} node-${process.version}\n`);
} else {
  const args = first === 'help' ? [...argv.slice(1), '--help'] : argv;
  const { flush, handle, run } = await import('@oclif/core');
  await run(args, import.meta.url).then(
    () => flush(),
    (error) => handle(error),
  );
}
