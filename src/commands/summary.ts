import { addSourceRoots } from '../common/source-files.js';
import { snapshotProjects } from '../cli/targeting.js';
import { Args } from '@oclif/core';
import { loadSnapshot } from '../analysis/heap/loader.js';
import { HeapGraph } from '../analysis/graph/heap-graph.js';
import { summarize, type SummaryResult } from '../analysis/summary.js';
import { createProgress } from '../reporters/progress.js';
import { summaryMarkdown, summaryTable } from '../reporters/summary.js';
import { printable, printableDeep } from '../common/text.js';
import { BaseCommand } from '../cli/base.js';
import { formatFlag, outputFlag, sourceMapsFlag, topFlag, sourceRootFlag, grouped } from '../cli/flags.js';
import { SourceMapper } from '../common/sourcemaps.js';
import { checkDestination } from '../common/files.js';
import { summaryReport, type SummaryReport } from '../contracts/offline.js';

export default class Summary extends BaseCommand {
  static override summary = 'The heap at a glance: totals, top classes, largest objects and who holds them.';

  static override description =
    `Reads a V8 .heapsnapshot of any size (streamed, never held as one string) and prints: totals (nodes, ` +
    `edges, self and reachable size), the top classes by retained size (count, self, retained), and the largest ` +
    `objects with their shortest retainer path from the GC roots and their source location.`;

  static override examples = [
    '<%= config.bin %> summary app.heapsnapshot',
    '<%= config.bin %> summary app.heapsnapshot --top 40 --format markdown > heap.md',
    '<%= config.bin %> summary app.heapsnapshot --json | jq .largest[0]',
  ];

  static override args = {
    file: Args.string({ description: 'a .heapsnapshot file', required: true }),
  };

  static override flags = grouped({
    top: topFlag('classes and objects'),
    format: formatFlag(['table', 'markdown'] as const),
    output: outputFlag,
    'source-maps': sourceMapsFlag,
    'source-root': sourceRootFlag,
  });

  async run(): Promise<SummaryReport> {
    const { args, flags } = await this.parse(Summary);
    addSourceRoots([...(flags['source-root'] ?? []), ...snapshotProjects([args.file as string])]);
    if (flags.output) checkDestination(flags.output);
    const progress = createProgress(this.showProgress, 'summary');
    let result: SummaryResult;
    try {
      const snap = await loadSnapshot(args.file, { progress });
      if (flags['source-maps']) snap.locationMapper = new SourceMapper();
      const graph = new HeapGraph(snap, progress);
      result = summarize(graph, args.file, { top: flags.top });
    } finally {
      progress.stop();
    }
    if (!this.jsonEnabled()) {
      const shown = printableDeep(result);
      this.emit(
        flags.format === 'markdown' ? summaryMarkdown(shown) : summaryTable(shown),
        flags.output,
        `leakscope: summary of ${shown.file} written to ${printable(flags.output ?? '')}`,
      );
    }
    return summaryReport(result);
  }
}
