// Web mode entry (npm start --web, or where Electron cannot run): the same service,
// served on 127.0.0.1 with a random token. Writes <emulatorDir>/runtime.json {pid, url,
// token, port} (mode 0600) so blksnapctl finds the running app; removes it on exit.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLoopbackHost, parseAppOptions } from '../app/options';
import { bootService } from '../app/boot';
import { startWebServer } from './server';

export const RUNTIME_FILE = 'runtime.json';

/** dist/web/main.mjs → dist/renderer; from the sources (tsx) → <repo>/dist/renderer. */
function findStaticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', 'renderer'), join(here, '..', '..', 'dist', 'renderer'), resolve('dist', 'renderer')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

function openBrowser(url: string): void {
  const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
  child.on('error', () => console.log('Could not open a browser; open the URL above yourself.'));
  child.unref();
}

async function main(): Promise<void> {
  const options = parseAppOptions(process.argv.slice(2));
  if (!isLoopbackHost(options.host)) {
    console.warn(`WARNING: binding to ${options.host} exposes blksnap Manager to the network. Anyone with the token can attach, detach and destroy snapshots.`);
  }
  const booted = await bootService(options);
  const server = await startWebServer({ service: booted.service, host: options.host, port: options.port, staticDir: findStaticDir() });
  const runtimeFile = join(options.emulatorDir, RUNTIME_FILE);
  mkdirSync(options.emulatorDir, { recursive: true });
  writeFileSync(runtimeFile, JSON.stringify({ pid: process.pid, url: server.url, token: server.token, port: server.port }, null, 2), { mode: 0o600 });
  console.log(`blksnap Manager (${booted.control.info.kind}, ${booted.control.info.dialectLabel}) is serving at:\n\n  ${server.url}\n`);
  console.log('Open that URL in a browser; it carries the access token. Ctrl+C stops the server.');
  if (options.openBrowser) openBrowser(server.url);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping`);
    removeRuntimeFile(runtimeFile);
    await server.close().catch(() => undefined);
    await booted.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('exit', () => removeRuntimeFile(runtimeFile));
}

/** Removes the runtime file only if it is still ours (another instance may have replaced it). */
function removeRuntimeFile(file: string): void {
  try {
    const content = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown };
    if (content.pid === process.pid) rmSync(file, { force: true });
  } catch {
    // Already gone or unreadable: nothing of ours to remove.
  }
}

main().catch((err: unknown) => {
  console.error(`blksnap Manager could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
