// The Debian tools the deploy tests run (promtool and prometheus from `prometheus`,
// systemd-analyze from `systemd`; .ci/run installs them). Outside CI a missing tool skips its
// tests with the reason printed; in CI it fails (see prerequisites.test.ts).
import { spawnSync } from 'node:child_process';
import { skipBecause } from '../skip';

export const inCi = Boolean(process.env.CI);

/** The tool's path on PATH, or null. */
export function findTool(name: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/** True when the tests needing `names` must skip (outside CI, a tool missing); prints why. */
export function skipWithout(what: string, ...names: string[]): boolean {
  const missing = names.filter((n) => !findTool(n));
  if (missing.length === 0 || inCi) return false;
  return skipBecause(what, `needs ${missing.join(', ')} (apt-get install ${missing.includes('systemd-analyze') ? 'systemd' : 'prometheus'})`, 'wherever the tools are installed, and always in CI');
}
