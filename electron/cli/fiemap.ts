// `markdirtyblock --file`: the file's extents on its filesystem's device, as the upstream tool
// finds them (FS_IOC_FIEMAP from offset 0 until the file size is covered; device
// /dev/block/<major>:<minor> of st_dev; extents not on a sector boundary refused).
import { stat } from 'node:fs/promises';
import { appError, errnoError, isErrnoName, type ErrnoName } from '../../shared/errors';
import type { SectorRange } from '../../shared/schemas';
import { IOWR } from '../control/kernel/ioc';
import { O_LARGEFILE, O_RDONLY, sysClose, sysIoctl, sysOpen, withNative, ffiAvailable } from '../control/kernel/native';

const FIEMAP_HEADER_BYTES = 32;
const FIEMAP_EXTENT_BYTES = 56;
const EXTENTS_PER_CALL = 500;
const FS_IOC_FIEMAP = IOWR(0x66, 11, FIEMAP_HEADER_BYTES); // 0xC020660B
const O_EXCL = 0o200;

/** Linux dev_t → major:minor (glibc's gnu_dev_major/minor). */
export function splitDev(dev: bigint): { major: number; minor: number } {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return { major, minor };
}

function fail(name: ErrnoName | null, errno: number, what: string, file: string): never {
  if (name) throw errnoError(name, 'markdirtyblock --file', what, { file });
  throw appError('EINTERNAL', `${what} (errno ${errno})`, { file });
}

export async function fileExtents(
  file: string,
  onDevice: (devicePath: string) => void,
): Promise<{ device: string; ranges: SectorRange[] }> {
  let size: bigint;
  let dev: bigint;
  try {
    const st = await stat(file, { bigint: true });
    size = st.size;
    dev = st.dev;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw errnoError(isErrnoName(code) ? code : 'EIO', 'markdirtyblock --file', 'Failed to get file size.', { file });
  }
  const { major, minor } = splitDev(dev);
  const device = `/dev/block/${major}:${minor}`;
  onDevice(device);
  if (!ffiAvailable()) throw appError('EUNSUPPORTED', 'markdirtyblock --file needs FS_IOC_FIEMAP through ffi-rs, which could not be loaded', { file });
  const opened = sysOpen(file, O_RDONLY | O_EXCL | O_LARGEFILE);
  if (opened.ret < 0) fail(opened.errnoName, opened.errno, 'Failed to open file.', file);
  const fd = opened.ret;
  try {
    const ranges = await withNative([FIEMAP_HEADER_BYTES + FIEMAP_EXTENT_BYTES * EXTENTS_PER_CALL], ([mem]) => {
      const out: SectorRange[] = [];
      let fileOffset = 0n;
      while (fileOffset < size) {
        const head = Buffer.alloc(FIEMAP_HEADER_BYTES);
        head.writeBigUInt64LE(fileOffset, 0);
        head.writeBigUInt64LE(size - fileOffset, 8);
        head.writeUInt32LE(EXTENTS_PER_CALL, 24);
        mem!.write(head);
        const r = sysIoctl(fd, FS_IOC_FIEMAP, mem!.address);
        if (r.ret < 0) fail(r.errnoName, r.errno, 'Failed to call FS_IOC_FIEMAP.', file);
        const mapped = mem!.read(4, 20).readUInt32LE(0);
        if (mapped === 0) break;
        const extents = mem!.read(FIEMAP_EXTENT_BYTES * mapped, FIEMAP_HEADER_BYTES);
        for (let i = 0; i < mapped; i++) {
          const at = i * FIEMAP_EXTENT_BYTES;
          const logical = extents.readBigUInt64LE(at);
          const physical = extents.readBigUInt64LE(at + 8);
          const length = extents.readBigUInt64LE(at + 16);
          if (physical % 512n !== 0n) fail('EINVAL', 22, 'File location is not ordered by sector size.', file);
          out.push({ offsetSectors: Number(physical / 512n), countSectors: Number(length / 512n) });
          fileOffset = logical + length;
        }
      }
      return out;
    });
    return { device, ranges };
  } finally {
    sysClose(fd);
  }
}
