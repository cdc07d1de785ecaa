// The web server's start stays off what only a WebSocket needs: ws loads node:https and node:tls
// (10-36 ms of the start to the URL, test/bench/cold-start.ts), and the page opened with the
// token paints its list before it connects. Measured in a fresh process: vitest's own has them.
// The WebSocket itself is tested everywhere else (roundtrip, security, fuzz).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

const root = resolve(__dirname, '..', '..', '..');
const url = (path: string) => JSON.stringify(pathToFileURL(join(root, path)).href);

it('starts serving without loading ws, node:https or node:tls, and loads ws at the first upgrade', () => {
  const staticDir = mkdtempSync(join(tmpdir(), 'blksnap-start-loads-'));
  try {
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><div id="root"></div>\n');
    const script = `
      const { startWebServer } = await import(${url('electron/web/server.ts')});
      const { createService } = await import(${url('electron/service/index.ts')});
      const { FakeControl } = await import(${url('test/electron/service/fakeControl.ts')});
      const { createRequire } = await import('node:module');
      const wsMain = createRequire(${url('package.json')}).resolve('ws');
      const loaded = () => [
        ...process.moduleLoadList.filter((m) => /^NativeModule (https|tls)$/.test(m)),
        ...Object.keys(createRequire(${url('package.json')}).cache).filter((f) => f === wsMain),
      ];
      const service = createService(new FakeControl(), { dataDir: null });
      const server = await startWebServer({ service, staticDir: ${JSON.stringify(staticDir)} });
      const atStart = loaded();
      const http = await import('node:http');
      const status = await new Promise((resolve) => {
        const req = http.request({ host: '127.0.0.1', port: server.port, path: '/ws?token=' + server.token, headers: {
          Host: '127.0.0.1:' + server.port, Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        } });
        req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode); });
        req.on('response', (res) => resolve(res.statusCode));
        req.end();
      });
      console.log(JSON.stringify({ atStart, status, afterUpgrade: loaded().length > 0 }));
      await server.close();
      await service.close();
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ atStart: [], status: 101, afterUpgrade: true });
  } finally {
    rmSync(staticDir, { recursive: true, force: true });
  }
}, 60_000);
