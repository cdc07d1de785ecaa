// Storage for the real module (v1, VAL-7.0 range mode): a file fallocated on a filesystem whose
// FIEMAP offsets are device sectors, handed over as sector ranges of the filesystem's device.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { O_CLOEXEC, O_CREAT, O_EXCL, O_RDWR, sysCall, sysClose, sysOpen } from '../../control/kernel/native';
import { appError, errnoError } from '../../../shared/errors';
import type { DevId } from '../../../shared/schemas';
import { EXT4_MAGIC, FS_MAGIC, XFS_MAGIC } from '../../control/fsMagic';
import { extentsToRanges, fiemap, filesystemType, setImmutable } from './fiemap';
import type { AllocatedStorage, RangeAllocator } from './types';

/** ext2/3/4 and xfs: one device, FIEMAP physical = byte offset on st_dev (spec §6.4). */
const SECTOR_ADDRESSED = new Set([EXT4_MAGIC, XFS_MAGIC]);

export interface KernelRangeAllocatorOptions {
  /** Prefix for /sys lookups (tests). */
  root?: string;
  /** Replaces the statfs check (tests on a filesystem other than ext4/xfs). */
  fsCheck?: (directory: string) => Promise<void>;
  /** Make each file immutable so nothing moves or deletes it under the module (default true). */
  protect?: boolean;
}

export function splitDev(dev: bigint): DevId {
  return {
    major: Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn)),
    minor: Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn)),
  };
}

/** Refuses a directory whose filesystem does not address FIEMAP in device sectors. */
export async function checkSectorAddressed(directory: string): Promise<void> {
  const type = filesystemType(directory);
  if (!SECTOR_ADDRESSED.has(type)) {
    const name = FS_MAGIC[type] ?? `type 0x${type.toString(16)}`;
    throw appError('EBADARG', `${directory} is on ${name}: only ext4 and xfs map file extents to device sectors, so the module could write over other data`, { directory, filesystem: name });
  }
}

export class KernelRangeAllocator implements RangeAllocator {
  readonly name = 'kernel';
  private readonly root: string;
  private readonly fsCheck: (directory: string) => Promise<void>;
  private readonly protect: boolean;

  constructor(opts: KernelRangeAllocatorOptions = {}) {
    this.root = opts.root ?? '/';
    this.fsCheck = opts.fsCheck ?? checkSectorAddressed;
    this.protect = opts.protect ?? true;
  }

  async checkDirectory(directory: string): Promise<void> {
    const st = await stat(directory).catch(() => null);
    if (!st?.isDirectory()) throw appError('EBADARG', `${directory} is not a directory`, { directory });
    await this.fsCheck(directory);
  }

  async allocate(path: string, sizeBytes: number): Promise<AllocatedStorage> {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % 512) {
      throw appError('EBADARG', `storage size ${sizeBytes} is not a positive multiple of 512 bytes`);
    }
    const opened = sysOpen(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o600);
    if (opened.ret < 0) throw errnoError(opened.errnoName ?? 'EIO', 'open', `cannot create ${path}`, { path });
    const fd = opened.ret;
    try {
      const fa = sysCall('fallocate', [{ kind: 'i32', value: fd }, { kind: 'i32', value: 0 }, { kind: 'i64', value: 0 }, { kind: 'i64', value: sizeBytes }]);
      if (fa.ret < 0) throw errnoError(fa.errnoName ?? 'EIO', 'fallocate', `cannot allocate ${sizeBytes} bytes for ${path}`, { path });
      const extents = fiemap(fd, sizeBytes, path);
      const devId = splitDev((await stat(path, { bigint: true })).dev);
      let immutable = false;
      if (this.protect) {
        try {
          setImmutable(fd, true, path);
          immutable = true;
        } catch {
          immutable = false;
        }
      }
      const ranges = extentsToRanges(extents, sizeBytes);
      if (ranges.length === 0) {
        throw appError('EBADARG', `${path}: no whole page (4096 bytes) among its extents: the module takes only page-aligned storage; use a filesystem with 4 KiB blocks (mkfs.ext4 -b 4096)`, { path });
      }
      return { device: await this.devicePath(devId), ranges, extents: extents.length, immutable };
    } finally {
      sysClose(fd);
    }
  }

  /** /dev/<DEVNAME> of the filesystem's device, or M:m when /sys does not name it. */
  private async devicePath(devId: DevId): Promise<string> {
    const uevent = await readFile(join(this.root, 'sys', 'dev', 'block', `${devId.major}:${devId.minor}`, 'uevent'), 'utf8').catch(() => '');
    const name = /^DEVNAME=(.+)$/m.exec(uevent)?.[1];
    return name ? `/dev/${name}` : `${devId.major}:${devId.minor}`;
  }
}
