import { statSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { printable, printableDeep } from '../common/text.js';
import { addSourceRoots } from '../common/source-files.js';
import { snapshotProjects } from '../cli/targeting.js';
import { DEFAULT_DIFF_OPTIONS, failsOn, type DiffResult } from '../analysis/diff/diff.js';
import { diffFiles } from '../analysis/diff/diff-files.js';
import { diffHtml } from '../reporters/html.js';
import {
  sourceMapsFlag,
  failingKinds,
  formatFlag,
  outputFlag,
  reportFailFlags,
  significanceFlags,
  significanceOptions,
  size,
  topFlag,
  sourceRootFlag,
  grouped,
} from '../cli/flags.js';
import { BaseCommand } from '../cli/base.js';
import { ExitCode, UserError } from '../common/errors.js';
import { checkDestination } from '../common/files.js';
import { diffReport, type DiffReport } from '../contracts/offline.js';
import { diffMarkdown, diffTable, verdictLine } from '../reporters/diff.js';
import { createProgress } from '../reporters/progress.js';

export default class Diff extends BaseCommand {
  static override summary = 'What grew between heap snapshots of one process, who holds it, and where it is declared.';

  static override description =
    `Compares two or more .heapsnapshot files of one process, oldest first. Reports per-class growth, the ` +
    `objects allocated after the first snapshot that are still alive in the last one grouped by the collection ` +
    `or scope that holds them (with its retainer path and source location), and a verdict: leak, no-leak ` +
    `or inconclusive. Three snapshots or more are needed for a "leak" verdict: with two, warm-up and a leak ` +
    `look alike.`;

  static override examples = [
    '<%= config.bin %> diff s1.heapsnapshot s2.heapsnapshot s3.heapsnapshot',
    '<%= config.bin %> diff s1.heapsnapshot s2.heapsnapshot s3.heapsnapshot --fail-on all --format markdown -o diff.md',
    '<%= config.bin %> diff s1.heapsnapshot s3.heapsnapshot --json | jq .findings[0]',
  ];

  static override strict = false;

  static override args = {
    files: Args.string({ description: 'two or more .heapsnapshot files of one process, oldest first', required: true }),
  };

  static override flags = grouped({
    ...reportFailFlags,
    top: topFlag('findings and classes'),
    format: formatFlag(['table', 'markdown', 'html'] as const),
    output: outputFlag,
    'min-objects': Flags.integer({
      description: 'least new objects under one holder to report it',
      default: DEFAULT_DIFF_OPTIONS.minObjects,
      min: 1,
    }),
    'min-bytes': size('least bytes those objects retain to report them', DEFAULT_DIFF_OPTIONS.minBytes, '16KiB'),
    ...significanceFlags,
    'source-maps': sourceMapsFlag,
    'source-root': sourceRootFlag,
    verbose: Flags.boolean({
      description: 'every finding in full, the watch items, the evidence, the per-class table and the charts',
      default: false,
    }),
  });

  async run(): Promise<DiffReport> {
    const { argv, flags } = await this.parse(Diff);
    const files = argv as string[];
    if (files.length < 2) {
      throw new UserError('diff needs at least two snapshots of one process', {
        suggestion: 'leakscope diff before.heapsnapshot after.heapsnapshot [later.heapsnapshot ...]',
      });
    }
    sameFileTwice(files);
    addSourceRoots([...(flags['source-root'] ?? []), ...snapshotProjects(files)]);
    if (flags.output) checkDestination(flags.output);
    const progress = createProgress(this.showProgress, 'diff');
    let result: DiffResult;
    try {
      result = await diffFiles(files, {
        top: flags.top,
        minObjects: flags['min-objects'],
        minBytes: flags['min-bytes'],
        significance: significanceOptions(flags),
        progress,
        sourceMaps: flags['source-maps'],
      });
    } finally {
      progress.stop();
    }
    if (!this.jsonEnabled()) {
      const shown = printableDeep(result);
      const text =
        flags.format === 'markdown'
          ? diffMarkdown(shown, flags.top)
          : flags.format === 'html'
            ? diffHtml(shown, flags.top, this.config.version)
            : diffTable(shown, flags.top, { verbose: flags.verbose });
      this.emit(text, flags.output, verdictLine(shown));
    }
    const kinds = failingKinds(flags);
    if (failsOn(result, kinds)) process.exitCode = ExitCode.leak;
    else if (result.verdict === 'inconclusive' && kinds.size > 0) process.exitCode = ExitCode.inconclusive;
    return diffReport(result);
  }
}

/** The same file under two names (a symlink, a hard link, a relative and an absolute path) is one snapshot. */
function sameFileTwice(files: string[]): void {
  const seen = new Map<string, string>();
  for (const f of files) {
    let key: string;
    try {
      const st = statSync(f);
      key = `${st.dev}:${st.ino}`;
    } catch {
      continue; // the loader says what is wrong with it
    }
    const first = seen.get(key);
    if (first !== undefined) {
      throw new UserError(
        first === f
          ? `the same snapshot file is given twice: ${printable(f)}`
          : `${printable(first)} and ${printable(f)} are the same file: give different snapshots`,
      );
    }
    seen.set(key, f);
  }
}
