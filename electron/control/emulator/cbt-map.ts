// The CBT map of one tracker (spec §3.3), persisted in one file:
//   header (64 bytes) | write map (blockCount bytes) | read map (blockCount bytes).
// Per-write updates pwrite only the write-map bytes that changed, before the data is written
// (so after a crash the map marks a superset of what reached the device); a take rewrites the
// whole file and renames it into place, so numbers, generation and maps switch together.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import type { ModuleParameters } from '../../../shared/schemas';
import { trackingBlockShift } from './parameters';
import { uuidFromBytes, uuidToBytes } from '../uuid';

const MAGIC = 0x54424342; // "BCBT"
const HEADER_BYTES = 64;

export type DirtyResult = { ok: true } | { ok: false; reason: 'corrupted' | 'past-end'; rangeIndex: number };

export class CbtMap {
  /** Identity of the tracker that owns this map: a snapshot's area keeps COW only with it. */
  readonly trackerId: number;
  blockShift: number;
  capacityBytes: number;
  blockCount: number;
  previous: number;
  active: number;
  generation: string;
  /** A write past the map's end (the device grew while tracked): CBTMAP EFAULT, no COW. */
  corrupted: boolean;
  writeMap: Uint8Array;
  readMap: Uint8Array;
  private fd: number;
  /** Write-map blocks at the active number: kept as the write map changes, so a device summary does not scan 2 MiB. */
  private pending = 0;

  private constructor(private readonly path: string, trackerId: number, fd: number) {
    this.trackerId = trackerId;
    this.fd = fd;
    this.blockShift = 16;
    this.capacityBytes = 0;
    this.blockCount = 0;
    this.previous = 0;
    this.active = 1;
    this.generation = randomUUID();
    this.corrupted = false;
    this.writeMap = new Uint8Array(0);
    this.readMap = new Uint8Array(0);
  }

  /** At attach: both maps 0, previous 0, active 1, a random generation. */
  static create(path: string, trackerId: number, capacityBytes: number, p: ModuleParameters): CbtMap {
    const map = new CbtMap(path, trackerId, -1);
    map.resetTo(capacityBytes, p);
    map.persistWhole();
    return map;
  }

