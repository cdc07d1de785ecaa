// Web mode: HTTP for the built renderer (the page opened with the token also carries the
// device list, and paints it before the app's script runs: firstPage.ts), a WebSocket (/ws) for calls and pushes, /metrics.
// Loopback by default; a random 32-byte token on every API request and on the WebSocket
// upgrade (query ?token= or header "Authorization: Bearer <token>"); Origin and Host checked
// against the served origin; GET never changes state (calls go over the WebSocket only).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { MAX_IO_BYTES, PUSH, type PushTopic } from '../../shared/contract';
import { encodeFrame, type ServerMessage } from '../../shared/wire';
import type { BlksnapService } from '../service';
import { Connection } from './connection';
import { readFirstPageData, serveFirstPage } from './firstPage';
import { lazyFirstPaint } from './firstPaintBundle';
import type { FirstPageData } from '../../shared/firstPage';
import { allowedHostNames, NO_REMOTE, remoteAccessProblem, urlHost, type RemoteAccess } from './remote';
import type { MetricsCollector } from '../metrics/collector';
import { contentSecurityPolicy, plain, securityHeaders, serveStatic } from './static';

export interface WebServerOptions {
  service: BlksnapService;
  /** Default 127.0.0.1. Anything else exposes the API to the network (token still required). */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** The built renderer (dist/renderer). */
  staticDir: string;
  /** Default: 32 random bytes, hex. */
  token?: string;
  /**
   * The exposition behind GET /metrics here (token required: metrics name devices and
   * snapshots). Default: one made for `service`. A scraper uses the separate read-only
   * listener instead (electron/metrics/listener.ts), which needs no UI token.
   */
  metrics?: MetricsCollector;
  /** A non-loopback host needs allowRemote and TLS (remote.ts); otherwise startWebServer refuses. */
  remote?: RemoteAccess;
  /** A connection that has not sent a whole request by then is closed (default 10 s). */
  preAuthTimeoutMs?: number;
  /** Open TCP connections at most (default 64); WebSocket sessions at most (default 32). */
  maxConnections?: number;
  maxSessions?: number;
  /**
   * The static HTML of the first screen for the page opened with the token (firstPage.ts), or
   * null for none. Default: the built renderer's first paint (firstPaintBundle.ts).
   */
  firstPaint?: (data: FirstPageData) => string | null;
}

export interface WebServer {
  /** The page to open, with ?token=... (changes with setToken). */
  readonly url: string;
  port: number;
  readonly token: string;
  /** Replaces the token (a rotation): connections opened with the old one are closed. */
  setToken(token: string): void;
  /** The origin the page is served from (what Origin headers must equal). */
  origin: string;
  /**
   * Resolves once no call is in progress (waits for events aside): a process serving others
   * (a blksnapctl watcher) ends only after the writes it carries for them have completed.
   */
  drain(): Promise<void>;
  /**
   * Resolves once no call has been in progress or started for `quietMs` and no client is still
   * connected, or, with clients connected, once none has called for `openQuietMs`: a client that
   * sends one write in several calls (emu_write: 64 MiB in pieces), or that connected and is slow
   * to send its first call on a loaded machine, is served to its last piece.
   */
  settle(quietMs: number, openQuietMs?: number): Promise<void>;
  /**
   * Does now the work of the first page request that does not depend on it: loads the first
   * paint's renderer and runs it once on the service's current answers, and reads index.html.
   * Web mode calls it right after printing the URL, while the browser is still opening it, so the
   * request that paints the list does not wait for the renderer to load. Never rejects.
   */
  prepareFirstPage(): Promise<void>;
  close(): Promise<void>;
}

