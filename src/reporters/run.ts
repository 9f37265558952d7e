/** Renders a soak test (`leakscope run`): a quiet line when it passes, the whole story when it fails. */
import type { FindingKind } from '../analysis/kinds.js';
import type { SoakJudgement } from '../analysis/soak.js';
import type { ExitStatus } from '../capture/program.js';
import { formatRate } from '../format.js';
import type { RunReport } from '../reports/run.js';
import { printableDeep } from '../text.js';
import { heapChart, lifecycleNotes } from './attach.js';
import { junitReport, sarifReport } from './ci.js';
import { diffMarkdown, diffTable } from './diff.js';
import { runHtml } from './html.js';
import { mdCode, mdEscape } from './markdown.js';

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

export function runOneLine(r: RunReport): string {
  return `leakscope: ${r.verdict === 'no-leak' ? 'no leak' : r.verdict} — ${r.reason}`;
}

export function runTable(r: RunReport, top: number): string {
  const out: string[] = [`leakscope run -- ${r.command.join(' ')}`, `Verdict: ${r.verdict.toUpperCase()} — ${r.reason}`, trendLine(r), ...memoryLine(r)];
  out.push(`Program: ${r.program.stoppedByUs ? `stopped at the end (${exitText(r.program.exit)})` : `ended on its own (${exitText(r.program.exit)})`}`);
  if (r.load) out.push(`Load: ${r.load.command} — ${r.load.runs} run${r.load.runs === 1 ? '' : 's'}${r.load.failed ? ', FAILED' : ''}`);
  if (r.growthTrace) out.push(`Trace: ${r.growthTrace.text}`);
  if (r.accepted.length) out.push(`Accepted in the baseline: ${r.accepted.map((f) => `${f.kind} ${f.name}`).join(', ')}`);
  if (r.ignored.length) out.push(`Not failing (kinds outside --fail-on): ${r.ignored.map((f) => `${f.kind} ${f.name}`).join(', ')}`);
  if (r.workers.length) out.push('', '── main thread ──');
  if (r.diff) out.push('', diffTable(r.diff, top, { embedded: true }));
  const chart = heapChart(r.usage);
  if (chart) out.push('', chart);
  for (const w of r.workers) {
    out.push('', `── ${w.label} ──`, ...lifecycleNotes(w, 'run'), ...memoryLine(w));
    out.push(`Verdict: ${w.verdict.toUpperCase()} — ${w.reason}`);
    if (w.diff) out.push(diffTable(w.diff, top, { embedded: true }));
    const c = heapChart(w.usage, 8, `Heap used by ${w.label}`);
    if (c) out.push('', c);
  }
  if (r.error || r.verdict === 'leak') {
    const tail = r.program.stderrTail.trim();
    if (tail) out.push('', 'Program stderr (last lines):', tail);
    if (r.load?.output) out.push('', 'Load output (last lines):', r.load.output);
  }
  return out.join('\n');
}

export function runMarkdown(r: RunReport, top: number): string {
  const out: string[] = [`# leakscope run: ${r.verdict}`, '', mdCode(`leakscope run -- ${r.command.join(' ')}`), '', `**${r.verdict.toUpperCase()}** — ${mdEscape(r.reason)}`, '', `- ${mdEscape(trendLine(r))}`, ...memoryLine(r).map((l) => `- ${mdEscape(l)}`)];
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
export function renderRun(report: RunReport, judgement: SoakJudgement, failOn: Set<FindingKind>, o: { format: RunFormat; top: number; verbose: boolean; version: string }): string {
  const shown = printableDeep(report);
  const judged = printableDeep(judgement);
  switch (o.format) {
    case 'junit':
      return junitReport(judged, failOn, report.maxGrowth, shown.command.join(' '));
    case 'sarif':
      return sarifReport(judged, o.version);
    case 'markdown':
      return runMarkdown(shown, o.top);
    case 'html':
      return runHtml(shown, o.top, o.version);
    default:
      return report.verdict === 'no-leak' && !o.verbose ? runOneLine(shown) : runTable(shown, o.top);
  }
}
