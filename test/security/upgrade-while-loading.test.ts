// The web server loads ws at the first WebSocket upgrade (server.ts). An upgrade accepted while
// ws loads must still obey what holds when it is completed: a token rotated meanwhile refuses it
// (a session of the old token must not outlive the rotation), and the session cap counts the
// upgrades still waiting. ws's loading is held here by a mock, so each step is certain.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type WebSocketType from 'ws';
import type { BlksnapService } from '../../electron/service';
import type { WebServer } from '../../electron/web/server';

let service: BlksnapService | null = null;
let server: WebServer | null = null;
afterEach(async () => {
  await server?.close();
  await service?.close();
  server = null;
  service = null;
  vi.doUnmock('ws');
  vi.resetModules();
});

/** A server whose `import('ws')` waits until `release()`; `loading` resolves when it started. */
async function startHeld(maxSessions: number) {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let started: () => void = () => undefined;
  const loading = new Promise<void>((resolve) => (started = resolve));
  vi.resetModules();
  vi.doMock('ws', async () => {
    started();
    await held;
    return vi.importActual('ws');
  });
  const { createService } = await import('../../electron/service');
  const { startWebServer } = await import('../../electron/web/server');
  const { FakeControl } = await import('../electron/service/fakeControl');
  service = createService(new FakeControl(), { dataDir: null, pollIntervalMs: 1000 });
  server = await startWebServer({ service, staticDir: '/nonexistent', maxSessions, firstPaint: () => null });
  const { default: WebSocket } = await vi.importActual<{ default: typeof WebSocketType }>('ws');
  const session = (token: string) => new Promise<'open' | number>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server!.port}/ws?token=${token}`);
    ws.on('open', () => {
      resolve('open');
      ws.close();
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
  return { server, release, loading, session };
}

describe('an upgrade that waits for ws to load', () => {
  it('is refused when the token was rotated meanwhile', async () => {
    const { server, release, loading, session } = await startHeld(4);
    const old = server.token;
    const first = session(old);
    await loading;
    try {
      server.setToken('b'.repeat(64));
    } finally {
      release();
    }
    expect(await first).toBe(401);
    expect(await session('b'.repeat(64))).toBe('open');
  });

  it('counts toward the session cap', async () => {
    const { server, release, loading, session } = await startHeld(1);
    const first = session(server.token);
    await loading;
    try {
      expect(await session(server.token)).toBe(503);
    } finally {
      release();
    }
    expect(await first).toBe('open');
  });
});
