/** Renders a soak test (`leakscope run`): a quiet line when it passes, the whole story when it fails. */
import type { FindingKind } from '../analysis/findings/kinds.js';
import type { SoakJudgement } from '../analysis/series/soak.js';
import type { ExitStatus } from '../contracts/run.js';
import { formatRate } from '../common/format.js';
import type { RunReport } from '../contracts/run.js';
import { heapChart, lifecycleNotes } from './attach.js';
import { junitReport, sarifReport } from './ci.js';
import path from 'node:path';
import { diffMarkdown, diffTable, heapRange } from './diff.js';
import { clipEnd, outputWidth, rows, wrap } from './layout.js';
import { headLines } from './terminal.js';
import { runHtml } from './html.js';
import { mdCode, mdCulprit, mdEscape } from './markdown.js';

function trendLine(r: RunReport): string {
  const t = r.trend;
  if (!t) return 'Heap trend: too few samples';
  return `Heap trend (post-GC, after warm-up, ${t.samples} samples): ${formatRate(t.slope)}, 95% CI ${formatRate(t.low)} … ${formatRate(t.high)}; drift floor ${formatRate(r.heapFloor)}, limit ${formatRate(r.maxGrowth)}`;
}

/** "Memory: the growth is in Buffers … (JS heap +0.05 MB/min, Buffers +3.10 MB/min, …)", or nothing to say. */
function memoryLine(r: { memory: RunReport['memory'] }): string[] {
  return r.memory ? [`Memory: ${r.memory.text}`] : [];
}

function exitText(s: ExitStatus | null): string {
  if (!s) return 'unknown';
  return s.signal ? `killed by ${s.signal}` : `exit code ${s.code}`;
}

/** A passing run's quiet report: the verdict and its reason, and where the report is. */
export function runOneLine(r: RunReport, width = outputWidth()): string {
  const out = wrap(r.reason, width, `${r.verdict === 'no-leak' ? 'NO LEAK' : r.verdict.toUpperCase()}  `, 2);
  if (r.reportFile) out.push(...rows([['report', r.reportFile]], width, 2));
  return out.join('\n');
}

/** The memory lines: the heap's trend after GC (what is judged), then where the memory went (stated, not judged). */
function memoryRows(r: Pick<RunReport, 'trend' | 'heapFloor' | 'maxGrowth' | 'memory'>): Array<[string, string]> {
  const t = r.trend;
  const heap = t
    ? `${formatRate(t.slope)} after GC (95% CI ${formatRate(t.low)} … ${formatRate(t.high)}, ${t.samples} samples); ` +
      `grows materially above ${formatRate(r.heapFloor)}, fails alone above ${formatRate(r.maxGrowth)}`
    : 'too few samples for a trend';
  return [
    ['heap', heap],
    ['memory', r.memory?.text ?? ''],
  ];
}

/** Where the report and the snapshots are. */
function filesRow(r: RunReport): Array<[string, string]> {
  const snaps =
    r.snapshots.length === 0
      ? ''
      : r.snapshotsDropped
        ? 'dropped (a passing run keeps its report only; --keep-snapshots keeps them)'
        : `${r.snapshots.length} in ${path.dirname(r.snapshots[0])}${heapRange(r.diff)}`;
  return [
    ['report', r.reportFile ?? ''],
    ['snapshots', snaps],
  ];
}

