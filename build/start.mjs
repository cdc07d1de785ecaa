#!/usr/bin/env node
// npm start: builds if needed, then opens the Electron window where the binary runs,
// else serves the same app in web mode on 127.0.0.1 and prints the URL to open.
// `npm start -- --serve` runs the headless service mode instead (electron/serve/).
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildAll, buildIsFresh } from './build.mjs';
import { electronBinary } from './electron-binary.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

const serve = args.includes('--serve');
if (!serve && (args.includes('--help') || args.includes('-h'))) {
  console.log(`Usage: npm start -- [options]

  --web                  serve the app on a local URL instead of the Electron window
  --host <addr>          web mode: bind address (default 127.0.0.1; any other needs --allow-remote and TLS)
  --allow-remote         web mode: allow a non-loopback --host (with --tls-cert <pem> and --tls-key <pem>)
  --port <n>             web mode: TCP port (default: a free port)
  --emulator-dir <dir>   emulator state (default: ~/.local/state/blksnap-manager/emulator)
  --backend <b>          auto (default) | kernel | emulator
  --dialect <d>          force a kernel dialect: lk6.15 v7 v6 val-7.0 val-13 v1
  --emulate <f>          emulator flavour: upstream (default) | v1 | val-7.0 | val-13
  --no-open              web mode: do not open a browser
  --metrics-listen <a:p> read-only Prometheus listener without the UI token (default off)
  --web-config <file>    basic auth / TLS for that listener (Prometheus exporters' format)
  --serve                headless service mode for servers (see --serve --help)`);
  process.exit(0);
}

if (!buildIsFresh()) await buildAll({ quiet: true });

const electron = serve ? { path: null } : args.includes('--web') ? { path: null, reason: '--web was given' } : electronBinary();
let child;
if (serve) {
  child = spawn(process.execPath, [join(root, 'dist/serve/main.mjs'), ...args], { stdio: 'inherit' });
} else if (electron.path) {
  child = spawn(electron.path, [join(root, 'dist/electron/main.mjs'), ...args], { stdio: 'inherit' });
} else {
  console.log(`Web mode: ${electron.reason}.`);
  // In this process: a second node would only add its start-up time. The web mode reads the
  // same arguments (process.argv after the script) and handles its own signals.
  await import(pathToFileURL(join(root, 'dist/web/main.mjs')).href);
}
if (child) {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
