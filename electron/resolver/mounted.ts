// The mounted filesystem of a device: walk it and ask FS_IOC_FIEMAP where each file's bytes
// lie (physical offsets are the filesystem device's). Live: files may change while the walk
// runs, so the answer may race with writes. Bounded by time and file count; cancellable.
import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChangedFile } from '../../shared/changedFiles';
import { NativeMemory, O_CLOEXEC, O_RDONLY, ffiAvailable, sysClose, sysIoctl, sysOpen } from '../control/kernel/native';
import { FIEMAP_EXTENT, FS_IOC_FIEMAP } from '../service/stretch/fiemap';
import { appError } from '../../shared/errors';
import type { FsSink } from './sink';

const HEADER = 32;
const EXTENT = 56;
const BATCH = 256;
const O_NOFOLLOW = 0o400000;
const O_NONBLOCK = 0o4000;
/** Extents that have no place on the device (yet): delayed allocation, inline data, unknown. */
const NOT_ON_DEVICE = FIEMAP_EXTENT.UNKNOWN | FIEMAP_EXTENT.DELALLOC | FIEMAP_EXTENT.DATA_INLINE | FIEMAP_EXTENT.NOT_ALIGNED;

export interface WalkLimits {
  maxFiles: number;
  maxMs: number;
}

export interface WalkResult {
  files: number;
  /** Why the walk stopped early, or null when it covered the filesystem. */
  stoppedBecause: string | null;
}

/** Extents of an open file, tolerant of holes; physical bytes, flat [start, length, ...]. */
export function fileExtents(fd: number, mem: NativeMemory): number[] {
  const out: number[] = [];
  let start = 0n;
  for (;;) {
    const head = Buffer.alloc(HEADER);
    head.writeBigUInt64LE(start, 0);
    head.writeBigUInt64LE(0xffff_ffff_ffff_ffffn - start, 8);
    head.writeUInt32LE(BATCH, 24);
    mem.write(head);
    const res = sysIoctl(fd, FS_IOC_FIEMAP, mem.address);
    if (res.ret < 0) return out;
    const mapped = mem.read(4, 20).readUInt32LE(0);
    if (mapped === 0) return out;
    const buf = mem.read(EXTENT * mapped, HEADER);
    let last = false;
    for (let i = 0; i < mapped; i++) {
      const o = i * EXTENT;
      const logical = buf.readBigUInt64LE(o);
      const physical = Number(buf.readBigUInt64LE(o + 8));
      const length = buf.readBigUInt64LE(o + 16);
      const flags = buf.readUInt32LE(o + 40);
      if ((flags & NOT_ON_DEVICE) === 0) out.push(physical, Number(length));
      last = (flags & FIEMAP_EXTENT.LAST) !== 0;
      start = logical + length;
    }
    if (last || mapped < BATCH) return out;
  }
}

export async function scanMounted(mountPoint: string, sink: FsSink, limits: WalkLimits): Promise<WalkResult> {
  if (!ffiAvailable()) throw appError('EUNSUPPORTED', 'the mounted source needs FS_IOC_FIEMAP through ffi-rs, which could not be loaded');
  const rootDev = (await lstat(mountPoint)).dev;
  const startedAt = Date.now();
  const mem = new NativeMemory(HEADER + BATCH * EXTENT);
  const phase = `walking ${mountPoint} (FIEMAP)`;
  let files = 0;
  let stoppedBecause: string | null = null;
  const pending: string[] = ['/'];
  try {
    const visit = async (rel: string, kind: ChangedFile['kind']) => {
      const full = join(mountPoint, rel);
      files++;
      const opened = sysOpen(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
      if (opened.ret < 0) return;
      let extents: number[];
      try {
        extents = fileExtents(opened.ret, mem);
      } finally {
        sysClose(opened.ret);
      }
      if (extents.length === 0 || sink.file(rel, kind, null, null, extents) === 0) return;
      const st = await lstat(full).catch(() => null);
      if (st) sink.update(rel, { sizeBytes: st.size, mtimeMs: st.mtimeMs });
    };
    while (pending.length > 0) {
      const dir = pending.pop()!;
      await visit(dir, 'directory');
      const handle = await opendir(join(mountPoint, dir)).catch(() => null);
      if (!handle) continue;
      for await (const entry of handle) {
        if (sink.signal.aborted) return { files, stoppedBecause: 'cancelled' };
        if (files >= limits.maxFiles) stoppedBecause = `stopped after ${limits.maxFiles} files (the limit)`;
        else if (Date.now() - startedAt > limits.maxMs) stoppedBecause = `stopped after ${Math.round(limits.maxMs / 1000)} s (the limit)`;
        if (stoppedBecause) return { files, stoppedBecause };
        const rel = dir === '/' ? `/${entry.name}` : `${dir}/${entry.name}`;
        if (entry.isDirectory()) {
          const st = await lstat(join(mountPoint, rel)).catch(() => null);
          if (st && st.dev === rootDev) pending.push(rel);
        } else if (entry.isFile()) {
          await visit(rel, 'file');
        }
        if ((files & 0x3ff) === 0) sink.progress(phase, files, null);
      }
    }
  } finally {
    mem.free();
  }
  sink.progress(phase, files, files);
  return { files, stoppedBecause };
}
