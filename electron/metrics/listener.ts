// The read-only metrics listener: its own address (--metrics-listen ADDR:PORT), nothing but
// GET/HEAD /metrics, no UI token (a scraper must never hold the key that can destroy
// snapshots), optional basic auth and TLS from a web config file as Prometheus exporters have.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BcryptVerifier } from './bcrypt';
import type { MetricsCollector } from './collector';
import type { WebConfig } from './webConfig';

/** 9730: in Prometheus's exporter range (9100-9999), where admins look for exporters; see README. */
export const DEFAULT_METRICS_PORT = 9730;

export interface ListenAddress {
  host: string;
  port: number;
}

/** "127.0.0.1:9730", "[::1]:9730", ":9730" (every address, as exporters read it). */
export function parseListenAddress(value: string): ListenAddress {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]*):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new Error(`"${value}" is not ADDR:PORT (e.g. 127.0.0.1:${DEFAULT_METRICS_PORT}, [::1]:${DEFAULT_METRICS_PORT}, :${DEFAULT_METRICS_PORT} for every address; port 0 picks a free one)`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  return { host: host === '' ? '::' : host, port };
}

export interface MetricsListener {
  /** http(s)://host:port/metrics */
  url: string;
  port: number;
  close(): Promise<void>;
}

function reply(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

function basicCredentials(req: IncomingMessage): { user: string; password: string } | null {
  const header = req.headers.authorization;
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export async function startMetricsListener(options: { collector: MetricsCollector; listen: ListenAddress; webConfig?: WebConfig | null }): Promise<MetricsListener> {
  const { collector, listen } = options;
  const web = options.webConfig ?? null;
  const verifier = new BcryptVerifier();

  const authorized = async (req: IncomingMessage): Promise<boolean> => {
    if (!web || web.basicAuthUsers.size === 0) return true;
    const given = basicCredentials(req);
    const hash = given ? web.basicAuthUsers.get(given.user) : undefined;
    return given !== null && hash !== undefined && verifier.verify(given.password, hash);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'Only GET and HEAD\n', { Allow: 'GET, HEAD' });
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return reply(res, 404, 'Only /metrics is served here\n');
    if (!(await authorized(req))) return reply(res, 401, 'Unauthorized\n', { 'WWW-Authenticate': 'Basic realm="blksnap metrics", charset="UTF-8"' });
    const text = await collector.scrape();
    res.writeHead(200, { 'Content-Type': collector.contentType, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, 'The metrics could not be collected\n');
      else res.destroy();
    });
  };

  let server: Server;
  if (web?.tls) {
    const ca = web.tls.clientCaFile ? readFileSync(web.tls.clientCaFile) : undefined;
    // node:https (and tls) loaded only here: app options import this file at every start.
    const { createServer: createHttpsServer } = await import('node:https');
    server = createHttpsServer({
      cert: readFileSync(web.tls.certFile), key: readFileSync(web.tls.keyFile), minVersion: 'TLSv1.2',
      ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}),
    }, onRequest);
  } else {
    server = createHttpServer(onRequest);
  }
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return {
    url: `${web?.tls ? 'https' : 'http'}://${host}:${port}/metrics`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
