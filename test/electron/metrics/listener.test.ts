// The read-only metrics listener: only GET/HEAD /metrics, basic auth checked against bcrypt
// hashes by libcrypt, TLS from the web config, and ADDR:PORT parsed as exporters read it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BcryptVerifier } from '../../../electron/metrics/bcrypt';
import type { MetricsCollector } from '../../../electron/metrics/collector';
import { parseListenAddress, startMetricsListener, type MetricsListener } from '../../../electron/metrics/listener';
import { parseWebConfig } from '../../../electron/metrics/webConfig';
import { findTool, inCi } from '../../deploy/tools';
import { skipBecause } from '../../skip';

// bcrypt of "secret" (cost 10), as htpasswd -nbBC 10 '' secret writes it.
const HASH = '$2y$10$jvWl3v7lh.qWNkkA6kY2IenzYaV43mgaG9H5c.XSmSM.g47RCrGdW';
let scrapes = 0;
const collector: MetricsCollector = {
  registry: null as never,
  contentType: 'text/plain; version=0.0.4; charset=utf-8',
  scrape: async () => `# HELP blksnap_up up\n# TYPE blksnap_up gauge\nblksnap_up ${++scrapes}\n`,
};
let listener: MetricsListener | null = null;

afterEach(async () => {
  await listener?.close();
  listener = null;
});

const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('parseListenAddress', () => {
  it('reads IPv4, bracketed IPv6 and the empty host (every address)', () => {
    expect(parseListenAddress('127.0.0.1:9730')).toEqual({ host: '127.0.0.1', port: 9730 });
    expect(parseListenAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListenAddress(':9730')).toEqual({ host: '::', port: 9730 });
  });

  it.each(['9730', '127.0.0.1', '127.0.0.1:70000', '::1:9730', 'host:port'])('refuses "%s" with the expected form', (value) => {
    expect(() => parseListenAddress(value)).toThrow(/is not ADDR:PORT \(e\.g\. 127\.0\.0\.1:9730/);
  });
});

describe('the metrics listener', () => {
  it('serves only GET and HEAD /metrics, with the exposition content type', async () => {
    listener = await startMetricsListener({ collector, listen: { host: '127.0.0.1', port: 0 } });
    const base = listener.url.replace(/\/metrics$/, '');
    const ok = await fetch(`${base}/metrics`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe(collector.contentType);
    expect(await ok.text()).toMatch(/^blksnap_up \d+$/m);
    expect((await fetch(`${base}/metrics`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/ws`)).status).toBe(404);
  });

  it('asks for basic auth when the web config has users, and checks bcrypt through libcrypt', async () => {
    const webConfig = parseWebConfig(`basic_auth_users:\n  prometheus: ${HASH}\n`, '/');
    listener = await startMetricsListener({ collector, listen: { host: '127.0.0.1', port: 0 }, webConfig });
    const none = await fetch(listener.url);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await fetch(listener.url, { headers: basic('prometheus', 'wrong') })).status).toBe(401);
    expect((await fetch(listener.url, { headers: basic('grafana', 'secret') })).status).toBe(401);
    expect((await fetch(listener.url, { headers: basic('prometheus', 'secret') })).status).toBe(200);
  });

  it('verifies $2y$, $2b$ hashes and refuses what is not bcrypt', async () => {
    const verifier = new BcryptVerifier();
    expect(await verifier.verify('secret', HASH)).toBe(true);
    expect(await verifier.verify('secret', HASH.replace('$2y$', '$2b$'))).toBe(true);
    expect(await verifier.verify('Secret', HASH)).toBe(false);
    expect(await verifier.verify('secret', 'secret')).toBe(false);
    expect(await verifier.verify('secret\0', HASH)).toBe(false);
  });

  const openssl = findTool('openssl');
  it.skipIf(skipBecause('the TLS listener test', !openssl && !inCi && 'needs openssl (apt-get install openssl) to make a certificate', 'wherever openssl is installed, and always in CI'))('serves over TLS with the certificate of the web config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blksnap-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      const webConfig = parseWebConfig('tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n', dir);
      listener = await startMetricsListener({ collector, listen: { host: '127.0.0.1', port: 0 }, webConfig });
      expect(listener.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const body = await new Promise<string>((resolve, reject) => {
        request(listener!.url, { ca: readFileSync(join(dir, 'cert.pem')) }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(text));
        }).on('error', reject).end();
      });
      expect(body).toMatch(/^blksnap_up \d+$/m);
      // Plain HTTP to the TLS port gets no exposition.
      await expect(fetch(listener.url.replace('https:', 'http:'))).rejects.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
