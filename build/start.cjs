#!/usr/bin/env node
// npm start: builds if needed, then opens the Electron window where the binary runs,
// else serves the same app in web mode on 127.0.0.1 and prints the URL to open.
// `npm start -- --serve` runs the headless service mode instead (electron/serve/).
// CommonJS on purpose, like bin/blksnapctl.cjs: Node starts an ES module entry through its ES
// module loader, whose start and asynchronous module reads cost `npm start -- --web` 10 ms of CPU
// and 40-70 ms of its time to the URL on a loaded machine (test/bench/cold-start.ts). The web mode
// runs in this process through the code cache's CommonJS runner; what only another path needs
// (the build, the Electron binary's lookup, child_process) is loaded on that path.
'use strict';
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { buildProblem, describeBuildProblem } = require('./fresh.cjs');

const root = join(__dirname, '..');
const args = process.argv.slice(2);
/** The web mode's bundle and how its code cache is kept: as build/build.mjs NODE_ENTRIES builds it (test/build/start.test.ts). */
const WEB_ENTRY = { bundle: 'dist/web/main.cjs', writeAfterMs: 3000 };

const USAGE = `Usage: npm start -- [options]

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
  --serve                headless service mode for servers (see --serve --help)`;

const importBuild = (name) => import(pathToFileURL(join(__dirname, name)).href);

/** Runs `command` with `argv` as a child that stops with this process, and exits as it does. */
function runChild(command, argv) {
  const child = require('node:child_process').spawn(command, argv, { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

async function main() {
  const serve = args.includes('--serve');
  if (!serve && (args.includes('--help') || args.includes('-h'))) {
    console.log(USAGE);
    return;
  }
  const stale = buildProblem(root);
  if (stale) {
    // As blksnapctl (build/cli-build.cjs): no build in another user's checkout (sudo npm start),
    // whose files would be root's in their dist/; the build that is there runs, if there is one.
    const refused = require('./cli-build.cjs').refusedRebuild(root, describeBuildProblem(stale), Boolean(stale.missing));
    if (refused?.stop) throw new Error(refused.message);
    if (refused) {
      process.stderr.write(`npm start: ${refused.message}\n`);
    } else {
      process.stderr.write(`npm start: ${describeBuildProblem(stale)}: building dist/ first...\n`);
      await (await importBuild('build.mjs')).buildAll({ quiet: true });
    }
  }

  if (serve) return runChild(process.execPath, [join(root, 'dist/serve/main.mjs'), ...args]);
  const electron = args.includes('--web') ? { path: null, reason: '--web was given' } : (await importBuild('electron-binary.mjs')).electronBinary();
  if (electron.path) return runChild(electron.path, [join(root, 'dist/electron/main.mjs'), ...args]);
  console.log(`Web mode: ${electron.reason}.`);
  // In this process: a second node would only add its start-up time. The web mode reads the
  // same arguments (process.argv after the script) and handles its own signals.
  require(join(root, 'dist/code-cache.cjs')).runWithCodeCache(join(root, WEB_ENTRY.bundle), { writeAfterMs: WEB_ENTRY.writeAfterMs });
}

main().catch((err) => {
  console.error(`npm start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
