// A small Node client of the web transport (electron/web/: WebSocket /ws, bearer token,
// frames of shared/wire.ts), for blksnapctl talking to a running app. Node 20 has no global
// WebSocket, hence `ws`. No Origin header: the server knows a non-browser client by that.
import WebSocket from 'ws';
import { API_METHODS } from '../../shared/apiMethods';
import type { ApiMethod, BlksnapApi } from '../../shared/contract';
import { appError, BlksnapError } from '../../shared/errors';
import { decodeFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../../shared/wire';
import type { ApiConnection, RuntimeInfo } from './connect';

const MAX_PAYLOAD_BYTES = 128 * 2 ** 20;
const CONNECT_TIMEOUT_MS = 5000;

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

function transportError(message: string, info: RuntimeInfo): BlksnapError {
  return appError('ETRANSPORT', message, { pid: info.pid, port: info.port });
}

async function open(info: RuntimeInfo): Promise<WebSocket> {
  const base = new URL(info.url);
  const ws = new WebSocket(`ws://${base.host}/ws`, {
    headers: { Authorization: `Bearer ${info.token}` },
    perMessageDeflate: false,
    maxPayload: MAX_PAYLOAD_BYTES,
    handshakeTimeout: CONNECT_TIMEOUT_MS,
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      ws.terminate();
      reject(status === 401
        ? appError('EAUTH', `the running blksnap Manager (pid ${info.pid}) refused the token in runtime.json`, { pid: info.pid })
        : transportError(`the running blksnap Manager (pid ${info.pid}) at ${base.host} answered HTTP ${status}`, info));
    });
    ws.once('error', (err) => reject(transportError(`cannot reach the running blksnap Manager (pid ${info.pid}) at ${base.host}: ${err.message}`, info)));
  });
  return ws;
}

function toBytes(data: WebSocket.RawData): Uint8Array {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return new Uint8Array(data);
}

export async function connectRemote(info: RuntimeInfo): Promise<ApiConnection> {
  const ws = await open(info);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closed: BlksnapError | null = null;

  ws.on('message', (data, isBinary) => {
    let message: ServerMessage;
    try {
      const bytes = toBytes(data);
      message = decodeFrame(isBinary ? bytes : Buffer.from(bytes).toString('utf8')) as ServerMessage;
    } catch {
      return;
    }
    if (message.t === 'push') return;
    const call = message.id === null ? undefined : pending.get(message.id);
    if (!call || message.id === null) return;
    pending.delete(message.id);
    if (message.t === 'error') call.reject(new BlksnapError(message.error));
    else if (message.ok) call.resolve(message.result);
    else call.reject(new BlksnapError(message.error));
  });
  ws.on('close', () => {
    closed = transportError(`the running blksnap Manager (pid ${info.pid}) closed the connection`, info);
    for (const call of pending.values()) call.reject(closed);
    pending.clear();
  });
  ws.on('error', () => undefined);

  const call = (method: ApiMethod, args: unknown): Promise<unknown> => {
    if (closed) return Promise.reject(closed);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      ws.send(encodeFrame({ t: 'call', id, method, args } satisfies ClientMessage));
    });
  };

  const api: Partial<Record<ApiMethod, (args: unknown) => Promise<unknown>>> = {};
  for (const method of API_METHODS) api[method] = (args: unknown) => call(method, args);

  return {
    api: api as BlksnapApi,
    kind: 'remote',
    close: async () => {
      if (ws.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close();
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1000).unref();
      });
    },
  };
}
