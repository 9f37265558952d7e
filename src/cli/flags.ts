/**
 * Flags shared by the commands: one name and one default for one thing, values parsed and validated in the flag
 * itself (oclif custom flags throwing UserError: one line, exit 2), so commands receive numbers, not strings.
 *
 *   durations   --interval 30s, --warmup 0, --grace 5s         (ms; "30s", "5m", "1500ms", or bare seconds)
 *   rates       --min-rate 64kB/min, --max-growth 1MB/min       (bytes per minute)
 *   sizes       --min-bytes 16KiB                               (bytes)
 *   shares      --min-relative-growth 10%                       (a fraction)
 *   kinds       --fail-on all | none | timer,listener           (which finding kinds make the command exit 1)
 *   --top N (20), --format, -o/--output FILE (the report, written atomically), --dir DIR (the capture folder)
 */
import { Flags } from '@oclif/core';
import ms from 'ms';
import { UserError } from '../common/errors.js';
import { DEFAULT_SIGNIFICANCE, type SignificanceOptions } from '../analysis/findings/significance.js';
import { ALL_KINDS, isFindingKind, type FindingKind } from '../analysis/findings/kinds.js';
import { printable } from '../common/text.js';

/** "30s", "5m", "1500ms", or a bare number of seconds -> milliseconds; null when it is not a duration. */
export function parseDuration(value: string): number | null {
  const text = value.trim();
  const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : ms(text as ms.StringValue);
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : null;
}

/** "1MB/min", "500kB/min", "2 MB/h", "10kB/s" -> bytes per minute; null when it is not a rate. */
export function parseRate(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*\/\s*(s|sec|m|min|h|hour)\s*$/i.exec(text);
  if (!m) return null;
  const unit = (m[2] ?? 'b').toLowerCase();
  const per = m[3].toLowerCase();
  const perMinute = per.startsWith('s') ? 60 : per.startsWith('h') ? 1 / 60 : 1;
  return Number(m[1]) * SIZE_UNITS[unit] * perMinute;
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** "16KiB", "1MB", "4096" -> bytes; null when it is not a size. */
export function parseSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$/i.exec(text);
  return m ? Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]) : null;
}

export function parsePercent(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  return m ? Number(m[1]) / 100 : null;
}

function invalid(name: string, input: string, what: string, example: string): UserError {
  return new UserError(`--${name}: "${printable(input)}" is not ${what} (e.g. ${example})`);
}

/** A duration > 0, in ms. */
export const durationFlag = Flags.custom<number>({
  parse: async (input, _ctx, opts) => {
    const v = parseDuration(input);
    if (v === null) throw invalid(opts.name, input, 'a duration', '30s, 5m, 1500ms');
    if (v <= 0)
      throw new UserError(`--${opts.name}: ${printable(input)} is a duration, but this one must be more than 0 (e.g. 30s, 5m, 1500ms)`);
    return v;
  },
});

/** A duration >= 0 (0 turns the phase off), in ms. */
export const durationOrZeroFlag = Flags.custom<number>({
  parse: async (input, _ctx, opts) => {
    const v = parseDuration(input);
    if (v === null) throw invalid(opts.name, input, 'a duration', '30s, 5m, 0');
    return v;
  },
});

/** A duration flag with a default given as text ("30s"): help shows the text, the command gets ms. */
export function duration(description: string, defaultText: string) {
  return durationFlag({ description, default: parseDuration(defaultText) as number, defaultHelp: async () => defaultText });
}

/** The same for a duration that may be 0. */
export function durationOrZero(description: string, defaultText: string) {
  return durationOrZeroFlag({ description, default: parseDuration(defaultText) as number, defaultHelp: async () => defaultText });
}

export const percentFlag = Flags.custom<number>({
  parse: async (input, _ctx, opts) => {
    const v = parsePercent(input);
    if (v === null) throw invalid(opts.name, input, 'a percentage', '10%');
    return v;
  },
});

