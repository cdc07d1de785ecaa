import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    exclude: ['test/e2e/**', 'test/bench/**', 'node_modules/**'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll waits for what it expects; its timeout is only a safety net. The 1 s default is
    // passed on a loaded CI machine (vitest's workers beside kernel builds on 2 cores).
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
  },
});
