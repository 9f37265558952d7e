/** Renders a soak test (`leakscope run`): a quiet line when it passes, the whole story when it fails. */
import type { DiffResult } from '../analysis/diff.js';
import type { SoakJudgement } from '../analysis/soak.js';
import { formatRate } from '../format.js';
import type { Trend } from '../analysis/trend.js';
import type { ExitStatus } from '../capture/program.js';
import { heapChart } from './attach.js';
import { diffMarkdown, diffTable } from './diff.js';

export interface RunReport {
  schema: 'leakscope.run/v1';
  command: string[];
  verdict: SoakJudgement['verdict'];
  reason: string;
  exitCode: number;
  trend: Trend | null;
  maxGrowth: number;
  failOn: string[];
  failing: SoakJudgement['failing'];
  accepted: SoakJudgement['accepted'];
  ignored: SoakJudgement['ignored'];
  watch: SoakJudgement['watch'];
  /** the heap slope that counts as growth (bytes/min) */
  heapFloor: number;
  diff: DiffResult | null;
  snapshots: string[];
  usage: Array<{ t: number; used: number; total: number; external: number; rss: number; limit: number }>;
  warmup: Array<{ t: number; used: number }>;
  program: { exit: ExitStatus | null; stoppedByUs: boolean; stderrTail: string };
  load: { command: string; runs: number; exits: ExitStatus[]; failed: boolean; output: string } | null;
  error: string | null;
}

function trendLine(r: RunReport): string {
  const t = r.trend;
  if (!t) return 'Heap trend: too few samples';
  return `Heap trend (post-GC, after warm-up, ${t.samples} samples): ${formatRate(t.slope)}, 95% CI ${formatRate(t.low)} … ${formatRate(t.high)}; drift floor ${formatRate(r.heapFloor)}, limit ${formatRate(r.maxGrowth)}`;
}

function exitText(s: ExitStatus | null): string {
  if (!s) return 'unknown';
  return s.signal ? `killed by ${s.signal}` : `exit code ${s.code}`;
}

export function runOneLine(r: RunReport): string {
  return `leakscope: ${r.verdict === 'no-leak' ? 'no leak' : r.verdict} — ${r.reason}`;
}

export function runTable(r: RunReport, top: number): string {
  const out: string[] = [`leakscope run -- ${r.command.join(' ')}`, `Verdict: ${r.verdict.toUpperCase()} — ${r.reason}`, trendLine(r)];
  out.push(`Program: ${r.program.stoppedByUs ? `stopped at the end (${exitText(r.program.exit)})` : `ended on its own (${exitText(r.program.exit)})`}`);
  if (r.load) out.push(`Load: ${r.load.command} — ${r.load.runs} run${r.load.runs === 1 ? '' : 's'}${r.load.failed ? ', FAILED' : ''}`);
  if (r.accepted.length) out.push(`Accepted in the baseline: ${r.accepted.map((f) => `${f.kind} ${f.name}`).join(', ')}`);
  if (r.ignored.length) out.push(`Not failing (kinds outside --fail-on): ${r.ignored.map((f) => `${f.kind} ${f.name}`).join(', ')}`);
  if (r.diff) out.push('', diffTable(r.diff, top));
  const chart = heapChart(r.usage);
  if (chart) out.push('', chart);
  if (r.error || r.verdict === 'leak') {
    const tail = r.program.stderrTail.trim();
    if (tail) out.push('', 'Program stderr (last lines):', tail);
    if (r.load?.output) out.push('', 'Load output (last lines):', r.load.output);
  }
  return out.join('\n');
}

export function runMarkdown(r: RunReport, top: number): string {
  const out: string[] = [`# leakscope run: ${r.verdict}`, '', `\`leakscope run -- ${r.command.join(' ')}\``, '', `**${r.verdict.toUpperCase()}** — ${r.reason}`, '', `- ${trendLine(r)}`];
  out.push(`- Program: ${r.program.stoppedByUs ? 'stopped at the end' : 'ended on its own'} (${exitText(r.program.exit)})`);
  if (r.load) out.push(`- Load: \`${r.load.command}\` — ${r.load.runs} run(s)${r.load.failed ? ', **failed**' : ''}`);
  if (r.accepted.length) out.push(`- Accepted in the baseline: ${r.accepted.map((f) => `${f.kind} \`${f.name}\``).join(', ')}`);
  if (r.diff) out.push('', diffMarkdown(r.diff, top).replace(/^# leakscope diff: .*\n/, ''));
  const chart = heapChart(r.usage);
  if (chart) out.push('', '```', chart, '```');
  return out.join('\n') + '\n';
}
