#!/usr/bin/env node
// postinstall: fetch the Electron binary with the electron package's own installer, which our
// install policy does not run by itself (package.json allowScripts). Where it cannot download
// (no access to its release host, CI), the app still works: `npm start` uses web mode.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const installer = join(root, 'node_modules', 'electron', 'install.js');
const TIMEOUT_MS = 90_000;

function done(message) {
  console.log(`electron: ${message}`);
  process.exit(0);
}

if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) done('ELECTRON_SKIP_BINARY_DOWNLOAD is set; not fetching the binary. `npm start` will use web mode.');
if (process.env.CI && !process.env.BLKSNAP_FETCH_ELECTRON) done('CI: not fetching the Electron binary (set BLKSNAP_FETCH_ELECTRON=1 to try). Tests run in web mode; the Electron e2e test is skipped.');
if (!existsSync(installer)) done('the electron package is not installed (production install?); `npm start` will use web mode.');

const child = spawn(process.execPath, [installer], { cwd: join(root, 'node_modules', 'electron'), stdio: ['ignore', 'pipe', 'pipe'] });
let output = '';
child.stdout.on('data', (d) => { output += d; });
child.stderr.on('data', (d) => { output += d; });
const timer = setTimeout(() => child.kill('SIGTERM'), TIMEOUT_MS);
child.on('exit', (code) => {
  clearTimeout(timer);
  if (code === 0) done('binary installed; `npm start` opens the desktop window.');
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const why = lines.find((l) => /Error|ENOTFOUND|ECONNREFUSED|ETIMEDOUT/.test(l)) ?? lines.at(-1) ?? (code === null ? `no answer within ${TIMEOUT_MS / 1000} s` : `exit ${code}`);
  done(`could not download the Electron binary (${why}). This is fine: \`npm start\` serves the same app in web mode and prints its URL. To retry later: \`npm run fetch-electron\`.`);
});
