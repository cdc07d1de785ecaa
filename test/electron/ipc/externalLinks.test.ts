import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAllowedExternalLink } from '../../../electron/ipc/externalLinks';

describe('external links', () => {
  it('opens only https links to the documentation hosts', () => {
    expect(isAllowedExternalLink('https://github.com/veeam/blksnap')).toBe(true);
    expect(isAllowedExternalLink('https://docs.kernel.org/block/blksnap.html')).toBe(true);
    for (const url of [
      'https://evil.example/', 'http://github.com/', 'file:///etc/passwd', 'smb://host/share', 'https://github.com.evil.example/',
      'https://user:pw@github.com/', 'https://github.com:8443/', 'javascript:alert(1)', 'not a url', 'vscode://x',
    ]) expect(isAllowedExternalLink(url), url).toBe(false);
  });

  it('the Electron main process uses the allow-list and answers permission checks no', () => {
    const main = readFileSync(new URL('../../../electron/main.ts', import.meta.url), 'utf8');
    expect(main).toMatch(/if \(isAllowedExternalLink\(url\)\) void shell\.openExternal\(url\)/);
    expect(main).not.toMatch(/startsWith\('https:\/\/'\)\) void shell\.openExternal/);
    expect(main).toMatch(/setPermissionCheckHandler\(\(\) => false\)/);
  });
});
