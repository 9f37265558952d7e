/**
 * CI formats for a soak test: JUnit XML (one test case per finding kind, plus the heap trend) and SARIF (one
 * result per failing finding, at its source location). Built with junit-report-builder and node-sarif-builder.
 */
import path from 'node:path';
import junitModule, { type Builder } from 'junit-report-builder';
import { SarifBuilder, SarifResultBuilder, SarifRuleBuilder, SarifRunBuilder } from 'node-sarif-builder';
import type { Finding, FindingKind } from '../analysis/findings/findings.js';
import type { SoakJudgement } from '../analysis/series/soak.js';
import { ALL_KINDS, KINDS } from '../analysis/findings/kinds.js';
import { formatLocation, formatRate } from '../common/format.js';

// a CommonJS module whose default export is the builder (its typings describe the ES build)
const junit = junitModule as unknown as Builder;

/**
 * Text for a CDATA section: the XML builder underneath ends a CDATA section at the first `]]>` only (and ends it
 * for good at the next), so a heap string holding two could close the section and plant elements of its own. Every
 * `]]>` is broken with a space: the text reads the same and can never end the section.
 */
export function cdataSafe(text: string): string {
  return text.replace(/]]>/g, ']] >');
}

function findingText(f: Finding): string {
  return [
    f.summary,
    f.pathText && `path: ${f.pathText}`,
    f.location && `location: ${formatLocation(f.location)}`,
    `fix: ${f.hint}`,
    `count by snapshot: ${f.countByStep.join(' → ')}`,
  ]
    .filter(Boolean)
    .join('\n');
}

export function junitReport(j: SoakJudgement, failOn: Set<FindingKind>, maxGrowth: number, command: string): string {
  const builder = junit.newBuilder();
  const suite = builder.testSuite().name(`leakscope run -- ${command}`);
  for (const kind of ALL_KINDS) {
    const tc = suite.testCase().className('leakscope').name(`${kind}: ${KINDS[kind].rule}`);
    const failing = j.failing.filter((f) => f.kind === kind);
    if (failing.length)
      tc.failure(
        `${failing.length} leak${failing.length > 1 ? 's' : ''}: ${failing.map((f) => `${f.name}${f.location ? ` (${path.basename(f.location.file)}:${f.location.line})` : ''}`).join(', ')}`,
        kind,
      ).stacktrace(cdataSafe(failing.map(findingText).join('\n\n')));
    else if (!failOn.has(kind)) tc.skipped();
  }
  const heap = suite
    .testCase()
    .className('leakscope')
    .name(`heap-growth: post-GC heap slope stays under ${formatRate(maxGrowth)}`);
  if (j.verdict === 'leak' && j.trend && j.trend.low > maxGrowth) heap.failure(j.reason, 'heap-growth');
  if (j.trend)
    heap.standardOutput(
      cdataSafe(
        `slope ${formatRate(j.trend.slope)} (95% CI ${formatRate(j.trend.low)} … ${formatRate(j.trend.high)}) over ${j.trend.samples} samples`,
      ),
    );
  return builder.build();
}

export function sarifReport(j: SoakJudgement, version: string): string {
  const sarif = new SarifBuilder();
  const run = new SarifRunBuilder().initSimple({ toolDriverName: 'leakscope', toolDriverVersion: version });
  for (const kind of ALL_KINDS) run.addRule(new SarifRuleBuilder().initSimple({ ruleId: kind, shortDescriptionText: KINDS[kind].rule }));
  for (const f of [...j.failing, ...j.ignored, ...j.accepted, ...j.watch]) {
    const level = j.failing.includes(f) ? 'error' : 'note';
    const result = new SarifResultBuilder().initSimple({
      level,
      messageText: findingText(f),
      ruleId: f.kind,
      ...(f.location
        ? {
            fileUri: path.relative(process.cwd(), f.location.file) || f.location.file,
            startLine: f.location.line,
            startColumn: f.location.column,
          }
        : {}),
    });
    run.addResult(result);
  }
  sarif.addRun(run);
  return sarif.buildSarifJsonString({ indent: true });
}
