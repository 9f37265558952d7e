/**
 * Real snapshots for tests: generated on demand by the committed fixture programs (fixtures/make-snapshots.mjs) and
 * cached under fixtures/snapshots/ (git-ignored).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSnapshots } from '../../fixtures/make-snapshots.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function fixtureSnapshots(program: string, rounds = 3, requests = 400, options: { track?: boolean } = {}): string[] {
  return makeSnapshots(program, { rounds, requests, ...options });
}
