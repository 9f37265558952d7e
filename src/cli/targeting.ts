import path from 'node:path';
import { Args, Flags } from '@oclif/core';
import { UserError } from '../common/errors.js';
import { printable } from '../common/text.js';
import type { ThreadSelection } from '../capture/threads.js';

/** A process id: digits only; anything else is a usage error (exit 2). */
export function parsePid(input: string): number {
  const n = /^\d{1,10}$/.test(input.trim()) ? Number(input.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new UserError(`"${printable(input)}" is not a process id`, {
      suggestion: 'give the pid of a running Node.js process, or --port / --ws',
    });
  return n;
}

const pidArg = Args.custom<number>({ parse: async (input) => parsePid(input) });

export const targetArgs = {
  pid: pidArg({ description: 'pid of a running Node.js process (or use --port / --ws)', required: false }),
};

/** `--thread main|<id>|all`: which isolates of the process to watch. */
export const threadFlag = Flags.custom<ThreadSelection>({
  description: 'which isolates to watch: all (the main thread and every worker thread), main, or one worker by its thread id',
  default: 'all',
  parse: async (input) => {
    const v = input.trim();
    if (v === 'all' || v === 'main') return v;
    if (/^\d{1,9}$/.test(v) && Number(v) > 0) return Number(v);
    throw new UserError(`--thread: "${printable(input)}" is not main, all or a worker's thread id`, {
      suggestion: 'thread ids are listed in the report (worker 1, worker 2 …)',
    });
  },
});

export const targetFlags = {
  port: Flags.integer({ description: 'inspector port of a process started with --inspect', min: 1, max: 65535, exclusive: ['ws'] }),
  ws: Flags.string({ description: 'inspector WebSocket URL (ws://127.0.0.1:9229/<id>)', exclusive: ['port'] }),
  host: Flags.string({ description: 'inspector host; anything but loopback must be given explicitly', default: '127.0.0.1' }),
};

/**
 * The folders a series of snapshot files vouches for as the program's sources: each file's own folder, and for a
 * file leakscope captured (`<project>/.leakscope/<run>/x.heapsnapshot`), that project.
 */
export function snapshotProjects(files: string[]): string[] {
  const out = new Set<string>();
  for (const f of files) {
    const dir = path.dirname(path.resolve(f));
    out.add(dir);
    const parent = path.dirname(dir);
    if (path.basename(parent) === '.leakscope') out.add(path.dirname(parent));
  }
  return [...out];
}
