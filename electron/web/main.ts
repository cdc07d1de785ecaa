// Web mode entry (npm start --web, or where Electron cannot run): the same service,
// served on 127.0.0.1 with a random token. Writes <emulatorDir>/runtime.json {pid, url,
// token, port} (mode 0600) so blksnapctl finds the running app; removes it on exit.
import { spawn } from 'node:child_process';
import { parseAppOptions } from '../app/options';
import { bootService } from '../app/boot';
import { startOptionalMetrics } from '../metrics/optional';
import { startWebServer } from './server';
import { remoteAccessProblem, type RemoteAccess } from './remote';
import { rendererDir, writeRuntimeFile } from './runtime';
import { stopOnSignals } from './stop';

function openBrowser(url: string): void {
  const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
  child.on('error', () => console.log('Could not open a browser; open the URL above yourself.'));
  child.unref();
}

async function main(): Promise<void> {
  const options = parseAppOptions(process.argv.slice(2));
  const remote: RemoteAccess = { allowRemote: options.allowRemote, tlsCertFile: options.tlsCertFile, tlsKeyFile: options.tlsKeyFile };
  // Refused before anything starts: no backend is opened for a server that may not listen.
  const problem = remoteAccessProblem(options.host, options.port, remote);
  if (problem) throw new Error(problem);
  const booted = await bootService(options);
  const server = await startWebServer({ service: booted.service, host: options.host, port: options.port, staticDir: rendererDir(), remote });
  const runtimeFile = writeRuntimeFile(options.emulatorDir, server);
  const metrics = await startOptionalMetrics(booted.service, options);
  if (metrics) console.log(`Prometheus metrics (read-only, no token) at ${metrics.url}`);
  console.log(`blksnap Manager (${booted.control.info.kind}, ${booted.control.info.dialectLabel}) is serving at:\n\n  ${server.url}\n`);
  console.log(`Open that URL in a browser; it carries the access token. The token${options.port ? '' : ' and the port'} change at every start: after a restart, open the new URL. Ctrl+C stops the server.`);
  if (options.openBrowser) openBrowser(server.url);
  // While the browser opens the URL: the page request then finds the list's renderer loaded.
  void server.prepareFirstPage();

  stopOnSignals(() => runtimeFile, (signal) => console.log(`\n${signal}: stopping`), [metrics, server, booted]);
}

main().catch((err: unknown) => {
  console.error(`blksnap Manager could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
