// The difference storage of one snapshot (spec §3.6, §5.3, §6.4). Chunks are placed at
// "storage sectors": for file, directory and block storage the sector in that file or device;
// for range storage a position in the concatenation of the appended ranges.
import * as fs from 'node:fs';
import type { StorageMode } from '../../../shared/schemas';
import { FileIo, SECTOR, type BlockIo, type FileRange } from './device';
import { fileHints } from './file-hints';

export interface StorageRange {
  /** An emulated device path (/dev/<name>) or a regular file path. */
  target: string;
  startSector: number;
  countSectors: number;
  /** Storage sector at which this range starts. */
  virtualStart: number;
}

/** An open handle the storage writes to; owned files are closed with the storage. */
export interface StorageTarget { io: BlockIo; capacitySectors: number; owned: FileIo | null }

export interface StoragePolicy {
  /** diff_storage_minimum at create, in sectors. */
  minimum: number;
  /** Path storage at the limit: emit no_space (lk6.15, VAL-13) or only log (VAL-7.0). */
  noSpaceEvent: boolean;
  /** 'v1': the module has no limit, the ranges decide overflow; 'val': VAL-7.0/13 range mode. */
  rangeFlavour: 'v1' | 'val';
  /** VAL-7.0 (measured): no low_free_space after the create-time one. */
  rangeLaterEpisodes: boolean;
}

/** How a storage write or read failed, as the module's corrupted event carries it. */
export type StorageFailure = 'ENOSPC' | 'EIO';

export type StorageEvent = { kind: 'no_space' | 'low_free_space'; requestedSectors: number };

export interface StorageState {
  mode: StorageMode;
  /** File, device or directory-created file path; null in range mode. */
  path: string | null;
  /** A file the storage created (directory mode) and deletes at release. */
  ownedFile: boolean;
  limit: number;
  requested: number;
  capacity: number;
  filled: number;
  overflow: boolean;
  lowSpaceFlag: boolean;
  ranges: StorageRange[];
  /** Storage sectors from here on were never written (a fresh or extended file): they read as zeros. */
  zeroFrom?: number;
}

export class DiffStorage {
  constructor(
    readonly state: StorageState,
    readonly policy: StoragePolicy,
    private readonly targets: Map<string, StorageTarget>,
  ) {}

  get mode(): StorageMode {
    return this.state.mode;
  }

  /** Allocates one chunk; null means overflow (sticky ENOSPC). Events of the growth check follow. */
  allocate(chunkSectors: number, events: StorageEvent[]): number | null {
    const s = this.state;
    if (s.overflow) return null;
    let at: number | null;
    if (s.mode === 'ranges') at = this.allocateInRanges(chunkSectors);
    else if (s.filled + chunkSectors > s.requested) at = null;
    else {
      at = s.filled;
      s.filled += chunkSectors;
    }
    if (at === null) {
      s.overflow = true;
      return null;
    }
    this.afterAllocation(events);
    return at;
  }

  private allocateInRanges(chunkSectors: number): number | null {
    const s = this.state;
    if (this.policy.rangeFlavour === 'val' && s.filled + chunkSectors > s.requested) return null;
    for (const r of s.ranges) {
      const end = r.virtualStart + r.countSectors;
      if (s.filled >= end) continue;
      if (s.filled < r.virtualStart) s.filled = r.virtualStart;
      if (s.filled + chunkSectors <= end) {
        const at = s.filled;
        s.filled += chunkSectors;
        return at;
      }
      s.filled = end; // the rest of a range too small for the chunk counts as used
    }
    return null;
  }

  private afterAllocation(events: StorageEvent[]): void {
    const s = this.state;
    const min = this.policy.minimum;
    if (s.lowSpaceFlag) return;
    if (s.mode === 'ranges') {
      if (this.policy.rangeFlavour === 'v1') {
        const threshold = Math.floor(min / 2 / 8) * 8; // minimum/2 in whole 4 KiB pages
        if (s.requested - s.filled > threshold) return;
        s.lowSpaceFlag = true;
        s.requested += min;
        events.push({ kind: 'low_free_space', requestedSectors: min });
        return;
      }
      if (s.requested - s.filled > min / 2 || !this.policy.rangeLaterEpisodes) return;
      s.lowSpaceFlag = true;
      if (s.requested < s.limit) {
        const portion = Math.min(min, s.limit - s.requested);
        s.requested += portion;
        events.push({ kind: 'low_free_space', requestedSectors: portion });
      }
      return;
    }
    if (s.requested - s.filled > min / 2) return;
    s.lowSpaceFlag = true;
    if (s.mode === 'block') return; // block storage never grows: a log line only
    if (s.capacity < s.limit) {
      s.requested += Math.min(min, s.limit - s.capacity);
      // A failed fallocate of the worker is only logged and leaves the flag set (spec §3.6).
      if (this.growFile(s.requested)) s.lowSpaceFlag = false;
      return;
    }
    if (this.policy.noSpaceEvent) events.push({ kind: 'no_space', requestedSectors: s.requested });
  }

  /** The fallocate of the growth worker; false when the file system refused it (ENOSPC, EOPNOTSUPP). */
  growFile(sectors: number): boolean {
    const t = this.fileTarget();
    if (!t) return false;
    try {
      const r = t.owned ? fileHints.preallocate(t.owned.fd, sectors * SECTOR) : 'allocated';
      if (r !== 'allocated' && r !== 'sparse') return false;
    } catch {
      return false;
    }
    this.state.capacity = sectors;
    t.capacitySectors = sectors;
    return true;
  }

