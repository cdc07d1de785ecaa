// Item 6 of issue 13: a cap on connections and sessions, and a short idle timeout before a
// request is whole (before the token is even seen).
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createService, type BlksnapService } from '../../electron/service';
import { startWebServer, type WebServer } from '../../electron/web/server';
import { FakeControl } from '../electron/service/fakeControl';

let service: BlksnapService | null = null;
let server: WebServer | null = null;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
  await service?.close();
  server = null;
  service = null;
});

async function start(options: { preAuthTimeoutMs?: number; maxConnections?: number; maxSessions?: number }): Promise<WebServer> {
  service = createService(new FakeControl(), { dataDir: null, pollIntervalMs: 1000 });
  server = await startWebServer({ service, staticDir: '/nonexistent', ...options });
  return server;
}

/** Resolves with how long the socket stayed open (ms), or 'open' if still open after `waitMs`. */
function idle(port: number, waitMs: number, send = ''): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => send && socket.write(send));
    sockets.push(socket);
    const timer = setTimeout(() => resolve('open'), waitMs);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

function session(port: number, token: string): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`);
    ws.on('open', () => resolve('open'));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
}

describe('connection limits', () => {
  it('closes a connection that sends nothing (or half a request) within the pre-auth timeout', async () => {
    const { port } = await start({ preAuthTimeoutMs: 500 });
    // 15 s: only a safety net (a loaded machine may fire the 500 ms timer late); a server without
    // the timeout leaves both open.
    const [silent, half] = await Promise.all([idle(port, 15_000), idle(port, 15_000, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n')]);
    expect(silent).not.toBe('open');
    expect(half).not.toBe('open');
  });

  it('refuses WebSocket sessions beyond the cap with 503', async () => {
    const { port, token } = await start({ maxSessions: 2 });
    expect(await session(port, token)).toBe('open');
    expect(await session(port, token)).toBe('open');
    expect(await session(port, token)).toBe(503);
  });

  it('drops TCP connections beyond the cap at once', async () => {
    const { port } = await start({ maxConnections: 3, preAuthTimeoutMs: 10_000 });
    const held = [idle(port, 1500), idle(port, 1500), idle(port, 1500)];
    await new Promise((r) => setTimeout(r, 200));
    // "At once": well before the 10 s pre-auth timeout would close it (5 s leaves room for load).
    const extra = await idle(port, 5000);
    expect(extra).not.toBe('open');
    expect(await Promise.all(held)).toEqual(['open', 'open', 'open']);
  });
});
