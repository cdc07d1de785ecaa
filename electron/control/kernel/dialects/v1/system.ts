// What v1 learns from the file system rather than the module: dev_t of a device, its size,
// the block devices present and the module parameters. Every /sys and /dev lookup goes through
// `root`, so tests can fake the tree.
import { notABlockDevice, unknownBlockDevice } from '../../../sentences';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { appError } from '../../../../../shared/errors';
import type { DevId } from '../../../../../shared/schemas';

export interface ResolvedDevice {
  devId: DevId;
  /** /dev path for people (or M:m when no node is known). */
  path: string;
}

export interface SysBlockDevice {
  name: string;
  devId: DevId;
  sizeSectors: number;
}

export const devText = (d: DevId): string => `${d.major}:${d.minor}`;

export function parseDevText(text: string): DevId | null {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

/** glibc's gnu_dev_major/minor of a 64-bit dev_t. */
export function splitDev(rdev: bigint): DevId {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

async function readText(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return null;
  }
}

export class V1System {
  constructor(private readonly root: string, private readonly moduleName: string) {}

  private sys(...parts: string[]): string {
    return join(this.root, 'sys', ...parts);
  }

  /** dev_t of "/dev/sdb1", "sdb1" or "8:17": /sys/class/block/<name>/dev, else stat().st_rdev. */
  async resolve(device: string): Promise<ResolvedDevice> {
    const direct = parseDevText(device);
    if (direct) return { devId: direct, path: (await this.pathOf(direct)) ?? device };
    const name = basename(device);
    const fromSys = parseDevText((await readText(this.sys('class', 'block', name, 'dev'))) ?? '');
    if (fromSys) return { devId: fromSys, path: device.startsWith('/') ? device : `/dev/${name}` };
    try {
      const st = await stat(device, { bigint: true });
      if (!st.isBlockDevice()) throw notABlockDevice(device);
      return { devId: splitDev(st.rdev), path: device };
    } catch (err) {
      if (err instanceof Error && err.name === 'BlksnapError') throw err;
      throw unknownBlockDevice(device, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
    }
  }

  /** The /dev node of a dev_t from /sys/dev/block/M:m/uevent (DEVNAME). */
  async pathOf(devId: DevId): Promise<string | null> {
    const uevent = await readText(this.sys('dev', 'block', devText(devId), 'uevent'));
    const name = /^DEVNAME=(.+)$/m.exec(uevent ?? '')?.[1];
    return name ? `/dev/${name}` : null;
  }

  /** Size in sectors from /sys/dev/block/M:m/size; null when the kernel has no such device. */
  async sizeSectors(devId: DevId): Promise<number | null> {
    const text = await readText(this.sys('dev', 'block', devText(devId), 'size'));
    return text !== null && /^\d+$/.test(text) ? Number(text) : null;
  }

  /** Logical block size in sectors (partitions read their disk's queue); 1 when unknown. */
  async logicalBlockSectors(devId: DevId): Promise<number> {
    const base = this.sys('dev', 'block', devText(devId));
    for (const p of [join(base, 'queue', 'logical_block_size'), join(base, '..', 'queue', 'logical_block_size')]) {
      const text = await readText(p);
      if (text && /^\d+$/.test(text) && Number(text) >= 512) return Number(text) / 512;
    }
    return 1;
  }

  async blockDevices(): Promise<SysBlockDevice[]> {
    let names: string[];
    try {
      names = await readdir(this.sys('class', 'block'));
    } catch {
      return [];
    }
    const out: SysBlockDevice[] = [];
    for (const name of names.sort()) {
      const devId = parseDevText((await readText(this.sys('class', 'block', name, 'dev'))) ?? '');
      const size = await readText(this.sys('class', 'block', name, 'size'));
      if (devId && size && /^\d+$/.test(size)) out.push({ name, devId, sizeSectors: Number(size) });
    }
    return out;
  }

  /** /sys/module/<module>/parameters: every integer value. */
  async parameters(): Promise<Record<string, number>> {
    const dir = this.sys('module', this.moduleName, 'parameters');
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      throw appError('EBACKEND', `${dir} is missing: is the ${this.moduleName} module loaded?`, { path: dir });
    }
    const out: Record<string, number> = {};
    for (const name of names.sort()) {
      const text = await readText(join(dir, name));
      if (text !== null && /^-?\d+$/.test(text)) out[name] = Number(text);
    }
    return out;
  }
}
