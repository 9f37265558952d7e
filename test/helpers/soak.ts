import { plan } from '../../fixtures/lookalikes.mjs';
import { cli, type CliResult } from './cli.js';
import { scratchDir } from './scratch.js';

/** Time compression of the precision tests: the programs' time constants and the soak plan, 10x shorter. */
export const SCALE = 0.1;

/** `leakscope run --json` on a fixture program with the default thresholds and the compressed plan (9 s measured). */
export function soakRun(program: string): CliResult {
  const out = scratchDir(`leakscope-precision-${program}-`);
  const args = [...plan(SCALE)];
  args[args.indexOf('--duration') + 1] = '9s';
  return cli(['run', ...args, '--out', out, '--json', '--', 'node', `fixtures/programs/${program}.mjs`], {
    env: { FIXTURE_TIME_SCALE: String(SCALE) },
    timeoutMs: 120_000,
  });
}
