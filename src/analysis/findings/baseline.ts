/**
 * A baseline of accepted findings (`leakscope-baseline.json`): CI fails only on findings that are not in it.
 * A finding is identified by its kind, its name and its source file and line (paths relative to the project).
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../common/files.js';
import path from 'node:path';
import { UserError } from '../../common/errors.js';
import type { Finding } from './findings.js';

export interface BaselineEntry {
  kind: string;
  name: string;
  location: string | null;
  note?: string;
}

export interface Baseline {
  schema: 'leakscope.baseline/v1';
  accepted: BaselineEntry[];
}

export function findingKey(f: Finding, root = process.cwd()): BaselineEntry {
  const location = f.location ? `${path.relative(root, f.location.file) || f.location.file}:${f.location.line}` : null;
  return { kind: f.kind, name: f.name, location };
}

const same = (a: BaselineEntry, b: BaselineEntry) => a.kind === b.kind && a.name === b.name && a.location === b.location;

export function readBaseline(file: string): Baseline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file}: cannot read the baseline (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      suggestion: 'create it with --update-baseline',
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError(`${file}: the baseline is not valid JSON`);
  }
  const b = value as Partial<Baseline>;
  if (b?.schema !== 'leakscope.baseline/v1' || !Array.isArray(b.accepted))
    throw new UserError(`${file}: not a leakscope baseline (schema leakscope.baseline/v1)`);
  return b as Baseline;
}

export function writeBaseline(file: string, findings: Finding[]): Baseline {
  const baseline: Baseline = { schema: 'leakscope.baseline/v1', accepted: findings.map((f) => findingKey(f)) };
  writeFileAtomic(file, `${JSON.stringify(baseline, null, 2)}\n`);
  return baseline;
}

export function isAccepted(baseline: Baseline | null, f: Finding): boolean {
  if (!baseline) return false;
  const key = findingKey(f);
  return baseline.accepted.some((a) => same(a, key));
}
