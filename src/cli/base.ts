/**
 * What every command shares: --debug, --json (oclif's own flag: the command's return value is printed as JSON),
 * and one error policy — a one-line message on stderr and a distinct exit code, a stack trace only with --debug.
 */
import { Command, Flags } from '@oclif/core';
import { ExitCode, UserError } from '../common/errors.js';
import { writeFileAtomic } from '../common/files.js';
import { allowExposingGc } from '../analysis/heap/release.js';

export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    debug: Flags.boolean({ description: 'Show stack traces for errors.', default: false, helpGroup: 'GLOBAL' }),
  };

  /** --debug as parsed (a command whose flags did not parse has no stack worth showing: its error is a usage one) */
  private debugFlag = false;

  override async init(): Promise<void> {
    await super.init();
    // leakscope's own process: a dropped snapshot's arrays may be freed by a forced GC (never in a library caller's)
    allowExposingGc();
    try {
      const { flags } = await this.parse(this.ctor as typeof BaseCommand);
      this.debugFlag = flags.debug === true;
    } catch {
      // the command's own parse reports what is wrong with its arguments
    }
  }

  /**
   * Prints a rendered report, or writes it to `output` (atomically: a reader never sees half a report) and prints
   * `line` instead, so a CI log still says what happened.
   */
  protected emit(text: string, output: string | undefined, line?: string): void {
    if (!output) {
      this.log(text);
      return;
    }
    writeFileAtomic(output, text.endsWith('\n') ? text : `${text}\n`);
    if (line !== undefined) this.log(line);
  }

  /** Progress and spinners are for people: only on a TTY, never with --json. */
  protected get showProgress(): boolean {
    return !this.jsonEnabled() && Boolean(process.stderr.isTTY);
  }

  /** A live capture's view: drawn in place on a terminal, plain lines every ~15 s in a log (CI), none with --json. */
  protected get viewMode(): 'tty' | 'plain' | 'off' {
    if (this.jsonEnabled()) return 'off';
    return process.stderr.isTTY ? 'tty' : 'plain';
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
    // under --json a pipeline reads stdout: the error is JSON there too, with the same exit code (and the line on stderr)
    if (this.jsonEnabled()) {
      const suggestion = err instanceof UserError ? err.suggestion : undefined;
      process.stdout.write(`${JSON.stringify({ error: { message, exitCode: code, ...(suggestion ? { suggestion } : {}) } }, null, 2)}\n`);
    }
    process.stderr.write(`leakscope: ${message}\n`);
    if (this.debugFlag && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = code;
  }
}

/** oclif's multi-line messages ("The following error occurred:", "Parsing --x", the problem, "See more help ...") -> the problem */
export function oneLine(message: string): string {
  // "Parsing --snapshots" then "Expected an integer ..." -> "--snapshots: Expected an integer ..."
  const joined = message.replace(/^\s*Parsing (--[\w-]+)\s*\n\s*/gm, '$1: ').replace(/(--[\w-]+): \1: /g, '$1: ');
  const lines = joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^The following errors? occurred:?$/.test(l) && !/^See more help with/.test(l) && !/^Parsing --[\w-]+$/.test(l))
    // oclif's advice about repeatable flags ("Note: --x allows multiple values ...", "Alternatively, ... --") is noise
    .filter((l) => !/^Note: --[\w-]+ allows multiple values/.test(l) && !/^Alternatively, you can use "--"/.test(l));
  // "Missing 1 required arg:" followed by "files  two or more ..." -> "missing argument <files>: two or more ..."
  const missing = /^Missing \d+ required args?:$/.exec(lines[0] ?? '');
  if (missing && lines.length > 1) {
    const args = lines.slice(1).map((l) => {
      const [, name, what] = /^(\S+)\s*(.*)$/.exec(l) ?? [l, l, ''];
      return what ? `<${name}> (${what})` : `<${name}>`;
    });
    return `missing ${args.length > 1 ? 'arguments' : 'argument'} ${args.join(', ')}`;
  }
  return lines.join('; ');
}