  /** APPEND_STORAGE: ranges join the free list; the low-space flag clears once capacity ≥ requested. */
  append(target: string, handle: StorageTarget, ranges: { offsetSectors: number; countSectors: number }[]): void {
    const s = this.state;
    if (!this.targets.has(target)) this.targets.set(target, handle);
    else handle.owned?.close();
    let virtualEnd = s.ranges.reduce((end, r) => Math.max(end, r.virtualStart + r.countSectors), 0);
    for (const r of ranges) {
      s.ranges.push({ target, startSector: r.offsetSectors, countSectors: r.countSectors, virtualStart: virtualEnd });
      virtualEnd += r.countSectors;
      s.capacity += r.countSectors;
    }
    if (s.capacity >= s.requested) s.lowSpaceFlag = false;
  }

  /** Whether [storageSector, +sectors) still reads as zeros, so copying a zero chunk there can be skipped. */
  knownZero(storageSector: number): boolean {
    return this.state.zeroFrom !== undefined && storageSector >= this.state.zeroFrom;
  }

  /**
   * Writes bytes at a storage sector (across ranges); the errno name when the target cannot take
   * them (ENOSPC from a full file system, EIO otherwise). Never throws: a storage failure loses
   * the snapshot, never the write to the original that caused the copy (spec §3.5, §3.6).
   */
  write(storageSector: number, data: Uint8Array): StorageFailure | null {
    return this.pieces(storageSector, data, (io, piece, at) => {
      io.writeFrom(piece, at);
      io.startWriteback(at, piece.length); // the module writes its copies to the disk at once
    });
  }

  /**
   * Copies bytes from a file range to a storage sector in the kernel (copy_file_range) and starts
   * their write-back; false when that cannot be done here (the caller reads and writes instead).
   */
  copyFromFile(src: FileRange, storageSector: number, bytes: number): boolean {
    const loc = this.locate(storageSector);
    if (!loc || loc.maxBytes < bytes) return false;
    const dst = loc.io.fileRange(loc.offsetBytes, bytes);
    if (!dst || !fileHints.copyRange(src.fd, src.offsetBytes, dst.fd, dst.offsetBytes, bytes)) return false;
    loc.io.startWriteback(loc.offsetBytes, bytes);
    return true;
  }

  read(storageSector: number, into: Uint8Array): StorageFailure | null {
    return this.pieces(storageSector, into, (io, piece, at) => io.readInto(piece, at));
  }

  /**
   * Gives back slots from `storageSector` on (a failed copy). A failed write may have reached part
   * of them, so they no longer count as never written: a zero chunk placed there later is stored,
   * not skipped (knownZero).
   */
  unallocateFrom(storageSector: number): void {
    const s = this.state;
    if (storageSector >= s.filled) return;
    if (s.zeroFrom !== undefined) s.zeroFrom = Math.max(s.zeroFrom, s.filled);
    s.filled = storageSector;
  }

  private pieces(storageSector: number, buf: Uint8Array, fn: (io: BlockIo, piece: Uint8Array, offsetBytes: number) => void): StorageFailure | null {
    let done = 0;
    while (done < buf.length) {
      const loc = this.locate(storageSector + done / SECTOR);
      if (!loc) return 'EIO';
      const len = Math.min(buf.length - done, loc.maxBytes);
      try {
        fn(loc.io, buf.subarray(done, done + len), loc.offsetBytes);
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ENOSPC' || (err as NodeJS.ErrnoException).code === 'EDQUOT' ? 'ENOSPC' : 'EIO';
      }
      done += len;
    }
    return null;
  }

  /** Where a storage sector lives and how many bytes follow it in the same place. */
  private locate(storageSector: number): { io: BlockIo; offsetBytes: number; maxBytes: number } | null {
    if (this.state.mode !== 'ranges') {
      const t = this.fileTarget();
      if (!t) return null;
      if (this.state.mode !== 'block') return { io: t.io, offsetBytes: storageSector * SECTOR, maxBytes: Number.MAX_SAFE_INTEGER };
      // Block storage: chunks placed past the device's end fail (§3.6).
      if (storageSector >= t.capacitySectors) return null;
      return { io: t.io, offsetBytes: storageSector * SECTOR, maxBytes: (t.capacitySectors - storageSector) * SECTOR };
    }
    for (const r of this.state.ranges) {
      if (storageSector >= r.virtualStart && storageSector < r.virtualStart + r.countSectors) {
        const t = this.targets.get(r.target);
        if (!t) return null;
        const within = storageSector - r.virtualStart;
        return { io: t.io, offsetBytes: (r.startSector + within) * SECTOR, maxBytes: (r.countSectors - within) * SECTOR };
      }
    }
    return null;
  }

  private fileTarget(): StorageTarget | undefined {
    return this.state.path === null ? undefined : this.targets.get(this.state.path);
  }

  targetPaths(): string[] {
    return [...this.targets.keys()];
  }

  /** Closes owned handles; a directory-mode file vanishes (the O_TMPFILE is released). */
  release(): void {
    for (const t of this.targets.values()) t.owned?.close();
    this.targets.clear();
    if (this.state.ownedFile && this.state.path) fs.rmSync(this.state.path, { force: true });
  }

  /** Closes handles without deleting anything (emulator shutdown; the snapshot persists). */
  close(): void {
    for (const t of this.targets.values()) t.owned?.close();
    this.targets.clear();
  }
}
