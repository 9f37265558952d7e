#!/usr/bin/env node
// Writes oclif.manifest.json from the compiled commands (dist/): the flags and help of every command, so that
// `leakscope --help` and `leakscope <command> --help` load no command module (under 0.5 s instead of ~1 s). Run by
// `npm run build` / `npm run compile` after tsc; the file is generated, never committed (.gitignore), and shipped.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Plugin } from '@oclif/core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = path.join(root, 'oclif.manifest.json');
rmSync(file, { force: true });
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true });
await plugin.load();
// every defaultHelp of ours is a constant written as a function (oclif's type for custom flags): the cached text is
// the text, so help need not load the command to re-evaluate it
for (const command of Object.values(plugin.manifest.commands)) {
  command.hasDynamicHelp = false;
  for (const flag of Object.values(command.flags)) if ('hasDynamicHelp' in flag) flag.hasDynamicHelp = false;
  // --json and --debug (GLOBAL) come last in help: oclif puts base flags first, and help keeps this order
  const entries = Object.entries(command.flags);
  const global = ([, flag]) => flag.helpGroup === 'GLOBAL';
  command.flags = Object.fromEntries([...entries.filter((e) => !global(e)), ...entries.filter(global)]);
}
writeFileSync(file, `${JSON.stringify(plugin.manifest)}\n`);