export function runTable(r: RunReport, top: number, o: { verbose?: boolean; width?: number } = {}): string {
  const width = o.width ?? outputWidth();
  const verbose = o.verbose === true;
  const out: string[] = [...headLines(r.verdict, r.reason, r.failing, width)];
  if (r.workers.length) out.push('', '── main thread ──');
  const diff = r.diff ? diffTable(r.diff, top, { embedded: true, verbose, width }) : '';
  if (diff) out.push(diff);
  for (const w of r.workers) {
    out.push('', `── ${w.label} ──`, ...lifecycleNotes(w, 'run'));
    out.push(...wrap(w.reason, width, `${w.verdict.toUpperCase()}  `, 2));
    const wdiff = w.diff ? diffTable(w.diff, top, { embedded: true, verbose, width }) : '';
    if (wdiff) out.push(wdiff);
  }
  out.push('');
  out.push(
    ...rows(
      [
        ...memoryRows(r),
        // the program: worth a line when it ended by itself (or under --verbose), not when leakscope stopped it
        [
          'program',
          verbose || !r.program.stoppedByUs
            ? `${r.command.join(' ')}: ${r.program.stoppedByUs ? `stopped at the end (${exitText(r.program.exit)})` : `ended on its own (${exitText(r.program.exit)})`}`
            : '',
        ],
        ['load', r.load ? `${r.load.command} — ${r.load.runs} run${r.load.runs === 1 ? '' : 's'}${r.load.failed ? ', FAILED' : ''}` : ''],
        ['baseline', r.accepted.length ? `accepted: ${r.accepted.map((f) => `${f.kind} ${f.name}`).join(', ')}` : ''],
        ['not failing', r.ignored.length ? `kinds outside --fail-on: ${r.ignored.map((f) => `${f.kind} ${f.name}`).join(', ')}` : ''],
        ['trace', verbose && r.growthTrace ? r.growthTrace.text : ''],
        ...filesRow(r),
      ],
      width,
    ),
  );
  if (verbose) {
    const chart = heapChart(r.usage);
    if (chart) out.push('', chart);
  }
  if (r.error || (verbose && r.verdict === 'leak')) {
    const tail = r.program.stderrTail
      .trim()
      .split('\n')
      .slice(verbose ? -30 : -8);
    if (tail.join('').trim()) out.push('', 'Program stderr (last lines):', ...tail.map((l) => clipEnd(l, width)));
    if (r.load?.output) out.push('', 'Load output (last lines):', ...r.load.output.split('\n').map((l) => clipEnd(l, width)));
    // the last lines of another program's output end with a blank line: "More" is leakscope's again
    if (out[out.length - 1] !== '' && (tail.join('').trim() || r.load?.output)) out.push('');
  }
  if (!verbose) out.push(clipEnd('More: --verbose, the HTML report, or --json', width));
  return out.join('\n');
}

export function runMarkdown(r: RunReport, top: number): string {
  const out: string[] = [
    `# leakscope run: ${r.verdict}`,
    '',
    mdCode(`leakscope run -- ${r.command.join(' ')}`),
    '',
    `**${r.verdict.toUpperCase()}** — ${mdEscape(r.reason)}`,
    '',
    ...(mdCulprit(r.verdict, r.failing) ? [mdCulprit(r.verdict, r.failing), ''] : []),
    `- ${mdEscape(trendLine(r))}`,
    ...memoryLine(r).map((l) => `- ${mdEscape(l)}`),
  ];
  out.push(`- Program: ${r.program.stoppedByUs ? 'stopped at the end' : 'ended on its own'} (${mdEscape(exitText(r.program.exit))})`);
  if (r.load) out.push(`- Load: ${mdCode(r.load.command)} — ${r.load.runs} run(s)${r.load.failed ? ', **failed**' : ''}`);
  if (r.growthTrace) out.push(`- Trace: ${mdEscape(r.growthTrace.text)}`);
  if (r.accepted.length) out.push(`- Accepted in the baseline: ${r.accepted.map((f) => `${f.kind} ${mdCode(f.name)}`).join(', ')}`);
  if (r.workers.length) out.push('', '## main thread');
  if (r.diff) out.push('', diffMarkdown(r.diff, top, { embedded: true }));
  const chart = heapChart(r.usage);
  if (chart) out.push('', '```', chart, '```');
  for (const w of r.workers) {
    out.push('', `## ${mdEscape(w.label)}`, '', ...lifecycleNotes(w, 'run').map((l) => `${mdEscape(l)}  `), '');
    out.push(`**${w.verdict.toUpperCase()}** — ${mdEscape(w.reason)}`, '');
    if (w.diff) out.push(diffMarkdown(w.diff, top, { embedded: true }));
  }
  return out.join('\n') + '\n';
}

export type RunFormat = 'table' | 'markdown' | 'junit' | 'sarif' | 'html';

/**
 * The run's report in the chosen format. The table is the whole story only when it matters (a leak, an error, an
 * interruption, or --verbose); a clean run is one quiet line. Heap strings are attacker-shaped: every human-readable
 * format renders printable copies.
 */
/** The terminal's report: one line when nothing leaked (CI stays quiet), the whole account otherwise or with --verbose. */
export function runTerminal(shown: RunReport, o: { top: number; verbose: boolean; width?: number }): string {
  return shown.verdict === 'no-leak' && !o.verbose
    ? runOneLine(shown, o.width)
    : runTable(shown, o.top, { verbose: o.verbose, width: o.width });
}

/** `shown` and `judged` are the printable copies (printableDeep, made once by the command). */
export function renderRun(
  shown: RunReport,
  judged: SoakJudgement,
  failOn: Set<FindingKind>,
  o: { format: RunFormat; top: number; verbose: boolean; version: string; width?: number },
): string {
  switch (o.format) {
    case 'junit':
      return junitReport(judged, failOn, shown.maxGrowth, shown.command.join(' '));
    case 'sarif':
      return sarifReport(judged, o.version);
    case 'markdown':
      return runMarkdown(shown, o.top);
    case 'html':
      return runHtml(shown, o.top, o.version);
    default:
      return runTerminal(shown, o);
  }
}
