// The Electron main process: one locked-down window on our own page, the service from
// bootService, and IPC. No remote content, no navigation away, no new windows.
import { app, BrowserWindow, ipcMain, protocol, session, shell } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAppOptions } from './app/options';
import { bootService } from './app/boot';
import { startOptionalMetrics } from './metrics/optional';
import { shareService } from './web/runtime';
import { registerIpc } from './ipc';
import { PAGE_CSP, PAGE_SCHEME, PAGE_URL, isOwnPage, pageResponse } from './ipc/page';
import { isAllowedExternalLink } from './ipc/externalLinks';

const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = join(here, '..', 'renderer');
const preload = join(here, 'preload.cjs');

protocol.registerSchemesAsPrivileged([{ scheme: PAGE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (e, url) => {
    if (!isOwnPage(url)) e.preventDefault();
  });
  contents.on('will-redirect', (e, url) => {
    if (!isOwnPage(url)) e.preventDefault();
  });
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Links to documentation open in the user's browser, never inside the app.
    if (isAllowedExternalLink(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
});

async function main(): Promise<void> {
  const options = parseAppOptions(process.argv.slice(2));
  await app.whenReady();
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  // Checks (navigator.permissions, clipboard, media) are answered no as well, not only requests.
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [PAGE_CSP] } });
  });
  protocol.handle(PAGE_SCHEME, (request) => pageResponse(request, rendererDir));

  const booted = await bootService(options);
  const unregister = registerIpc({ ipcMain, service: booted.service, isOwnPage });
  // blksnapctl finds this app through <emulatorDir>/runtime.json and talks to it over loopback.
  const stopSharing = await shareService(booted.service, options.emulatorDir);
  const metrics = await startOptionalMetrics(booted.service, options);

  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'blksnap Manager',
    show: false,
    webPreferences: { preload, contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, spellcheck: false },
  });
  window.once('ready-to-show', () => window.show());
  await window.loadURL(PAGE_URL);

  let closing = false;
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    unregister();
    void stopSharing().then(() => metrics?.close()).then(() => booted.close()).finally(() => app.exit(0));
  });
}

main().catch((err: unknown) => {
  console.error(`blksnap Manager could not start: ${err instanceof Error ? err.message : String(err)}`);
  app.exit(1);
});
