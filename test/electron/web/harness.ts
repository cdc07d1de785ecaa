// Starts a service and the web server over a control, and a WebSocket client to it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createService, type BlksnapService, type ServiceConfig } from '../../../electron/service';
import { startWebServer, type WebServer, type WebServerOptions } from '../../../electron/web/server';
import type { BlksnapControl } from '../../../electron/control/types';
import { createWsApi, type WebSocketCtor, type WsClient } from '../../../renderer/api/ws';

export interface Harness {
  service: BlksnapService;
  server: WebServer;
  staticDir: string;
  connect(token?: string): WsClient;
  close(): Promise<void>;
}

export const NodeWebSocket = WebSocket as unknown as WebSocketCtor;

export async function startHarness(control: BlksnapControl, config: Partial<ServiceConfig> = {}, serverOptions: Pick<WebServerOptions, 'firstPaint'> = {}): Promise<Harness> {
  const staticDir = mkdtempSync(join(tmpdir(), 'blksnap-static-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>blksnap Manager</title><div id="root"></div>\n');
  writeFileSync(join(staticDir, 'app.js'), 'console.log("app");\n');
  const service = createService(control, { pollIntervalMs: 50, fillSampleIntervalMs: 50, pushBatchMs: 10, dataDir: null, ...config });
  const server = await startWebServer({ service, staticDir, ...serverOptions });
  const clients: WsClient[] = [];
  return {
    service,
    server,
    staticDir,
    connect(token = server.token) {
      const client = createWsApi({ url: `ws://127.0.0.1:${server.port}/ws`, token, WebSocketImpl: NodeWebSocket, reconnectDelayMs: 0 });
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) c.close();
      await server.close();
      await service.close();
      rmSync(staticDir, { recursive: true, force: true });
    },
  };
}
