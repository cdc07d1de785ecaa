// Step 1 of the dialect probe (spec §0.3): which family's files exist, with no side effect and
// nothing of the dialects loaded. Backend selection asks it first (select.ts), so a machine
// without a blksnap module, where the emulator stands in, never loads the kernel clients and
// their request tables; probe.ts goes on from here where a family's files exist.
import type { KernelEnv } from './env';

export interface ModuleNodes {
  family: 'v1' | 'upstream' | 'standalone';
  /** v1 only: 6.0 (`blksnap`) or 6.1+ (`veeamblksnap`). */
  v1Variant: '6.0' | '6.1+' | null;
  controlNode: string;
}

/** The family whose files exist and why, or null and why none is there (for people: the doctor, BackendInfo.reason). */
export function findModuleNodes(env: KernelEnv): { nodes: ModuleNodes | null; reason: string } {
  if (env.exists('/dev/bdevfilter') || env.exists('/sys/class/misc/bdevfilter')) {
    return {
      nodes: { family: 'standalone', v1Variant: null, controlNode: '/dev/veeamblksnap' },
      reason: '/dev/bdevfilter exists: Veeam standalone v2 (VAL-7.0 or VAL-13), control node /dev/veeamblksnap',
    };
  }
  if (env.exists('/sys/class/veeamblksnap/major')) {
    return {
      nodes: { family: 'v1', v1Variant: '6.1+', controlNode: '/dev/veeamblksnap' },
      reason: '/sys/class/veeamblksnap/major exists: v1 (Veeam Agent 6.1+), control node /dev/veeamblksnap',
    };
  }
  if (env.exists('/sys/class/blksnap/major')) {
    return {
      nodes: { family: 'v1', v1Variant: '6.0', controlNode: '/dev/blksnap' },
      reason: '/sys/class/blksnap/major exists: v1 (Veeam Agent 6.0), control node /dev/blksnap',
    };
  }
  if (env.exists('/dev/blksnap-control') || env.exists('/sys/class/misc/blksnap-control')) {
    return {
      nodes: { family: 'upstream', v1Variant: null, controlNode: '/dev/blksnap-control' },
      reason: '/dev/blksnap-control exists: upstream blksnap on a patched kernel (v6, v7/lk6.9 or lk6.15)',
    };
  }
  return {
    nodes: null,
    reason: 'no blksnap module: none of /dev/bdevfilter, /sys/class/veeamblksnap/major, /sys/class/blksnap/major, /dev/blksnap-control exists; the emulator can stand in',
  };
}
