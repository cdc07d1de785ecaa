// The I/O paths (spec §3.3–3.5): writes to an original (CBT, then copy-on-write of whole chunks
// with their journal record, then the data) and reads and writes of snapshot images.
import { errnoError, type ErrnoName } from '../../../shared/errors';
import type { CowRecord } from './cow-log';
import { SECTOR, type EmulatedDevice } from './device';
import type { DiffStorage, StorageEvent, StorageFailure, StorageState } from './diff-storage';
import { fileHints } from './file-hints';
import type { EmulatorCore, Located } from './core';
import type { DiffArea, Snapshot } from './snapshot';

/** Copy-on-write moves at most this much per read/write pair. */
const MAX_RUN_BYTES = 4 * 2 ** 20;
let ioBuffer = Buffer.alloc(0);
let zeros = Buffer.alloc(0);

function storageFingerprint(s: StorageState): string {
  return `${s.requested}/${s.capacity}/${s.overflow ? 1 : 0}/${s.lowSpaceFlag ? 1 : 0}`;
}

export function ioTarget(core: EmulatorCore, op: 'read' | 'write', p: string, offsetBytes: number, lengthBytes: number): Located {
  const loc = core.locate(p);
  if (!loc) throw errnoError('ENOENT', op, `${p} is neither an emulated device nor a snapshot image`, { path: p });
  checkSectorBytes(op, p, 'offset', offsetBytes);
  checkSectorBytes(op, p, 'length', lengthBytes);
  const capacity = loc.kind === 'device' ? loc.device.capacityBytes : loc.area.capacitySectors * SECTOR;
  if (offsetBytes + lengthBytes > capacity) {
    throw errnoError('EINVAL', op, `bytes ${offsetBytes}..${offsetBytes + lengthBytes} lie past the end of ${p} (${capacity} bytes)`, { path: p, capacityBytes: capacity });
  }
  if (loc.kind === 'image' && loc.area.errorCode !== 0) {
    const code = core.rules.imageErrorCode;
    throw errnoError(code, op, `the image ${p} failed: its difference area is corrupted (error ${loc.area.errorCode})`, { path: p, errorCode: loc.area.errorCode });
  }
  return loc;
}

function checkSectorBytes(op: 'read' | 'write', p: string, what: 'offset' | 'length', v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw errnoError('EINVAL', op, `${what} ${v} is not a whole number of bytes`, { path: p });
  if (v % SECTOR !== 0) throw errnoError('EINVAL', op, `${what} ${v} is not a multiple of the 512-byte sector (I/O is sector-aligned, like O_DIRECT)`, { path: p, [what]: v });
}

/** A write to an original: CBT first, then the COW copies and their journal, then the data. */
export function writeOriginal(core: EmulatorCore, dev: EmulatedDevice, offsetBytes: number, data: Uint8Array): void {
  const map = dev.tracker;
  const mapOk = map ? map.markWrite(offsetBytes / SECTOR, data.length / SECTOR) : false;
  const cow = mapOk ? core.cowIndex.get(dev.name) : undefined;
  if (cow && cow.area.errorCode === 0) copyChunks(core, cow.snapshot, cow.area, cow.index, dev, offsetBytes, data.length);
  dev.writeFrom(data, offsetBytes);
}

/** Copies the not yet copied chunks of [offset, offset+length) to the storage; false on failure. */
export function copyChunks(core: EmulatorCore, snap: Snapshot, area: DiffArea, index: number, dev: EmulatedDevice, offsetBytes: number, lengthBytes: number): boolean {
  const chunkBytes = 2 ** area.chunkShift;
  const chunkSectors = chunkBytes / SECTOR;
  const first = Math.floor(offsetBytes / chunkBytes);
  const last = Math.floor((offsetBytes + lengthBytes - 1) / chunkBytes);
  // Later writes to copied chunks pass straight on (§3.5): no plan, no state fingerprint.
  let uncopied = first;
  while (uncopied <= last && area.chunks.has(uncopied)) uncopied++;
  if (uncopied > last) return true;
  const storage = snap.storage;
  const before = storageFingerprint(storage.state);
  const events: StorageEvent[] = [];
  const plan: CowRecord[] = [];
  let failed: ErrnoName | null = null;
  for (let c = uncopied; c <= last; c++) {
    if (area.chunks.has(c)) continue;
    const at = storage.allocate(chunkSectors, events);
    if (at === null) {
      failed = 'ENOSPC';
      break;
    }
    plan.push({ area: index, chunk: c, storageSector: at });
  }
  // Overflow: nothing of this write is copied, so the slots taken before it are given back.
  if (failed && plan.length > 0) storage.unallocateFrom((plan[0] as CowRecord).storageSector);
  // Runs of neighbouring chunks with neighbouring slots move with one read and one write.
  const records: CowRecord[] = [];
  for (let i = 0; i < plan.length && !failed;) {
    let j = i + 1;
    while (j < plan.length && (j - i + 1) * chunkBytes <= MAX_RUN_BYTES
      && (plan[j] as CowRecord).chunk === (plan[j - 1] as CowRecord).chunk + 1
      && (plan[j] as CowRecord).storageSector === (plan[j - 1] as CowRecord).storageSector + chunkSectors) j++;
    const run = plan.slice(i, j);
    const head = run[0] as CowRecord;
    const start = head.chunk * chunkBytes;
    const bytes = run.length * chunkBytes;
    const error = injectedFailure(core) ?? copyRun(storage, dev, start, bytes, Math.min(bytes, area.capacitySectors * SECTOR - start), head.storageSector);
    if (error) {
      failed = error;
      // The slots of this run and of the runs not tried are never written: give them back.
      storage.unallocateFrom(head.storageSector);
    } else records.push(...run);
    i = j;
  }
  for (const r of records) area.chunks.set(r.chunk, r.storageSector);
  snap.log?.append(records);
  for (const e of events) core.emitStorageEvent(snap, e, false);
  if (failed) core.corruptArea(snap, area, failed);
  else if (events.length > 0 || storageFingerprint(storage.state) !== before) core.saveState();
  return failed === null;
}

