// File-system calls Node has no binding for, through ffi-rs (libc), for the difference storage:
// - fallocate: the module preallocates its storage file when it is handed over and when a
//   worker grows it (spec §3.6), on every file system, tmpfs included (there it takes memory, as
//   the module's does), and a refusal is the module's answer too (EOPNOTSUPP on ramfs, ENOSPC on
//   a full file system). Copies then land in blocks that already exist, which on a disk file
//   system costs less at write and at flush time than filling a sparse file.
// - sync_file_range(SYNC_FILE_RANGE_WRITE): the module writes its copies straight to the disk
//   (direct I/O) before the original's write goes on; the emulator writes them through the page
//   cache, where they would wait for the next flush and then reach the disk in one burst with the
//   original's data. Starting their write-back at once lets the disk work while the writes go on.
//   It never waits for the disk and changes no byte.
// - copy_file_range: a copy-on-write moves its chunks from the device file to the storage file in
//   the kernel, without a trip through this process's memory (for 1 MiB runs a third to a half of
//   the CPU time of a read and a write here; about equal for 256 KiB); lseek(SEEK_DATA) tells a
//   hole of the device (nothing to copy) without reading it. Both only on files whose file
//   systems are known to answer them right (KERNEL_COPY_FS; BlockIo.fileRange decides): OpenZFS
//   before 2.2.2 could report data in dirty pages as a hole, and its 2.2.0 block cloning copied
//   wrong bytes; a copy run elsewhere reads, compares with zeros and writes, which any file
//   system serves.
// Where ffi-rs cannot be loaded, or fallocate itself is missing for this process (ENOSYS: a
// seccomp filter, an emulation layer), the emulator cannot ask what the file system would answer
// the module: the file is only sized (sparse, ftruncate), with no write-back hint and copies by
// read and write (README: differences from the module). All are used through `fileHints`, which
// tests may replace.
import * as fs from 'node:fs';
import { errnoName, type ErrnoName } from '../../../shared/errors';
import { ffiModule } from '../kernel/native';
import { BTRFS_MAGIC, EXT4_MAGIC, TMPFS_MAGIC, XFS_MAGIC } from '../fsMagic';

const SYNC_FILE_RANGE_WRITE = 2;
const SEEK_SET = 0;
const SEEK_DATA = 3;
const ENXIO = 6;
const ENOSYS = 38;
const EDQUOT = 122;
/**
 * statfs f_type of the file systems whose SEEK_DATA and copy_file_range answers are trusted: the
 * local ones the project runs on and whose hole reporting has no known data-losing bug.
 */
export const KERNEL_COPY_FS: ReadonlySet<number> = new Set([EXT4_MAGIC, XFS_MAGIC, BTRFS_MAGIC, TMPFS_MAGIC]);

type Call = (args: number[]) => { value: number; errnoCode: number };
interface Libc { fallocate: Call; syncFileRange: Call; lseek: Call; copyFileRange: Call }

/** undefined: not tried yet; null: ffi-rs is not available here. */
let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  // The offsets are declared as 64-bit (off_t on 64-bit Linux); on a 32-bit process they would
  // land in the wrong argument slots, so the plain file calls serve there.
  if (!['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64'].includes(process.arch)) {
    libc = null;
    return libc;
  }
  try {
    const ffi = ffiModule();
    const D = ffi.DataType;
    const fns = ffi.define({
      fallocate: { library: 'libc', retType: D.I32, paramsType: [D.I32, D.I32, D.I64, D.I64], errno: true as const },
      sync_file_range: { library: 'libc', retType: D.I32, paramsType: [D.I32, D.I64, D.I64, D.I32], errno: true as const },
      lseek: { library: 'libc', retType: D.I64, paramsType: [D.I32, D.I64, D.I32], errno: true as const },
      // The two offset pointers are passed as NULL (0): the copy starts at the files' positions, set by lseek.
      copy_file_range: { library: 'libc', retType: D.I64, paramsType: [D.I32, D.I64, D.I32, D.I64, D.I64, D.I32], errno: true as const },
    });
    libc = {
      fallocate: fns.fallocate as unknown as Call, syncFileRange: fns.sync_file_range as unknown as Call,
      lseek: fns.lseek as unknown as Call, copyFileRange: fns.copy_file_range as unknown as Call,
    };
  } catch {
    libc = null;
  }
  return libc;
}

