// Inputs the upstream module turns into a kernel oops, refused before any ioctl.
import { basename } from 'node:path';
import { realpathSync } from 'node:fs';
import type { KernelEnv } from '../../env';

/** The disk a block device belongs to (itself for a whole disk), from /sys/block/<disk>/<part>. */
function diskOf(env: KernelEnv, name: string): string {
  if (env.exists(`/sys/block/${name}`)) return name;
  return env.list('/sys/block').find((disk) => env.exists(`/sys/block/${disk}/${name}`)) ?? name;
}

/**
 * Why SNAPSHOTADD must not be sent for this device, or null. Upstream answers a device with
 * integrity metadata or inline encryption EPERM and then dereferences a null snapshot in its
 * error path (spec §2, E2): a kernel oops.
 */
export function snapshotAddHazard(env: KernelEnv, devicePath: string): string | null {
  let name = basename(devicePath);
  try {
    name = basename(realpathSync(devicePath)); // /dev/disk/by-id/... → sdb1
  } catch {
    // Not on this machine's /dev (tests use a root prefix): the path's own name.
  }
  const disk = diskOf(env, name);
  const integrity = env.readText(`/sys/block/${disk}/integrity/format`)?.trim();
  if (integrity && integrity !== 'none') {
    return `${devicePath} carries integrity metadata (${integrity}); the module answers EPERM and then oopses the kernel`;
  }
  if (env.exists(`/sys/block/${disk}/queue/crypto`)) {
    return `${devicePath} supports inline encryption; the module answers EPERM and then oopses the kernel`;
  }
  return null;
}
