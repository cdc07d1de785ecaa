// FS_IOC_FIEMAP through ffi-rs: where a file's bytes lie on its filesystem's device, and
// statfs for the filesystem type. Only what the stretch service needs (spec §6.4).
import { NativeMemory, O_CLOEXEC, O_RDONLY, sysCall, sysClose, sysIoctl, sysOpen } from '../../control/kernel/native';
import { appError, errnoError } from '../../../shared/errors';

/** _IOWR('f', 11, struct fiemap) */
export const FS_IOC_FIEMAP = 0xC020660B;
export const FIEMAP_FLAG_SYNC = 0x1;
const HEADER = 32;
const EXTENT = 56;
const BATCH = 64;

export const FIEMAP_EXTENT = {
  LAST: 0x1, UNKNOWN: 0x2, DELALLOC: 0x4, ENCODED: 0x8, DATA_ENCRYPTED: 0x80, NOT_ALIGNED: 0x100,
  DATA_INLINE: 0x200, DATA_TAIL: 0x400, UNWRITTEN: 0x800, MERGED: 0x1000, SHARED: 0x2000,
} as const;

/** Flags that make an extent unusable as raw storage (SHARED: writing would change another file). */
const REJECT: [number, string][] = [
  [FIEMAP_EXTENT.UNKNOWN, 'unknown location'], [FIEMAP_EXTENT.DELALLOC, 'delayed allocation'],
  [FIEMAP_EXTENT.ENCODED, 'encoded'], [FIEMAP_EXTENT.DATA_ENCRYPTED, 'encrypted'],
  [FIEMAP_EXTENT.NOT_ALIGNED, 'not aligned'], [FIEMAP_EXTENT.DATA_INLINE, 'inline'],
  [FIEMAP_EXTENT.DATA_TAIL, 'packed tail'], [FIEMAP_EXTENT.SHARED, 'shared with another file'],
];

export interface Extent {
  logicalBytes: number;
  physicalBytes: number;
  lengthBytes: number;
  flags: number;
}

function u64(buf: Buffer, offset: number): number {
  const v = buf.readBigUInt64LE(offset);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw appError('EINTERNAL', `FIEMAP value ${v} exceeds the safe integer range`);
  return Number(v);
}

/** Throws EBADARG when an extent cannot serve as device sectors. */
export function checkExtent(e: Extent, path: string): void {
  for (const [flag, what] of REJECT) {
    if (e.flags & flag) throw appError('EBADARG', `${path}: an extent at byte ${e.logicalBytes} is ${what} (FIEMAP flags 0x${e.flags.toString(16)}): it cannot be used as difference storage`, { path });
  }
  for (const [value, what] of [[e.physicalBytes, 'physical offset'], [e.lengthBytes, 'length'], [e.logicalBytes, 'logical offset']] as const) {
    if (value % 512 !== 0) throw appError('EBADARG', `${path}: an extent's ${what} ${value} is not a multiple of 512 bytes`, { path });
  }
}

/**
 * Every extent of the open file `fd` covering [0, sizeBytes), asking again from the end of the
 * last extent until the size is covered. Extents are checked (checkExtent) and must leave no hole.
 */
export function fiemap(fd: number, sizeBytes: number, path: string, batch = BATCH): Extent[] {
  const out: Extent[] = [];
  let start = 0;
  const mem = new NativeMemory(HEADER + batch * EXTENT);
  try {
    while (start < sizeBytes) {
      const head = Buffer.alloc(HEADER);
      head.writeBigUInt64LE(BigInt(start), 0);
      head.writeBigUInt64LE(BigInt(sizeBytes - start), 8);
      head.writeUInt32LE(FIEMAP_FLAG_SYNC, 16);
      head.writeUInt32LE(batch, 24);
      mem.write(Buffer.concat([head, Buffer.alloc(batch * EXTENT)]));
      const res = sysIoctl(fd, FS_IOC_FIEMAP, mem.address);
      if (res.ret < 0) throw errnoError(res.errnoName ?? 'EIO', 'FS_IOC_FIEMAP', `cannot map the extents of ${path}`, { path });
      const buf = mem.read();
      const mapped = buf.readUInt32LE(20);
      if (mapped === 0) throw appError('EBADARG', `${path}: no extent from byte ${start} (the file has a hole)`, { path });
      let last = false;
      for (let i = 0; i < Math.min(mapped, batch); i++) {
        const o = HEADER + i * EXTENT;
        const e: Extent = { logicalBytes: u64(buf, o), physicalBytes: u64(buf, o + 8), lengthBytes: u64(buf, o + 16), flags: buf.readUInt32LE(o + 40) };
        checkExtent(e, path);
        const expected = out.length ? (out[out.length - 1] as Extent).logicalBytes + (out[out.length - 1] as Extent).lengthBytes : 0;
        if (e.logicalBytes !== expected && !(out.length === 0 && e.logicalBytes === start)) {
          throw appError('EBADARG', `${path}: hole between bytes ${expected} and ${e.logicalBytes}`, { path });
        }
        out.push(e);
        last = (e.flags & FIEMAP_EXTENT.LAST) !== 0;
      }
      const tail = out[out.length - 1] as Extent;
      start = tail.logicalBytes + tail.lengthBytes;
      if (last) break;
    }
  } finally {
    mem.free();
  }
  if (start < sizeBytes) throw appError('EBADARG', `${path}: extents cover ${start} of ${sizeBytes} bytes`, { path });
  return out;
}

