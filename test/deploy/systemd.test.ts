// The shipped unit, checked by systemd itself (Debian's systemd package): `systemd-analyze
// verify` must accept it without a single warning (an unknown or misspelt option is only a
// warning there), and the offline security review must keep its exposure low.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './service';
import { skipWithout } from './tools';

const unit = join(root, 'deploy', 'systemd', 'blksnap-manager.service');
/** systemd's own scale: 0 safest, 10 unprotected; "OK" ends below 3. */
const MAX_EXPOSURE = 3;

describe.skipIf(skipWithout('the systemd unit checks', 'systemd-analyze'))('deploy/systemd/blksnap-manager.service', () => {
  it('passes systemd-analyze verify without warnings', () => {
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('keeps the hardening it claims (offline security review, exposure below 3)', () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', unit], { encoding: 'utf8' });
    const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout)?.[1]);
    console.log(`systemd-analyze security: exposure ${exposure} (target below ${MAX_EXPOSURE})`);
    expect(exposure).toBeLessThan(MAX_EXPOSURE);
  });

  it('runs the service mode as root with the options the README explains', () => {
    const text = readFileSync(unit, 'utf8');
    expect(text).toMatch(/^ExecStart=\/usr\/bin\/node \S+\/bin\/blksnap-manager\.mjs serve$/m);
    expect(text).not.toMatch(/^(User|DynamicUser|PrivateDevices|MemoryDenyWriteExecute|ProcSubset)=/m);
    for (const option of ['ProtectHome=yes', 'PrivateTmp=yes', 'NoNewPrivileges=yes', 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6', 'StateDirectory=blksnap-manager']) {
      expect(text).toContain(`\n${option}\n`);
    }
  });
});