const STATE_TOPICS: readonly PushTopic[] = ['devices', 'snapshots', 'backend', 'workloads'];
const PRE_AUTH_TIMEOUT_MS = 10_000;
const MAX_CONNECTIONS = 64;
const MAX_SESSIONS = 32;
/** The largest frame: one emuWrite's bytes plus its header (a frame's decoded size is checked in Connection). */
const MAX_MESSAGE_BYTES = MAX_IO_BYTES + 2 ** 20;

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { service, staticDir } = options;
  const firstPaint = options.firstPaint ?? lazyFirstPaint();
  const host = options.host ?? '127.0.0.1';
  const remote = options.remote ?? NO_REMOTE;
  const problem = remoteAccessProblem(host, options.port ?? 0, remote);
  if (problem) throw new Error(problem);
  const scheme = remote.tlsCertFile ? 'https' : 'http';
  let token = options.token ?? randomBytes(32).toString('hex');
  // Made at the first GET /metrics: prom-client and its default metrics cost start-up time that
  // most runs (the UI, blksnapctl's watcher) never use; the collector keeps no state between scrapes.
  let metrics: MetricsCollector | null = options.metrics ?? null;
  const connections = new Set<Connection>();
  /** Calls started on any connection so far (settle() watches it move). */
  let callsStarted = 0;
  const latest = new Map<PushTopic, string | Uint8Array>();
  let allowedHosts = new Set<string>();
  let origin = '';
  let csp = '';

  const unsubscribes = (Object.keys(PUSH) as PushTopic[]).map((topic) =>
    service.subscribe(topic, (payload) => {
      const frame = encodeFrame({ t: 'push', topic, payload } satisfies ServerMessage);
      if (STATE_TOPICS.includes(topic)) latest.set(topic, frame);
      for (const c of connections) if (c.topics.has(topic)) c.sendFrame(frame);
    }));

  // ws at the first upgrade, not at start: it loads node:https and node:tls (10-36 ms of the start
  // to the URL), and the page opened with the token paints its list before it connects.
  let wss: WebSocketServer | null = null;
  let closed = false;
  /** Upgrades accepted and waiting for ws to load: settle() waits for them as for a call. */
  let upgrading = 0;
  const webSockets = async (): Promise<WebSocketServer> => {
    const { WebSocketServer: Server } = await import('ws');
    wss ??= new Server({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });
    return wss;
  };

  const authorized = (req: IncomingMessage, url: URL): boolean => {
    const header = req.headers.authorization;
    const given = url.searchParams.get('token') ?? (header?.startsWith('Bearer ') ? header.slice(7) : null) ?? firstHeader(req.headers['x-blksnap-token']);
    return given !== null && safeEqual(given, token);
  };
  /** Absent Origin = not a browser (the CLI, Prometheus); a browser's Origin must be one of our names. */
  const originOk = (req: IncomingMessage): boolean => {
    const o = req.headers.origin;
    if (o === undefined) return true;
    return [...allowedHosts].some((h) => o.toLowerCase() === `${scheme}://${h}`);
  };
  /**
   * Exactly one Host header, naming this server as listed (a page on another name that resolves
   * to us, DNS rebinding, is refused; so is a request that sends two different Hosts).
   */
  const hostOk = (req: IncomingMessage): boolean => {
    let count = 0;
    for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === 'host') count++;
    return count === 1 && allowedHosts.has((req.headers.host ?? '').toLowerCase());
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handleHttp(req, res).catch(() => {
      if (!res.headersSent) plain(res, 500, 'Internal error\n');
      else res.destroy();
    });
  };
  // Before a request is whole (and so before the token is seen) a connection gets little time.
  const preAuthMs = options.preAuthTimeoutMs ?? PRE_AUTH_TIMEOUT_MS;
  const timeouts = { headersTimeout: preAuthMs, requestTimeout: preAuthMs, keepAliveTimeout: Math.min(5000, preAuthMs), connectionsCheckingInterval: Math.min(1000, preAuthMs) };
  // node:https (and tls) only where TLS is asked for.
  const server = remote.tlsCertFile && remote.tlsKeyFile
    ? (await import('node:https')).createServer({ cert: readFileSync(remote.tlsCertFile), key: readFileSync(remote.tlsKeyFile), handshakeTimeout: preAuthMs, ...timeouts }, onRequest)
    : createServer(timeouts, onRequest);
  server.maxConnections = options.maxConnections ?? MAX_CONNECTIONS;
  const maxSessions = options.maxSessions ?? MAX_SESSIONS;

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    securityHeaders(res, csp);
    // DNS rebinding: a page on another name resolving to us must not reach the API.
    if (!hostOk(req)) return plain(res, 421, 'Unexpected Host header\n');
    if (!originOk(req)) return plain(res, 403, 'Cross-origin request refused\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Only GET and HEAD; calls go over the WebSocket\n', { Allow: 'GET, HEAD' });
    const url = requestUrl(req);
    if (!url) return plain(res, 400, 'Bad request target\n');
    if (url.pathname === '/metrics') {
      if (!authorized(req, url)) return plain(res, 401, 'Token required\n', { 'WWW-Authenticate': 'Bearer' });
      metrics ??= (await import('../metrics/collector')).createMetricsCollector(service, null);
      const text = await metrics.scrape();
      res.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' });
      return void res.end(req.method === 'HEAD' ? undefined : text);
    }
    if (url.pathname === '/ws') return plain(res, 426, 'WebSocket upgrade required\n', { Upgrade: 'websocket' });
    if (url.pathname.startsWith('/api/')) return plain(res, 404, 'No HTTP API; calls go over the WebSocket at /ws\n');
    // The page opened with the token carries the device list (firstPage.ts); any other request gets the file.
    if (req.method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html') && authorized(req, url)) {
      if (await serveFirstPage(res, join(staticDir, 'index.html'), () => readFirstPageData(service), { paint: firstPaint })) return;
    }
    return serveStatic(req, res, staticDir, url.pathname);
  }

  /** The request target, or null for one that is not a URL (it must not throw in a listener: that kills the process). */
  const requestUrl = (req: IncomingMessage): URL | null => {
    try {
      return new URL(req.url ?? '/', origin);
    } catch {
      return null;
    }
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = requestUrl(req);
    if (!url) return rejectUpgrade(socket, 400, 'Bad Request');
    if (url.pathname !== '/ws') return rejectUpgrade(socket, 404, 'Not Found');
    if (!hostOk(req)) return rejectUpgrade(socket, 421, 'Misdirected Request');
    if (!originOk(req)) return rejectUpgrade(socket, 403, 'Forbidden');
    if (!authorized(req, url)) return rejectUpgrade(socket, 401, 'Unauthorized');
    // The upgrades still waiting for ws count toward the cap.
    if (connections.size + upgrading >= maxSessions) return rejectUpgrade(socket, 503, 'Service Unavailable');
    upgrading += 1;
    webSockets().then((sockets) => {
      upgrading -= 1;
      if (closed) return socket.destroy();
      // The token may have been rotated while ws loaded: a session of the old one must not outlive it.
      if (!authorized(req, url)) return rejectUpgrade(socket, 401, 'Unauthorized');
      sockets.handleUpgrade(req, socket, head, (ws) => {
        const connection = new Connection(ws, service, (topic) => latest.get(topic), () => void (callsStarted += 1));
        connections.add(connection);
        ws.on('close', () => connections.delete(connection));
      });
    }, () => {
      upgrading -= 1;
      rejectUpgrade(socket, 500, 'Internal Server Error');
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const name = urlHost(host);
  origin = `${scheme}://${name}:${port}`;
  allowedHosts = new Set(allowedHostNames(host, port));
  csp = contentSecurityPolicy(`${scheme === 'https' ? 'wss' : 'ws'}://${name}:${port}`);

  return {
    get url() {
      return `${origin}/?token=${token}`;
    },
    port,
    get token() {
      return token;
    },
    setToken(next: string) {
      token = next;
      for (const ws of wss?.clients ?? []) ws.close(4001, 'token rotated');
    },
    origin,
    drain: async () => {
      await Promise.all([...connections].map((c) => c.drain()));
    },
    settle: async (quietMs: number, openQuietMs = quietMs) => {
      // The count is read before the drain: a call another client starts while the drain waits
      // (or on a connection opened meanwhile) makes the loop go round again instead of being missed.
      let quietSince = Date.now();
      for (;;) {
        const before = callsStarted;
        await Promise.all([...connections].map((c) => c.drain()));
        await new Promise((resolve) => setTimeout(resolve, quietMs));
        const idle = upgrading === 0 && callsStarted === before && [...connections].every((c) => !c.busy);
        if (!idle) {
          quietSince = Date.now();
          continue;
        }
        if (connections.size === 0 || Date.now() - quietSince >= openQuietMs) return;
      }
    },
    prepareFirstPage: async () => {
      const data = await readFirstPageData(service).catch(() => null);
      try {
        if (data) firstPaint(data);
      } catch {
        // A renderer that throws gives the page without the static list, as at a request.
      }
      await readFile(join(staticDir, 'index.html')).catch(() => undefined);
    },
    close: async () => {
      closed = true;
      for (const u of unsubscribes) u();
      for (const ws of wss?.clients ?? []) ws.terminate();
      wss?.close();
      // Stopping means now: a browser's keep-alive or preconnected socket (no request yet, so not
      // "idle" to Node) would hold server.close() for seconds after Ctrl+C.
      const closedAll = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closedAll;
    },
  };
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length + 1}\r\n\r\n${reason}\n`);
}

function firstHeader(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