/** How a preallocation ended: blocks reserved, only the size set (sparse), or the errno of a refusal. */
export type PreallocateResult = 'allocated' | 'sparse' | ErrnoName;

/**
 * What a fallocate's errno means for the storage: ENOSYS (the call is missing for this process,
 * not refused by the file system) leaves the emulator only the size to set; every other errno is
 * the refusal the module would get from its vfs_fallocate, EDQUOT named ENOSPC (the error table
 * has no EDQUOT; a full quota is no space to the module's caller too).
 */
export function fallocateOutcome(errnoCode: number): 'sparse' | ErrnoName {
  if (errnoCode === ENOSYS) return 'sparse';
  if (errnoCode === EDQUOT) return 'ENOSPC';
  return errnoName(errnoCode) ?? 'EIO';
}

export const fileHints = {
  /**
   * Makes the file at least `bytes` long with its blocks reserved (fallocate mode 0: existing data
   * is kept), on every file system as the module does: tmpfs takes the memory, ramfs answers
   * EOPNOTSUPP, a full file system or quota ENOSPC. A refusal is returned with the size left as it
   * was. Only where the call cannot be made (no ffi-rs, ENOSYS) is the file just sized: 'sparse'.
   */
  preallocate(fd: number, bytes: number): PreallocateResult {
    const before = fs.fstatSync(fd).size;
    if (before >= bytes) return 'allocated';
    const c = loadLibc();
    const r = c?.fallocate([fd, 0, 0, bytes]);
    if (r?.value === 0) return 'allocated';
    const outcome = r ? fallocateOutcome(r.errnoCode) : 'sparse';
    if (outcome === 'sparse') {
      fs.ftruncateSync(fd, bytes);
      return 'sparse';
    }
    // ext4 keeps what it managed to allocate before ENOSPC and grows the file to it: a file the
    // user handed us goes back to its own size (its bytes below that are untouched).
    if (fs.fstatSync(fd).size > before) fs.ftruncateSync(fd, before);
    return outcome;
  },

  /** Asks the kernel to start writing [offsetBytes, +lengthBytes) of `fd` to the disk; returns at once. */
  startWriteback(fd: number, offsetBytes: number, lengthBytes: number): void {
    if (lengthBytes <= 0) return;
    loadLibc()?.syncFileRange([fd, offsetBytes, lengthBytes, SYNC_FILE_RANGE_WRITE]);
  },

  /**
   * Copies `bytes` from (inFd, inOffset) to (outFd, outOffset) in the kernel. false when it could
   * not copy all of them (no ffi-rs, a file system or pair of files it does not serve, an early
   * end, any error): the caller then reads and writes, which reports a real error as before.
   * Moves both files' positions (the emulator's other I/O is positional).
   */
  copyRange(inFd: number, inOffset: number, outFd: number, outOffset: number, bytes: number): boolean {
    const c = loadLibc();
    if (!c) return false;
    for (let done = 0; done < bytes;) {
      if (c.lseek([inFd, inOffset + done, SEEK_SET]).value < 0 || c.lseek([outFd, outOffset + done, SEEK_SET]).value < 0) return false;
      const r = c.copyFileRange([inFd, 0, outFd, 0, bytes - done, 0]);
      if (r.value <= 0) return false;
      done += r.value;
    }
    return true;
  },

  /** Whether [offsetBytes, +lengthBytes) of `fd` holds no data (a hole of a sparse file); false when unknown. */
  isHole(fd: number, offsetBytes: number, lengthBytes: number): boolean {
    const c = loadLibc();
    if (!c) return false;
    const r = c.lseek([fd, offsetBytes, SEEK_DATA]);
    if (r.value >= 0) return r.value >= offsetBytes + lengthBytes;
    return r.errnoCode === ENXIO; // no data at or after the offset
  },

  /**
   * Whether `fd`'s file system is on KERNEL_COPY_FS (false when it cannot be told). Asked once per
   * open file by its owner (BlockIo.fileRange hands isHole and copyRange only such files' ranges).
   */
  trustsKernelCopy(fd: number): boolean {
    try {
      return KERNEL_COPY_FS.has(Number(fs.statfsSync(`/proc/self/fd/${fd}`).type));
    } catch {
      return false; // a bad fd or no /proc: unknown, so the plain path
    }
  },

  /** Whether the calls reach the kernel here (false: ffi-rs missing, sparse files and no hint). */
  available(): boolean {
    return loadLibc() !== null;
  },
};
