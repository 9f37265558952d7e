/** The JSON contracts of the offline commands: `summary` (leakscope.summary/v1) and `diff` (leakscope.diff/v1). */
import type { DiffResult } from '../analysis/diff/diff.js';
import type { SummaryResult } from '../analysis/summary.js';

export const SUMMARY_SCHEMA = 'leakscope.summary/v1';
export const DIFF_SCHEMA = 'leakscope.diff/v1';

export type SummaryReport = SummaryResult & { schema: typeof SUMMARY_SCHEMA };
export type DiffReport = DiffResult & { schema: typeof DIFF_SCHEMA };

export function summaryReport(result: SummaryResult): SummaryReport {
  return { schema: SUMMARY_SCHEMA, ...result };
}

export function diffReport(result: DiffResult): DiffReport {
  return { schema: DIFF_SCHEMA, ...result };
}
