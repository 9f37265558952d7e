/**
 * Which Node runs the fixture targets: LEAKSCOPE_TARGET_NODE (a binary from scripts/node-versions.mjs, set by the
 * version matrix, test/matrix.mjs), else the Node running the tests. leakscope itself runs on the tests' Node
 * (process.execPath): the matrix runs whole test files under another Node to test leakscope on it.
 */
import { execFileSync } from 'node:child_process';

export const targetNode = process.env.LEAKSCOPE_TARGET_NODE || process.execPath;

/** The targets' Node version (e.g. v26.10.0) and major. */
export const targetVersion =
  targetNode === process.execPath ? process.version : execFileSync(targetNode, ['--version'], { encoding: 'utf8' }).trim();
export const targetMajor = Number(targetVersion.replace(/^v/, '').split('.')[0]);
