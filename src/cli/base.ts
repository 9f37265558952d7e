/**
 * What every command shares: --debug, --json (oclif's own flag: the command's return value is printed as JSON),
 * and one error policy — a one-line message on stderr and a distinct exit code, a stack trace only with --debug.
 */
import { Command, Flags } from '@oclif/core';
import { ExitCode, UserError } from '../errors.js';

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    debug: Flags.boolean({ description: 'Show stack traces for errors.', default: false, helpGroup: 'GLOBAL' }),
  };

  protected get debugMode(): boolean {
    return this.argv.includes('--debug');
  }

  /** Progress and spinners are for people: only on a TTY, never with --json. */
  protected get showProgress(): boolean {
    return !this.jsonEnabled() && Boolean(process.stderr.isTTY);
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    let code: number;
    let message: string;
    if (err instanceof UserError) {
      code = err.exitCode;
      // a UserError thrown from a custom flag's parse comes back decorated by oclif ("Parsing --x", "See more help")
      message = oneLine(err.message) + (err.suggestion ? ` (${err.suggestion})` : '');
    } else if (err.oclif && typeof err.oclif.exit === 'number') {
      // oclif's own usage errors (unknown flag, missing argument): exit 2; help/version exits pass through
      code = err.oclif.exit === 0 ? 0 : ExitCode.usage;
      // oclif's messages span lines ("The following error occurred:", the problem, "See more help ..."): keep the problem
      message = oneLine(String(err.message));
      if (code === 0) {
        process.exitCode = 0;
        return;
      }
    } else {
      code = ExitCode.internal;
      message = `internal error: ${err.message} (run with --debug for the stack trace)`;
    }
    process.stderr.write(`leakscope: ${message}\n`);
    if (this.debugMode && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = code;
  }
}

/** oclif's multi-line messages ("The following error occurred:", "Parsing --x", the problem, "See more help ...") -> the problem */
function oneLine(message: string): string {
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^The following errors? occurred:?$/.test(l) && !/^See more help with/.test(l) && !/^Parsing --[\w-]+$/.test(l))
    .join('; ');
}
