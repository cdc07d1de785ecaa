// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BlksnapBridge } from '../../../shared/wire';

afterEach(() => {
  delete window.blksnap;
  vi.resetModules();
  vi.unstubAllGlobals();
});

describe('getApi', () => {
  it('uses IPC when the preload exposed window.blksnap', async () => {
    const bridge: BlksnapBridge = {
      invoke: vi.fn(async () => ({ ok: true as const, result: { kind: 'emulator' } })),
      subscribe: vi.fn(() => () => undefined),
    };
    window.blksnap = bridge;
    const { getApi } = await import('../../../renderer/api');
    const client = getApi();
    expect(client.transport).toBe('ipc');
    expect(await client.api.backendInfo({})).toEqual({ kind: 'emulator' });
    expect(bridge.invoke).toHaveBeenCalledWith('backendInfo', {});
    expect(getApi()).toBe(client);
  });

  it('uses the WebSocket of the page origin otherwise, with the token from the URL, then hides it', async () => {
    const urls: string[] = [];
    class FakeWebSocket {
      binaryType = 'blob';
      readyState = 0;
      onopen = null;
      onclose = null;
      onerror = null;
      onmessage = null;
      constructor(url: string) {
        urls.push(url);
      }
      send() {}
      close() {}
    }
    vi.stubGlobal('WebSocket', FakeWebSocket);
    window.history.replaceState(null, '', '/devices?token=abc123');
    const { getApi } = await import('../../../renderer/api');
    const client = getApi();
    expect(client.transport).toBe('web');
    expect(urls).toEqual([`ws://${window.location.host}/ws?token=abc123`]);
    expect(window.location.search).toBe('');
    expect(window.sessionStorage.getItem('blksnap-token')).toBe('abc123');
  });
});