/** Bytes per minute (0 allowed: turns a floor off). */
export const rateFlag = Flags.custom<number>({
  parse: async (input, _ctx, opts) => {
    const v = input.trim() === '0' ? 0 : parseRate(input);
    if (v === null) throw invalid(opts.name, input, 'a rate', '64kB/min, 1MB/min, 0');
    return v;
  },
});

/** A size flag whose help shows its default as written (`16KiB`). */
export function size(description: string, value: number, text: string) {
  return sizeFlag({ description, default: value, defaultHelp: async () => text });
}

export const sizeFlag = Flags.custom<number>({
  parse: async (input, _ctx, opts) => {
    const v = parseSize(input);
    if (v === null) throw invalid(opts.name, input, 'a size', '16KiB, 1MB, 4096');
    return v;
  },
});

/** Finding kinds: `all`, `none`, or a comma-separated list. */
export function parseKinds(text: string): Set<FindingKind> | null {
  const t = text.trim();
  if (t === 'all') return new Set(ALL_KINDS);
  if (t === 'none' || t === '') return new Set();
  const out = new Set<FindingKind>();
  for (const k of t
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!isFindingKind(k)) return null;
    out.add(k);
  }
  return out;
}

export const kindsFlag = Flags.custom<Set<FindingKind>>({
  parse: async (input, _ctx, opts) => {
    const v = parseKinds(input);
    if (v === null)
      throw new UserError(`--${opts.name}: "${printable(input)}" names an unknown kind`, {
        suggestion: `all, none, or some of ${ALL_KINDS.join(', ')}`,
      });
    return v;
  },
});

/** --top: the same default everywhere */
export const DEFAULT_TOP = 20;
export function topFlag(what: string) {
  return Flags.integer({ description: `how many ${what} to list`, default: DEFAULT_TOP, min: 1, max: 10000 });
}

export function formatFlag<const F extends readonly string[]>(options: F) {
  return Flags.option({ description: 'report format', options, default: options[0] as F[number] })();
}

/** -o/--output: the report goes to this file (written atomically), and one line to stdout. */
export const outputFlag = Flags.string({ char: 'o', description: 'write the report to this file (atomically) instead of stdout' });

/** --dir: where attach and run keep their snapshots (--out is the old spelling) */
export function captureDirFlag(defaultText: string) {
  return Flags.string({ description: `folder for the snapshots and profiles (default: ${defaultText})`, aliases: ['out'] });
}

/** `--no-html`: attach and run write report.html next to the captured snapshots unless told not to. */
export const htmlFlag = Flags.boolean({
  description: 'write report.html (the self-contained HTML report) next to the captured snapshots',
  default: true,
  allowNo: true,
});

/** A rate flag whose help shows its default as written (`64KiB/min`), not as bytes per minute. */
export function rate(description: string, value: number, text: string) {
  return rateFlag({ description, default: value, defaultHelp: async () => text });
}

/** A percentage flag whose help shows its default as a percentage. */
export function percent(description: string, value: number) {
  return percentFlag({ description, default: value, defaultHelp: async () => `${+(value * 100).toFixed(4)}%` });
}

/** `--source-root DIR`: a folder the program's source files may be read from (besides the project: see source-files.ts). */
export const sourceRootFlag = Flags.string({
  description:
    "a folder the program's source files may be read from, for code lines and source maps (repeatable; default: the working directory only — paths a snapshot names are never read outside these)",
  multiple: true,
  multipleNonGreedy: true,
});

/** `--no-source-maps`: print the compiled locations as V8 recorded them. */
export const sourceMapsFlag = Flags.boolean({
  description:
    "read every location through its script's source map (the original .ts line first, the compiled one beside it); --no-source-maps prints the compiled ones",
  default: true,
  allowNo: true,
});

