// In CI the deploy tests must run: a missing tool fails here instead of silently skipping
// them (outside CI they skip and say why; .ci/run installs the packages).
import { describe, expect, it } from 'vitest';
import { findTool, inCi } from './tools';
import { skipBecause } from '../skip';

describe.skipIf(skipBecause('the check that the deploy tools are installed', !inCi && 'not in CI (CI unset); outside CI a missing tool skips its own tests instead', 'in CI (CI=true, as .ci/run does)'))('in CI, the deploy tests have their tools (outside CI they skip and say why)', () => {
  it.each([['promtool', 'prometheus'], ['prometheus', 'prometheus'], ['systemd-analyze', 'systemd'], ['openssl', 'openssl']])('has %s (package %s)', (tool) => {
    expect(findTool(tool), `${tool} is missing: .ci/run should have installed it`).not.toBeNull();
  });
});
