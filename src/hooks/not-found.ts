/**
 * oclif's command_not_found hook: a typo gets one line naming the closest command ("did you mean 'attach'?") and the
 * usage exit code, never oclif's " ›   Error: command atach:123 not found". Under --json the same error is JSON on
 * stdout, as every other error is (cli/base.ts).
 */
import type { Hook } from '@oclif/core';
import { closest, distance } from 'fastest-levenshtein';
import { ExitCode } from '../common/errors.js';
import { printable } from '../common/text.js';

const hook: Hook.CommandNotFound = async (options) => {
  // with a space as topic separator oclif joins the words it could not place: `atach 123` arrives as `atach:123`
  const typed = options.id.split(':')[0] ?? options.id;
  const commands = options.config.commands
    .filter((c) => !c.hidden)
    .map((c) => c.id)
    .sort();
  const near = closest(typed, commands);
  // a suggestion only when it is plausibly what was meant: at most a third of the letters differ
  const suggestion = near && distance(typed, near) <= Math.max(1, Math.floor(near.length / 3)) ? near : undefined;
  const message = `unknown command '${printable(typed)}'${suggestion ? `; did you mean '${suggestion}'?` : ''} (commands: ${commands.join(', ')}; see leakscope --help)`;
  if (options.argv?.includes('--json') && !options.argv.slice(0, options.argv.indexOf('--json')).includes('--')) {
    process.stdout.write(
      `${JSON.stringify({ error: { message, exitCode: ExitCode.usage, ...(suggestion ? { suggestion } : {}) } }, null, 2)}\n`,
    );
  }
  process.stderr.write(`leakscope: ${message}\n`);
  process.exitCode = ExitCode.usage;
};

export default hook;
