import { Args, Flags } from '@oclif/core';
import { loadSnapshot } from '../analysis/heap/loader.js';
import { HeapGraph } from '../analysis/graph/heap-graph.js';
import { summarize, type SummaryResult } from '../analysis/summary.js';
import { createProgress } from '../reporters/progress.js';
import { summaryMarkdown, summaryTable } from '../reporters/summary.js';
import { printableDeep } from '../text.js';
import { BaseCommand } from '../cli/base.js';

export default class Summary extends BaseCommand {
  static override summary = 'The heap at a glance: totals, top classes, largest objects and who holds them.';

  static override description = `Reads a V8 .heapsnapshot of any size (streamed, never held as one string) and prints:
totals (nodes, edges, self and reachable size), the top classes by retained size (count, self, retained), and the
largest objects with their shortest retainer path from the GC roots and their source location.`;

  static override examples = [
    '<%= config.bin %> summary app.heapsnapshot',
    '<%= config.bin %> summary app.heapsnapshot --top 40 --format markdown > heap.md',
    '<%= config.bin %> summary app.heapsnapshot --json | jq .largest[0]',
  ];

  static override args = {
    file: Args.string({ description: 'a .heapsnapshot file', required: true }),
  };

  static override flags = {
    top: Flags.integer({ description: 'how many classes and objects to list', default: 20, min: 1, max: 10000 }),
    format: Flags.string({ description: 'output format', options: ['table', 'markdown'], default: 'table' }),
  };

  async run(): Promise<SummaryResult & { schema: string }> {
    const { args, flags } = await this.parse(Summary);
    const progress = createProgress(this.showProgress, 'summary');
    let result: SummaryResult;
    try {
      const snap = await loadSnapshot(args.file, { progress });
      const graph = new HeapGraph(snap, progress);
      result = summarize(graph, args.file, { top: flags.top });
    } finally {
      progress.stop();
    }
    if (!this.jsonEnabled()) this.log(flags.format === 'markdown' ? summaryMarkdown(printableDeep(result)) : summaryTable(printableDeep(result)));
    return { schema: 'leakscope.summary/v1', ...result };
  }
}