/** --trace-growth / --trace-window: which lines add to the flagged holders (attach, run) */
export function traceGrowthFlags(windowText: string) {
  return {
    'trace-growth': Flags.boolean({
      description:
        'after the last snapshot, wrap the methods that add to each flagged holder (that instance only) for a ' +
        'window, to report which lines add the entries; the wrappers are removed after it (and remove themselves ' +
        'if leakscope dies)',
      default: true,
      allowNo: true,
    }),
    'trace-window': duration('how long the growth trace watches the flagged holders', windowText),
  };
}

export const significanceFlags = {
  'min-relative-growth': percent(
    'a steady finding is a leak only if it grew at least this share of its first size (else a watch item)',
    DEFAULT_SIGNIFICANCE.minRelative,
  ),
  'min-rate': rate(
    'a steady finding is a leak only if its bytes grow at least this fast (0 = off)',
    DEFAULT_SIGNIFICANCE.minRate,
    '64KiB/min',
  ),
};

export function significanceOptions(flags: { 'min-relative-growth': number; 'min-rate': number }): SignificanceOptions {
  return { minRelative: flags['min-relative-growth'], minRate: flags['min-rate'] };
}

/** --fail-on for the commands that only report by default (diff, attach); --fail-on-leak is the old spelling of `all`. */
export const reportFailFlags = {
  'fail-on': kindsFlag({
    description: `exit 1 on a leak verdict with a leak of these kinds: all, none, or some of ${ALL_KINDS.join(',')}`,
    default: new Set<FindingKind>(),
    defaultHelp: async () => 'none',
  }),
  'fail-on-leak': Flags.boolean({ description: 'the same as --fail-on all', default: false, hidden: true }),
};

/** The kinds that fail: --fail-on, or all of them with --fail-on-leak. */
export function failingKinds(flags: { 'fail-on': Set<FindingKind>; 'fail-on-leak': boolean }): Set<FindingKind> {
  return flags['fail-on-leak'] ? new Set(ALL_KINDS) : flags['fail-on'];
}

/** The help's groups of flags: what to watch, how to capture, when to fail, how to report. */
const GROUPS: Record<string, readonly string[]> = {
  TARGET: ['port', 'ws', 'host', 'children', 'thread'],
  CAPTURE: [
    'interval',
    'snapshots',
    'duration',
    'no-snapshot',
    'max-pause',
    'usage-every',
    'warmup',
    'quick',
    'gc',
    'sampling',
    'force',
    'dir',
    'trace-growth',
    'trace-window',
    'track-allocations',
    'load',
    'load-restart',
    'ready-url',
    'ready-log',
    'ready-delay',
    'ready-timeout',
    'grace',
    'keep-snapshots',
  ],
  VERDICT: [
    'fail-on',
    'fail-on-leak',
    'max-growth',
    'min-heap-rate',
    'min-heap-share',
    'min-relative-growth',
    'min-rate',
    'min-objects',
    'min-bytes',
    'baseline',
    'update-baseline',
  ],
  OUTPUT: ['format', 'output', 'html', 'top', 'verbose', 'source-maps', 'source-root'],
};

/**
 * A command's flags with each one in its help group (TARGET, CAPTURE, VERDICT, OUTPUT), in that order and in
 * GROUPS' order inside a group, so --help reads by purpose (package.json sets oclif's flagSortOrder to none).
 */
export function grouped<T extends Record<string, object>>(flags: T): T {
  const order = Object.values(GROUPS).flat();
  const rank = (name: string): number => {
    const i = order.indexOf(name);
    return i < 0 ? order.length : i;
  };
  const out: Record<string, object> = {};
  for (const name of Object.keys(flags).sort((a, b) => rank(a) - rank(b))) {
    const flag = flags[name] as { helpGroup?: string };
    const group = Object.entries(GROUPS).find(([, names]) => names.includes(name))?.[0];
    if (group) flag.helpGroup = group;
    out[name] = flag;
  }
  return out as T;
}
