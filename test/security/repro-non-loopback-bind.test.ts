// Reproduction 5 of issue 13: `--host 0.0.0.0` served plain HTTP with the token in the URL,
// turned the Host check off and printed http://0.0.0.0:PORT. Now a non-loopback address needs
// --allow-remote and TLS, or the server refuses to start and says why (and how to tunnel).
import { describe, expect, it } from 'vitest';
import { parseAppOptions } from '../../electron/app/options';
import { parseServeOptions } from '../../electron/serve/options';
import { allowedHostNames, remoteAccessProblem, urlHost } from '../../electron/web/remote';
import { createService } from '../../electron/service';
import { startWebServer } from '../../electron/web/server';
import { FakeControl } from '../electron/service/fakeControl';

describe('reproduction: non-loopback bind', () => {
  it('web mode and the service refuse --host 0.0.0.0 without --allow-remote and TLS', async () => {
    const app = parseAppOptions(['--web', '--host', '0.0.0.0'], {});
    expect(remoteAccessProblem(app.host, app.port, app)).toMatch(/refusing to listen on 0\.0\.0\.0.*ssh -L/);
    const withFlag = parseAppOptions(['--web', '--host', '0.0.0.0', '--allow-remote'], {});
    expect(remoteAccessProblem(withFlag.host, withFlag.port, withFlag)).toMatch(/without TLS/);
    const tls = parseAppOptions(['--web', '--host', '0.0.0.0', '--allow-remote', '--tls-cert', '/c.pem', '--tls-key', '/k.pem'], {});
    expect(remoteAccessProblem(tls.host, tls.port, tls)).toBeNull();
    expect(remoteAccessProblem('0.0.0.0', 9731, { ...tls, tlsKeyFile: null })).toMatch(/go together/);
    const serve = parseServeOptions(['--host', '192.0.2.7'], {});
    expect(remoteAccessProblem(serve.host, serve.port, serve)).toMatch(/refusing to listen on 192\.0\.2\.7/);
    expect(remoteAccessProblem('127.0.0.1', 0, app)).toBeNull();

    const service = createService(new FakeControl(), { dataDir: null });
    try {
      await expect(startWebServer({ service, host: '0.0.0.0', staticDir: '/nonexistent' })).rejects.toThrow(/refusing to listen/);
    } finally {
      await service.close();
    }
  });

  it('prints a URL people can use and keeps a Host allow-list on a wildcard bind', () => {
    expect(urlHost('0.0.0.0')).not.toBe('0.0.0.0');
    const names = allowedHostNames('0.0.0.0', 9731);
    expect(names).toContain(`${urlHost('0.0.0.0')}:9731`);
    expect(names).toContain('127.0.0.1:9731');
    expect(names.every((n) => n.endsWith(':9731'))).toBe(true);
    expect(names).not.toContain('evil.example:9731');
    expect(allowedHostNames('192.0.2.7', 80)).toEqual(['192.0.2.7:80']);
  });
});
