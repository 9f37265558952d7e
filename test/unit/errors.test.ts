/** Errors are classes that carry their exit code (the one table: ExitCode); the CLI's error policy reads it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ExitCode,
  InspectorError,
  PermissionError,
  SnapshotFormatError,
  TargetError,
  TransferError,
  UsageError,
  UserError,
} from '../../src/common/errors.js';

describe('error classes', () => {
  it('each names its failure and carries its exit code; all are UserErrors (one line, no stack)', () => {
    const cases: Array<[UserError, string, number]> = [
      [new UsageError('x'), 'UsageError', ExitCode.usage],
      [new TargetError('x'), 'TargetError', ExitCode.targetFailed],
      [new PermissionError('x', { suggestion: 'run as root' }), 'PermissionError', ExitCode.permission],
      [new InspectorError('x'), 'InspectorError', ExitCode.inspector],
      [new TransferError('x'), 'TransferError', ExitCode.transfer],
      [new SnapshotFormatError('bad', 12, 'a.heapsnapshot'), 'SnapshotFormatError', ExitCode.usage],
      [new UserError('x'), 'UserError', ExitCode.usage],
    ];
    for (const [err, name, code] of cases) {
      assert.ok(err instanceof UserError, name);
      assert.equal(err.name, name);
      assert.equal(err.exitCode, code, name);
    }
    assert.equal(new PermissionError('x', { suggestion: 'run as root' }).suggestion, 'run as root');
    assert.equal(
      new SnapshotFormatError('bad', 12, 'a.heapsnapshot').message,
      'a.heapsnapshot: not a readable heap snapshot: bad (at byte 12)',
    );
  });
});