/**
 * Copies one run of chunks (`inDevice` of its bytes inside the area; the rest reads as zeros) to
 * the storage; the storage's failure, else null. In the kernel where it can (SEEK_DATA for holes,
 * copy_file_range; only on file systems known to answer them right), else by a read, a compare
 * with zeros and a write.
 */
function copyRun(storage: DiffStorage, dev: EmulatedDevice, start: number, bytes: number, inDevice: number, storageSector: number): StorageFailure | null {
  const src = inDevice === bytes ? dev.fileRange(start, bytes) : null;
  if (src) {
    // A hole of the device into never-written storage reads back as zeros already (sparse devices are common).
    if (storage.knownZero(storageSector) && fileHints.isHole(src.fd, src.offsetBytes, bytes)) return null;
    if (storage.copyFromFile(src, storageSector, bytes)) return null;
  }
  const buf = runBuffer(bytes);
  if (inDevice < bytes) buf.fill(0, inDevice);
  dev.readInto(buf.subarray(0, inDevice), start);
  // A zero run into never-written storage reads back as zeros already.
  if (storage.knownZero(storageSector) && buf.equals(zeroBuffer(bytes))) return null;
  return storage.write(storageSector, buf);
}

/** An injected storage fault (emulator only), consumed by the copy it fails. */
function injectedFailure(core: EmulatorCore): 'ENOSPC' | 'EIO' | null {
  if (core.faults.delete('storage-enospc')) return 'ENOSPC';
  if (core.faults.delete('storage-eio')) return 'EIO';
  return null;
}

export function writeImage(core: EmulatorCore, snap: Snapshot, area: DiffArea, offsetBytes: number, data: Uint8Array): void {
  const dev = core.devices.get(area.device) as EmulatedDevice;
  const map = dev.tracker;
  if (map && map.trackerId === area.trackerId && !map.corrupted) map.markBoth(offsetBytes / SECTOR, data.length / SECTOR);
  const index = snap.areas.indexOf(area);
  if (!copyChunks(core, snap, area, index, dev, offsetBytes, data.length)) {
    throw errnoError(core.rules.imageErrorCode, 'write', `the image /dev/${area.imageName} failed: its difference area is corrupted (error ${area.errorCode})`, { path: `/dev/${area.imageName}` });
  }
  forEachPiece(area, offsetBytes, data.length, (chunk, inChunk, at, len) => {
    const stored = area.chunks.get(chunk) as number;
    const err = snap.storage.write(stored + inChunk / SECTOR, data.subarray(at, at + len));
    if (err) {
      core.corruptArea(snap, area, err);
      throw errnoError(core.rules.imageErrorCode, 'write', `the image /dev/${area.imageName} failed writing its difference storage`, { path: `/dev/${area.imageName}` });
    }
  });
}

export function readImage(core: EmulatorCore, snap: Snapshot, area: DiffArea, offsetBytes: number, out: Uint8Array): void {
  const dev = core.devices.get(area.device) as EmulatedDevice;
  forEachPiece(area, offsetBytes, out.length, (chunk, inChunk, at, len) => {
    const piece = out.subarray(at, at + len);
    const stored = area.chunks.get(chunk);
    if (stored === undefined) {
      dev.readInto(piece, offsetBytes + at);
      return;
    }
    if (snap.storage.read(stored + inChunk / SECTOR, piece)) {
      core.corruptArea(snap, area, 'EIO');
      throw errnoError(core.rules.imageErrorCode, 'read', `the image /dev/${area.imageName} failed reading its difference storage`, { path: `/dev/${area.imageName}` });
    }
  });
}

function forEachPiece(area: DiffArea, offsetBytes: number, lengthBytes: number, fn: (chunk: number, inChunk: number, at: number, len: number) => void): void {
  const chunkBytes = 2 ** area.chunkShift;
  let at = 0;
  while (at < lengthBytes) {
    const pos = offsetBytes + at;
    const chunk = Math.floor(pos / chunkBytes);
    const inChunk = pos - chunk * chunkBytes;
    const len = Math.min(chunkBytes - inChunk, lengthBytes - at);
    fn(chunk, inChunk, at, len);
    at += len;
  }
}

function runBuffer(bytes: number): Buffer {
  if (ioBuffer.length < bytes) ioBuffer = Buffer.alloc(bytes);
  return ioBuffer.subarray(0, bytes);
}

function zeroBuffer(bytes: number): Buffer {
  if (zeros.length < bytes) zeros = Buffer.alloc(bytes);
  return zeros.subarray(0, bytes);
}
