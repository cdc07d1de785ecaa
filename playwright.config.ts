import { defineConfig } from '@playwright/test';

// Debian's chromium; Playwright never downloads a browser here.
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: /.*\.spec\.ts/,
  timeout: 60_000,
  // A web-first assertion waits for what it expects; its timeout is only a safety net. The default
  // 5 s is passed by chromium and the app on a loaded CI machine (kernel builds beside the tests
  // on 2 cores), so it is generous; an assertion whose condition never holds still fails.
  expect: { timeout: 20_000 },
  workers: 1,
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    launchOptions: {
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
    screenshot: 'only-on-failure',
    trace: 'off',
  },
});
