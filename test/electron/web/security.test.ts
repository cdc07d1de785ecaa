import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FakeControl } from '../service/fakeControl';
import { startHarness, type Harness } from './harness';
import { findTool, inCi } from '../../deploy/tools';
import { skipBecause } from '../../skip';

let harness: Harness | null = null;
afterEach(async () => {
  await harness?.close();
  harness = null;
});

interface RawResponse { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A raw request: the path goes out exactly as given (no URL normalisation). */
function raw(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket; resolves 'open' or the HTTP status of the refusal. */
function upgrade(url: string, headers: Record<string, string> = {}, tls: { ca?: Buffer } = {}): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers, ...tls });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
}

describe('web server', () => {
  it('serves the page with CSP and correct MIME types, without the token', async () => {
    harness = await startHarness(new FakeControl());
    const port = harness.server.port;
    const page = await raw(port, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${port}`);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect((await raw(port, '/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await raw(port, '/devices/vda')).body).toContain('blksnap Manager'); // client-side route
    expect((await raw(port, '/missing.js')).status).toBe(404);
  });

  it('never serves a file outside the static directory', async () => {
    harness = await startHarness(new FakeControl());
    const port = harness.server.port;
    for (const path of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd', '/%2e%2e%5c%2e%2e%5cetc%5cpasswd', '/app.js%00.html', '/%ff', '//etc/passwd']) {
      const res = await raw(port, path);
      expect(res.body, path).not.toContain('root:');
      expect([400, 404, 503].includes(res.status) || res.body.includes('blksnap Manager'), `${path} → ${res.status}`).toBe(true);
    }
  });

  it('changes no state on GET and refuses other methods', async () => {
    const control = new FakeControl();
    control.addDevice('vda', 2 ** 20);
    harness = await startHarness(control);
    const port = harness.server.port;
    const token = harness.server.token;
    for (const path of ['/api/attach?device=/dev/vda', `/ws?token=${token}`, `/metrics?token=${token}`]) await raw(port, path);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      expect((await raw(port, `/?token=${token}`, { method })).status).toBe(405);
    }
    expect(control.log).toEqual([]);
  });

  it('requires the token for /metrics on the UI listener and speaks Prometheus text', async () => {
    const control = new FakeControl();
    control.addDevice('vda', 64 * 2 ** 20, true).map.set([1, 1, 2]);
    control.devices.get('/dev/vda')!.changesNumber = 2;
    harness = await startHarness(control);
    const port = harness.server.port;
    expect((await raw(port, '/metrics')).status).toBe(401);
    expect((await raw(port, '/metrics?token=wrong')).status).toBe(401);
    const ok = await raw(port, '/metrics', { headers: { Authorization: `Bearer ${harness.server.token}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toContain('text/plain; version=0.0.4');
    expect(ok.body).toContain('# TYPE blksnap_backend_info gauge');
    expect(ok.body).toContain('blksnap_backend_info{kind="emulator",dialect="lk6.15",version="2.0.0.0"} 1');
    expect(ok.body).toMatch(/blksnap_cbt_changes_number\{device="\/dev\/vda",generation="[0-9a-f-]+"\} 2/);
    expect(ok.body).toContain('blksnap_cbt_changed_blocks{device="/dev/vda"} 1');
    // prom-client writes "Nan" for an event-loop statistic not measured yet; Prometheus reads any case.
    for (const line of ok.body.trim().split('\n').filter((l) => l !== '')) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?[\d.e+-]+|\w+(\{[^}]*\})? (NaN|Nan|[+-]Inf))$/);
  });

  it('accepts the WebSocket only with the token, our Origin and our Host', async () => {
    harness = await startHarness(new FakeControl());
    const { port, token, origin } = harness.server;
    const base = `ws://127.0.0.1:${port}/ws`;
    expect(await upgrade(base)).toBe(401);
    expect(await upgrade(`${base}?token=${'0'.repeat(64)}`)).toBe(401);
    expect(await upgrade(`${base}?token=${token}`, { Origin: 'http://evil.example' })).toBe(403);
    expect(await upgrade(`${base}?token=${token}`, { Origin: `http://127.0.0.1:${port + 1}` })).toBe(403);
    expect(await upgrade(`${base}?token=${token}`, { Host: `evil.example:${port}` })).toBe(421);
    expect(await upgrade(`ws://127.0.0.1:${port}/other?token=${token}`)).toBe(404);
    expect(await upgrade(`${base}?token=${token}`, { Origin: origin })).toBe('open');
    expect(await upgrade(`${base}?token=${token}`, { Origin: `http://localhost:${port}` })).toBe('open');
    expect(await upgrade(base, { Authorization: `Bearer ${token}` })).toBe('open');
    expect(harness.server.url).toBe(`http://127.0.0.1:${port}/?token=${token}`);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('web server on a non-loopback address', () => {
  it('refuses to start without --allow-remote, and without TLS, saying how to reach it safely', async () => {
    const { createService } = await import('../../../electron/service');
    const { startWebServer } = await import('../../../electron/web/server');
    const service = createService(new FakeControl(), { dataDir: null });
    try {
      await expect(startWebServer({ service, host: '0.0.0.0', staticDir: '/nonexistent' })).rejects.toThrow(/refusing to listen on 0\.0\.0\.0.*SSH tunnel.*--allow-remote with --tls-cert and --tls-key/);
      await expect(startWebServer({ service, host: '0.0.0.0', staticDir: '/nonexistent', remote: { allowRemote: true, tlsCertFile: null, tlsKeyFile: null } }))
        .rejects.toThrow(/without TLS: the access token would cross the network in clear text/);
    } finally {
      await service.close();
    }
  });

  const openssl = findTool('openssl');
  it.skipIf(skipBecause('the remote TLS test', !openssl && !inCi && 'needs openssl (apt-get install openssl) to make a certificate', 'wherever openssl is installed, and always in CI'))('with --allow-remote and TLS: https/wss, a URL with this host\'s name, and only the names of this host as Host', async () => {
    const { createService } = await import('../../../electron/service');
    const { startWebServer } = await import('../../../electron/web/server');
    const dir = mkdtempSync(join(tmpdir(), 'blksnap-remote-tls-'));
    const service = createService(new FakeControl(), { dataDir: null });
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      const remote = { allowRemote: true, tlsCertFile: join(dir, 'cert.pem'), tlsKeyFile: join(dir, 'key.pem') };
      const server = await startWebServer({ service, host: '0.0.0.0', staticDir: '/nonexistent', remote });
      try {
        const { port, token } = server;
        expect(server.url).toBe(`https://${hostname().toLowerCase()}:${port}/?token=${token}`);
        const ca = readFileSync(join(dir, 'cert.pem'));
        const wss = (headers: Record<string, string>) => upgrade(`wss://127.0.0.1:${port}/ws?token=${token}`, headers, { ca });
        expect(await wss({})).toBe('open');
        expect(await wss({ Host: `${hostname().toLowerCase()}:${port}`, Origin: `https://${hostname().toLowerCase()}:${port}` })).toBe('open');
        expect(await wss({ Host: `rebind.example:${port}` })).toBe(421);
        expect(await wss({ Origin: `http://127.0.0.1:${port}` })).toBe(403); // not https: another origin
        expect(await upgrade(`wss://127.0.0.1:${port}/ws`, {}, { ca })).toBe(401);
        // Plain HTTP gets nothing.
        await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
      } finally {
        await server.close();
      }
    } finally {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Host header', () => {
  it('two Host headers are refused, even when both name this server', async () => {
    harness = await startHarness(new FakeControl());
    const port = harness.server.port;
    const answer = await rawSocket(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 (400|421)/);
    const upgradeAnswer = await rawSocket(port, `GET /ws?token=${harness.server.token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: evil.example\r\n`
      + 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    expect(upgradeAnswer).toMatch(/^HTTP\/1\.1 (400|421)/);
  });
});

/** Sends bytes as they are and returns the first line of the answer. */
function rawSocket(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (answer += d));
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

describe('request targets that are not URLs', () => {
  it('are refused with 400 on the WebSocket upgrade and on plain requests, and the server keeps serving', async () => {
    harness = await startHarness(new FakeControl());
    const { port } = harness.server;
    const host = `127.0.0.1:${port}`;
    expect(await rawSocket(port, `GET http://[ HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/);
    expect(await rawSocket(port, `GET http://[ HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/);
    expect((await raw(port, `/metrics?token=${harness.server.token}`)).status).toBe(200);
  });
});
