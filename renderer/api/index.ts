// The renderer's API: IPC when the Electron preload exposed `window.blksnap`, else the
// web transport (WebSocket to the page's own origin, token from the page URL).
import { preloadBridge } from './bridge';
import type { ApiClient } from './client';
import { createIpcApi } from './ipc';
import { createWsApi } from './ws';

export type { ApiClient } from './client';
export { createIpcApi } from './ipc';
export { createWsApi, type WsClient, type WsClientOptions } from './ws';

const TOKEN_KEY = 'blksnap-token';
let client: ApiClient | null = null;

export interface GetApiOptions {
  /** Web mode: told when the WebSocket drops (it reconnects by itself) and comes back. */
  onConnectionChange?: (connected: boolean) => void;
}

/** The one API client of this page (created on the first call; later options are ignored). */
export function getApi(options: GetApiOptions = {}): ApiClient {
  if (client) return client;
  const bridge = preloadBridge();
  client = bridge ? createIpcApi(bridge) : webClient(options);
  return client;
}

function webClient(options: GetApiOptions): ApiClient {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token') ?? window.sessionStorage.getItem(TOKEN_KEY) ?? '';
  if (token) window.sessionStorage.setItem(TOKEN_KEY, token);
  // Keep the token out of the address bar (screenshots, shoulder surfing); a reload finds it in sessionStorage.
  if (url.searchParams.has('token')) {
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.toString());
  }
  const ws = new URL('/ws', window.location.href);
  ws.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return createWsApi({ url: ws.toString(), token, ...(options.onConnectionChange ? { onConnectionChange: options.onConnectionChange } : {}) });
}
