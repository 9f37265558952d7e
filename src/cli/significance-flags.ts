/**
 * The practical-significance thresholds (analysis/significance.ts), the same flags for diff, attach and run:
 *   --min-relative-growth 10%   least growth of a finding as a share of its size at the first snapshot
 *   --min-rate 64kB/min         least growth of a finding's bytes per minute (0 turns it off)
 */
import { Flags } from '@oclif/core';
import { UserError } from '../errors.js';
import { parseRate } from '../analysis/soak.js';
import { DEFAULT_SIGNIFICANCE, type SignificanceOptions } from '../analysis/significance.js';

export function parsePercent(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  return m ? Number(m[1]) / 100 : null;
}

export const percentFlag = Flags.custom<number>({
  parse: async (input, _ctx, opts) => {
    const v = parsePercent(input);
    if (v === null) throw new UserError(`--${opts.name}: "${input}" is not a percentage (e.g. 10%)`);
    return v;
  },
});

export const rateFlag = Flags.custom<number>({
  parse: async (input, _ctx, opts) => {
    const v = input.trim() === '0' ? 0 : parseRate(input);
    if (v === null) throw new UserError(`--${opts.name}: "${input}" is not a rate (e.g. 64kB/min, 1MB/min, 0)`);
    return v;
  },
});

export const significanceFlags = {
  'min-relative-growth': percentFlag({
    description: 'a steady finding is a leak only if it grew at least this share of its first size (else a watch item)',
    default: DEFAULT_SIGNIFICANCE.minRelative,
  }),
  'min-rate': rateFlag({
    description: "a steady finding is a leak only if its bytes grow at least this fast (e.g. 64kB/min; 0 = off)",
    default: DEFAULT_SIGNIFICANCE.minRate,
  }),
};

export function significanceOptions(flags: { 'min-relative-growth': number; 'min-rate': number }): SignificanceOptions {
  return { minRelative: flags['min-relative-growth'], minRate: flags['min-rate'] };
}
