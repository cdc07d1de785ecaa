// The kernel's HZ, for turning wait ticks into time (spec §3.7: the module's timeout is in
// jiffies). From the kernel config where it is readable; else 250, Debian's default.
import { readFileSync } from 'node:fs';
import { release } from 'node:os';

export const DEFAULT_HZ = 250;

/** CONFIG_HZ from a kernel config text, or null. */
export function parseConfigHz(config: string): number | null {
  const m = /^CONFIG_HZ=(\d+)$/m.exec(config);
  const hz = m ? Number(m[1]) : NaN;
  return Number.isInteger(hz) && hz > 0 ? hz : null;
}

let cached: { hz: number; source: string } | null = null;

export function kernelHz(): { hz: number; source: string } {
  if (cached) return cached;
  const file = `/boot/config-${release()}`;
  try {
    const hz = parseConfigHz(readFileSync(file, 'utf8'));
    if (hz) return (cached = { hz, source: file });
  } catch {
    // Not readable here: fall back below.
  }
  return (cached = { hz: DEFAULT_HZ, source: `assumed (${file} not readable)` });
}