/**
 * Extents clipped to the file size, as sector ranges, physically adjacent ones merged, then
 * trimmed to whole pages (`alignBytes`): the v1 module checks every range with
 * check_page_aligned, and a range that is only 512-aligned (ext4 with 1 KiB blocks) makes every
 * copy into it fail with EINVAL and the snapshot corrupted (spec §6.4, measured).
 */
export function extentsToRanges(extents: Extent[], sizeBytes: number, alignBytes = PAGE_BYTES): { offsetSectors: number; countSectors: number }[] {
  const merged: { startBytes: number; endBytes: number }[] = [];
  for (const e of extents) {
    const length = Math.min(e.lengthBytes, sizeBytes - e.logicalBytes);
    if (length <= 0) continue;
    const prev = merged[merged.length - 1];
    if (prev && prev.endBytes === e.physicalBytes) prev.endBytes += length;
    else merged.push({ startBytes: e.physicalBytes, endBytes: e.physicalBytes + length });
  }
  const ranges: { offsetSectors: number; countSectors: number }[] = [];
  for (const m of merged) {
    const start = Math.ceil(m.startBytes / alignBytes) * alignBytes;
    const end = Math.floor(m.endBytes / alignBytes) * alignBytes;
    if (end > start) ranges.push({ offsetSectors: start / 512, countSectors: (end - start) / 512 });
  }
  return ranges;
}

/** The alignment the v1 module demands of every storage range (PAGE_SIZE on x86_64). */
export const PAGE_BYTES = 4096;

/** statfs(2) f_type of the filesystem holding `path`. */
export function filesystemType(path: string): number {
  const mem = new NativeMemory(120);
  try {
    const res = sysCall('statfs', [{ kind: 'string', value: path }, { kind: 'ptr', value: mem.address }]);
    if (res.ret < 0) throw errnoError(res.errnoName ?? 'EIO', 'statfs', `cannot tell the filesystem of ${path}`, { path });
    return Number(mem.read(8).readBigInt64LE(0));
  } finally {
    mem.free();
  }
}

/** FS_IOC_GETFLAGS / FS_IOC_SETFLAGS (the kernel reads an int) and FS_IMMUTABLE_FL. */
export const FS_IOC_GETFLAGS = 0x80086601;
export const FS_IOC_SETFLAGS = 0x40086602;
export const FS_IMMUTABLE_FL = 0x10;

/**
 * Sets or clears the immutable attribute of an open file: an immutable storage file cannot be
 * deleted, moved or defragmented (EXT4_IOC_MOVE_EXT, xfs_fsr refuse it) while the module
 * writes into its sectors. Needs CAP_LINUX_IMMUTABLE.
 */
export function setImmutable(fd: number, on: boolean, path: string): void {
  const mem = new NativeMemory(8);
  try {
    const get = sysIoctl(fd, FS_IOC_GETFLAGS, mem.address);
    if (get.ret < 0) throw errnoError(get.errnoName ?? 'EIO', 'FS_IOC_GETFLAGS', `cannot read the attributes of ${path}`, { path });
    const flags = mem.read(4).readUInt32LE(0);
    const wanted = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
    if (wanted === flags) return;
    const b = Buffer.alloc(8);
    b.writeUInt32LE(wanted >>> 0, 0);
    mem.write(b);
    const set = sysIoctl(fd, FS_IOC_SETFLAGS, mem.address);
    if (set.ret < 0) throw errnoError(set.errnoName ?? 'EIO', 'FS_IOC_SETFLAGS', `cannot ${on ? 'set' : 'clear'} the immutable attribute of ${path}`, { path });
  } finally {
    mem.free();
  }
}

/** Clears the immutable attribute by path (before deleting a storage file). */
export function clearImmutable(path: string): void {
  const opened = sysOpen(path, O_RDONLY | O_CLOEXEC);
  if (opened.ret < 0) throw errnoError(opened.errnoName ?? 'EIO', 'open', `cannot open ${path}`, { path });
  try {
    setImmutable(opened.ret, false, path);
  } finally {
    sysClose(opened.ret);
  }
}