  /** Reopens a persisted map; null if the file is missing or not a complete map. */
  static open(path: string): CbtMap | null {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path);
    } catch {
      return null;
    }
    if (bytes.length < HEADER_BYTES) return null;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.getUint32(0, true) !== MAGIC) return null;
    const blockCount = view.getUint32(24, true);
    if (bytes.length !== HEADER_BYTES + 2 * blockCount) return null;
    const map = new CbtMap(path, view.getUint32(4, true), fs.openSync(path, 'r+'));
    map.blockShift = view.getUint32(8, true);
    map.capacityBytes = view.getFloat64(16, true);
    map.blockCount = blockCount;
    map.previous = bytes[28] ?? 0;
    map.active = bytes[29] ?? 1;
    map.corrupted = bytes[30] === 1;
    map.generation = uuidFromBytes(bytes.subarray(32, 48));
    map.writeMap = new Uint8Array(bytes.subarray(HEADER_BYTES, HEADER_BYTES + blockCount));
    map.readMap = new Uint8Array(bytes.subarray(HEADER_BYTES + blockCount));
    map.pending = map.countPending();
    return map;
  }

  get blockSizeBytes(): number {
    return 2 ** this.blockShift;
  }

  /** Blocks written since the last take: the write map at the active number (the read map shows them after the next take). */
  pendingBlocks(): number {
    return this.pending;
  }

  /** pendingBlocks by its definition: one pass over the write map (at open and take; kept in setRange between). */
  private countPending(): number {
    let blocks = 0;
    const { writeMap, active } = this;
    for (let i = 0; i < writeMap.length; i++) if (writeMap[i] === active) blocks++;
    return blocks;
  }

  /** Blocks [first, last] touched by sectors [start, start+count); last may be ≥ blockCount. */
  blockSpan(startSector: number, countSectors: number): [number, number] {
    const perBlock = 2 ** (this.blockShift - 9);
    return [Math.floor(startSector / perBlock), Math.floor((startSector + countSectors - 1) / perBlock)];
  }

  /** A write to the original: raises the touched write-map blocks to the active number. */
  markWrite(startSector: number, countSectors: number): boolean {
    if (this.corrupted) return false;
    const [first, last] = this.blockSpan(startSector, countSectors);
    if (last >= this.blockCount) {
      this.corrupted = true;
      this.persistHeader();
      return false;
    }
    this.setRange(this.writeMap, first, last, this.active, HEADER_BYTES);
    return true;
  }

  /** Image writes and CBTDIRTY: write map ← active, then read map ← previous. */
  markBoth(startSector: number, countSectors: number): void {
    const [first, last] = this.blockSpan(startSector, countSectors);
    this.setRange(this.writeMap, first, Math.min(last, this.blockCount - 1), this.active, HEADER_BYTES);
    this.setRange(this.readMap, first, Math.min(last, this.blockCount - 1), this.previous, HEADER_BYTES + this.blockCount);
  }

  /**
   * CBTDIRTY as the module does it: per range in order, write map then read map. The failing
   * range leaves its write-map marks up to the map's end; earlier ranges stay. Count 0 follows
   * the kernel's arithmetic: last block = (offset + count − 1) >> shift, which wraps at sector 0.
   */
  markDirty(ranges: { offsetSectors: number; countSectors: number }[]): DirtyResult {
    if (this.corrupted) return { ok: false, reason: 'corrupted', rangeIndex: 0 };
    for (let i = 0; i < ranges.length; i++) {
      const { offsetSectors, countSectors } = ranges[i] as { offsetSectors: number; countSectors: number };
      const wraps = offsetSectors + countSectors === 0;
      const [first, lastRaw] = this.blockSpan(offsetSectors, countSectors);
      const last = wraps ? Number.MAX_SAFE_INTEGER : lastRaw;
      if (last < first) continue;
      this.setRange(this.writeMap, first, Math.min(last, this.blockCount - 1), this.active, HEADER_BYTES);
      if (last >= this.blockCount) return { ok: false, reason: 'past-end', rangeIndex: i };
      this.setRange(this.readMap, first, last, this.previous, HEADER_BYTES + this.blockCount);
    }
    return { ok: true };
  }

  /**
   * The switch at take (§3.3; v1 §6.3). Returns true when the map was reset first (corrupted or
   * capacity changed).
   */
  switchAtTake(capacityBytes: number, p: ModuleParameters, copyBeforeIncrement: boolean): boolean {
    const reset = this.corrupted || capacityBytes !== this.capacityBytes;
    if (reset) this.resetTo(capacityBytes, p);
    if (copyBeforeIncrement) this.readMap.set(this.writeMap);
    this.previous = this.active;
    this.active += 1;
    if (this.active === 256) {
      this.active = 1;
      this.writeMap.fill(0);
      this.generation = randomUUID();
    } else if (!copyBeforeIncrement) {
      this.readMap.set(this.writeMap);
    }
    this.pending = this.countPending();
    this.persistWhole();
    return reset;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  remove(): void {
    this.close();
    fs.rmSync(this.path, { force: true });
  }

  private resetTo(capacityBytes: number, p: ModuleParameters): void {
    this.blockShift = trackingBlockShift(capacityBytes, p);
    this.capacityBytes = capacityBytes;
    this.blockCount = Math.ceil(capacityBytes / 2 ** this.blockShift);
    this.writeMap = new Uint8Array(this.blockCount);
    this.readMap = new Uint8Array(this.blockCount);
    this.previous = 0;
    this.active = 1;
    this.corrupted = false;
    this.generation = randomUUID();
    this.pending = 0;
  }

  /** Sets map[first..last] to value; pwrites the span that changed. */
  private setRange(map: Uint8Array, first: number, last: number, value: number, fileBase: number): void {
    let lo = -1;
    let hi = -1;
    let changed = 0;
    for (let b = first; b <= last; b++) {
      if (map[b] !== value) {
        map[b] = value;
        if (lo < 0) lo = b;
        hi = b;
        changed++;
      }
    }
    // The write map only ever gets the active number here: each block it changes becomes pending.
    if (map === this.writeMap) this.pending += changed;
    if (lo >= 0) fs.writeSync(this.fd, map, lo, hi - lo + 1, fileBase + lo);
  }

  private header(): Buffer {
    const h = Buffer.alloc(HEADER_BYTES);
    h.writeUInt32LE(MAGIC, 0);
    h.writeUInt32LE(this.trackerId, 4);
    h.writeUInt32LE(this.blockShift, 8);
    h.writeDoubleLE(this.capacityBytes, 16);
    h.writeUInt32LE(this.blockCount, 24);
    h[28] = this.previous;
    h[29] = this.active;
    h[30] = this.corrupted ? 1 : 0;
    h.set(uuidToBytes(this.generation), 32);
    return h;
  }

  private persistHeader(): void {
    fs.writeSync(this.fd, this.header(), 0, HEADER_BYTES, 0);
  }

  private persistWhole(): void {
    const tmp = `${this.path}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    fs.writeSync(fd, this.header(), 0, HEADER_BYTES, 0);
    fs.writeSync(fd, this.writeMap, 0, this.blockCount, HEADER_BYTES);
    fs.writeSync(fd, this.readMap, 0, this.blockCount, HEADER_BYTES + this.blockCount);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, this.path);
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = fs.openSync(this.path, 'r+');
  }
}
