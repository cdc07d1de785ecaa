// In CI the deploy tests must run: a missing tool fails here instead of silently skipping
// them (outside CI they skip and say why; .ci/run installs the packages).
import { describe, expect, it } from 'vitest';
import { findTool, inCi } from './tools';

describe.skipIf(!inCi)('in CI, the deploy tests have their tools (outside CI they skip and say why)', () => {
  it.each([['promtool', 'prometheus'], ['prometheus', 'prometheus'], ['systemd-analyze', 'systemd'], ['openssl', 'openssl']])('has %s (package %s)', (tool) => {
    expect(findTool(tool), `${tool} is missing: .ci/run should have installed it`).not.toBeNull();
  });
});
