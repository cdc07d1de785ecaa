// The web transport, renderer (and CLI) side: BlksnapApi over one WebSocket. Calls wait
// while (re)connecting; a dropped connection fails the calls in progress with ETRANSPORT
// and reconnects, re-subscribing its topics.
import type { ApiMethod, PushPayload, PushTopic } from '../../shared/contract';
import { decodeFrame, encodeFrame, type CallOutcome, type ClientMessage } from '../../shared/wire';
import type { ErrorInfo } from '../../shared/errors';
import { apiOver, type ApiClient } from './client';

/** The part of the WebSocket API used here (the browser's, or the `ws` package's in Node). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}
export type WebSocketCtor = new (url: string) => WebSocketLike;

export interface WsClientOptions {
  /** ws://host:port/ws */
  url: string;
  token: string;
  /** Default: the global WebSocket (browsers; Node ≥ 22). Node 20 passes `ws`'s WebSocket. */
  WebSocketImpl?: WebSocketCtor;
  /** Default 1000; 0 = no reconnect (CLI). */
  reconnectDelayMs?: number;
  onConnectionChange?: (connected: boolean) => void;
}

export interface WsClient extends ApiClient {
  /** Resolves once connected the first time; rejects if that first attempt fails. */
  ready: Promise<void>;
  readonly connected: boolean;
  close(): void;
}

const OPEN = 1;

export function createWsApi(options: WsClientOptions): WsClient {
  const Impl = options.WebSocketImpl ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
  if (!Impl) throw new Error('No WebSocket implementation: pass WebSocketImpl (e.g. the ws package)');
  const reconnectDelayMs = options.reconnectDelayMs ?? 1000;
  const pending = new Map<number, { method: string; resolve: (o: CallOutcome) => void }>();
  const listeners = new Map<PushTopic, Set<(payload: unknown) => void>>();
  const outbox: Array<string | Uint8Array> = [];
  let nextId = 1;
  let socket: WebSocketLike | null = null;
  let connected = false;
  let closed = false;
  let everOpened = false;
  let settleReady: { resolve: () => void; reject: (e: Error) => void } | null = null;
  const ready = new Promise<void>((resolve, reject) => {
    settleReady = { resolve, reject };
  });
  ready.catch(() => undefined);

  const transportError = (method: string, message: string): ErrorInfo => ({ code: 'ETRANSPORT', message, operation: method });

  const send = (message: ClientMessage) => {
    const frame = encodeFrame(message);
    if (connected && socket?.readyState === OPEN) socket.send(frame);
    else outbox.push(frame);
  };

  const connect = () => {
    const url = new URL(options.url);
    url.searchParams.set('token', options.token);
    const ws = new Impl(url.toString());
    socket = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      connected = true;
      everOpened = true;
      settleReady?.resolve();
      options.onConnectionChange?.(true);
      const topics = [...listeners.keys()];
      if (topics.length > 0) ws.send(encodeFrame({ t: 'sub', topics } satisfies ClientMessage));
      for (const frame of outbox.splice(0)) ws.send(frame);
    };
    ws.onmessage = (ev) => onFrame(ev.data);
    ws.onerror = () => undefined;
    ws.onclose = () => {
      const wasConnected = connected;
      connected = false;
      socket = null;
      if (wasConnected) options.onConnectionChange?.(false);
      for (const call of pending.values()) call.resolve({ ok: false, error: transportError(call.method, 'The connection to blksnap Manager closed before the answer came') });
      pending.clear();
      if (!everOpened) {
        settleReady?.reject(new Error(`Cannot connect to ${options.url}`));
        outbox.length = 0;
      }
      if (!closed && reconnectDelayMs > 0) setTimeout(() => !closed && connect(), reconnectDelayMs);
      else outbox.length = 0;
    };
  };

  const onFrame = (data: unknown) => {
    let message: unknown;
    try {
      message = decodeFrame(typeof data === 'string' ? data : new Uint8Array(data as ArrayBuffer));
    } catch {
      return;
    }
    const m = message as { t?: unknown; id?: unknown; topic?: unknown; payload?: unknown; ok?: unknown; result?: unknown; error?: ErrorInfo };
    if (m.t === 'push') {
      for (const l of listeners.get(m.topic as PushTopic) ?? []) l(m.payload);
      return;
    }
    if ((m.t === 'result' || m.t === 'error') && typeof m.id === 'number') {
      const call = pending.get(m.id);
      if (!call) return;
      pending.delete(m.id);
      call.resolve(m.t === 'result' && m.ok === true ? { ok: true, result: m.result } : { ok: false, error: m.error ?? transportError(call.method, 'Malformed answer') });
    }
  };

  const call = (method: ApiMethod, args: unknown): Promise<CallOutcome> => {
    if (closed) return Promise.resolve({ ok: false, error: transportError(method, 'The client is closed') });
    const id = nextId++;
    return new Promise<CallOutcome>((resolve) => {
      pending.set(id, { method, resolve });
      send({ t: 'call', id, method, args });
    });
  };

  connect();

  return {
    api: apiOver(call),
    push: {
      subscribe<T extends PushTopic>(topic: T, listener: (payload: PushPayload<T>) => void) {
        const set = listeners.get(topic) ?? new Set();
        listeners.set(topic, set);
        const l = listener as (payload: unknown) => void;
        if (set.size === 0 && connected) send({ t: 'sub', topics: [topic] });
        set.add(l);
        return () => {
          set.delete(l);
          if (set.size === 0) {
            listeners.delete(topic);
            if (connected) send({ t: 'unsub', topics: [topic] });
          }
        };
      },
    },
    transport: 'web',
    ready,
    get connected() {
      return connected;
    },
    close() {
      closed = true;
      socket?.close();
    },
  };
}
