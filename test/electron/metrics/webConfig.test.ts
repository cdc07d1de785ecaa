// The metrics listener's web config: the exporters' format is read as they write it, and
// anything else is refused with the line and the reason (a guard must never be half-read).
import { describe, expect, it } from 'vitest';
import { parseWebConfig, WebConfigError } from '../../../electron/metrics/webConfig';

const HASH = '$2y$10$jvWl3v7lh.qWNkkA6kY2IenzYaV43mgaG9H5c.XSmSM.g47RCrGdW';

describe('parseWebConfig', () => {
  it('reads TLS files (relative to the config) and bcrypt users, with comments and quotes', () => {
    const config = parseWebConfig([
      '# exporter-toolkit format',
      'tls_server_config:',
      '  cert_file: server.crt',
      '  key_file: "/etc/ssl/private/server.key"  # absolute',
      'basic_auth_users:',
      `  prometheus: ${HASH}`,
      `  'grafana': '${HASH}'`,
      '',
    ].join('\n'), '/etc/blksnap');
    expect(config.tls).toEqual({ certFile: '/etc/blksnap/server.crt', keyFile: '/etc/ssl/private/server.key', clientCaFile: null });
    expect([...config.basicAuthUsers.keys()]).toEqual(['prometheus', 'grafana']);
    expect(config.basicAuthUsers.get('prometheus')).toBe(HASH);
  });

  it('is empty for an empty file: no TLS, no basic auth', () => {
    expect(parseWebConfig('\n# nothing\n', '/')).toEqual({ tls: null, basicAuthUsers: new Map() });
  });

  it.each([
    ['an unknown section', 'http_server_config:\n  http2: false\n', /line 1: expected one of tls_server_config, basic_auth_users/],
    ['an unknown TLS setting', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n', /line 4: tls_server_config has no setting "min_version"/],
    ['a plain-text password', 'basic_auth_users:\n  alice: secret\n', /password of "alice" is not a bcrypt hash/],
    ['a certificate without its key', 'tls_server_config:\n  cert_file: a\n', /needs both cert_file and key_file/],
    ['a value outside a section', '  alice: x\n', /line 1: expected " {2}key: value" inside a section/],
    ['a user given twice', `basic_auth_users:\n  a: ${HASH}\n  a: ${HASH}\n`, /line 3: "a" given twice/],
  ])('refuses %s, naming the line', (_what, text, message) => {
    expect(() => parseWebConfig(text, '/')).toThrow(WebConfigError);
    expect(() => parseWebConfig(text, '/')).toThrow(message);
  });
});
