// The conformance replays and the gcc-built layout checks and fake modules skip, with their
// reason, where their inputs are missing (a clone without ../shared, a machine without gcc).
// In CI they must run: there a missing input fails here instead of silently skipping them.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFORMANCE_DIR } from './conformance/trace';
import { skipBecause } from '../../../skip';

const inCi = Boolean(process.env.CI);

describe.skipIf(skipBecause('the check that the conformance traces and gcc are present', !inCi && 'not in CI (CI unset); outside CI a missing input skips its own tests instead', 'in CI (CI=true, as .ci/run does)'))('in CI, the kernel client tests have their inputs (outside CI they skip and say why)', () => {
  it('has the conformance traces recorded from real modules beside the repository', () => {
    expect(existsSync(CONFORMANCE_DIR), `${CONFORMANCE_DIR} is missing: the VAL-7.0 and VAL-6.3 replays would be skipped`).toBe(true);
    for (const dialect of ['val-7.0', 'val-6.3']) expect(existsSync(`${CONFORMANCE_DIR}/lifecycle-${dialect}.jsonl`)).toBe(true);
  });

  it('has gcc for the layout checks and the LD_PRELOAD fake modules', () => {
    expect(execFileSync('gcc', ['--version'], { encoding: 'utf8' })).toMatch(/gcc/);
  });
});
