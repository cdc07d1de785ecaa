// Encoding and decoding of the v1 argument structs (layout.ts). Pure: pointers are given as
// addresses, so the conformance replay can encode with its own values and compare bytes.
import { V1_EVENT, V1_STRUCT } from './layout';
import type { DevId } from '../../../../../shared/schemas';
import { uuidFromBytes, uuidToBytes } from '../../../uuid';

const S = V1_STRUCT;

export interface V1Range {
  offsetSectors: number;
  countSectors: number;
}

export interface V1CbtInfo {
  devId: DevId;
  blkSizeBytes: number;
  deviceCapacityBytes: number;
  blkCount: number;
  /** 16 raw bytes as 32 hex digits. */
  generationIdHex: string;
  snapNumber: number;
}

export interface V1ImageInfo {
  orig: DevId;
  image: DevId;
}

export type V1DecodedEvent =
  | { code: 0; kind: 'low_free_space'; timeLabelNs: string; requestedSectors: number }
  | { code: 1; kind: 'corrupted'; timeLabelNs: string; device: DevId; errCode: number }
  | { code: number; kind: 'unknown'; timeLabelNs: string };

function writePtr(buf: Buffer, offset: number, address: number): void {
  buf.writeBigUInt64LE(BigInt(address), offset);
}

function writeU64(buf: Buffer, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${value} is not a u64 this client can send`);
  buf.writeBigUInt64LE(BigInt(value), offset);
}

function readU64(buf: Buffer, offset: number): number {
  const v = buf.readBigUInt64LE(offset);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`u64 ${v} exceeds the safe integer range`);
  return Number(v);
}

export function writeDevId(buf: Buffer, offset: number, dev: DevId): void {
  buf.writeUInt32LE(dev.major, offset + S.blk_snap_dev_t.fields.mj);
  buf.writeUInt32LE(dev.minor, offset + S.blk_snap_dev_t.fields.mn);
}

export function readDevId(buf: Buffer, offset: number): DevId {
  return { major: buf.readUInt32LE(offset + S.blk_snap_dev_t.fields.mj), minor: buf.readUInt32LE(offset + S.blk_snap_dev_t.fields.mn) };
}

export function encodeVersion(): Buffer {
  return Buffer.alloc(S.blk_snap_version.size);
}

export function decodeVersion(buf: Buffer): { major: number; minor: number; revision: number; build: number } {
  const f = S.blk_snap_version.fields;
  return { major: buf.readUInt16LE(f.major), minor: buf.readUInt16LE(f.minor), revision: buf.readUInt16LE(f.revision), build: buf.readUInt16LE(f.build) };
}

export function encodeTrackerRemove(dev: DevId): Buffer {
  const buf = Buffer.alloc(S.blk_snap_tracker_remove.size);
  writeDevId(buf, S.blk_snap_tracker_remove.fields.dev_id, dev);
  return buf;
}

export function encodeTrackerCollect(count: number, arrayAddress: number): Buffer {
  const f = S.blk_snap_tracker_collect.fields;
  const buf = Buffer.alloc(S.blk_snap_tracker_collect.size);
  buf.writeUInt32LE(count, f.count);
  writePtr(buf, f.cbt_info_array, arrayAddress);
  return buf;
}

export function decodeCount(buf: Buffer, offset = 0): number {
  return buf.readUInt32LE(offset);
}

export function decodeCbtInfo(buf: Buffer, offset = 0): V1CbtInfo {
  const f = S.blk_snap_cbt_info.fields;
  return {
    devId: readDevId(buf, offset + f.dev_id),
    blkSizeBytes: buf.readUInt32LE(offset + f.blk_size),
    deviceCapacityBytes: readU64(buf, offset + f.device_capacity),
    blkCount: buf.readUInt32LE(offset + f.blk_count),
    generationIdHex: buf.subarray(offset + f.generationId, offset + f.generationId + 16).toString('hex'),
    snapNumber: buf.readUInt8(offset + f.snap_number),
  };
}

export function decodeCbtInfoArray(buf: Buffer, count: number): V1CbtInfo[] {
  const out: V1CbtInfo[] = [];
  for (let i = 0; i < count; i++) out.push(decodeCbtInfo(buf, i * S.blk_snap_cbt_info.size));
  return out;
}

export function encodeReadCbtMap(dev: DevId, offset: number, length: number, bufferAddress: number): Buffer {
  const f = S.blk_snap_tracker_read_cbt_bitmap.fields;
  const buf = Buffer.alloc(S.blk_snap_tracker_read_cbt_bitmap.size);
  writeDevId(buf, f.dev_id, dev);
  buf.writeUInt32LE(offset, f.offset);
  buf.writeUInt32LE(length, f.length);
  writePtr(buf, f.buff, bufferAddress);
  return buf;
}

export function encodeRanges(ranges: V1Range[]): Buffer {
  const size = S.blk_snap_block_range.size;
  const buf = Buffer.alloc(ranges.length * size);
  ranges.forEach((r, i) => {
    writeU64(buf, i * size + S.blk_snap_block_range.fields.sector_offset, r.offsetSectors);
    writeU64(buf, i * size + S.blk_snap_block_range.fields.sector_count, r.countSectors);
  });
  return buf;
}

export function decodeRanges(buf: Buffer): V1Range[] {
  const size = S.blk_snap_block_range.size;
  const out: V1Range[] = [];
  for (let o = 0; o + size <= buf.length; o += size) {
    out.push({ offsetSectors: readU64(buf, o + S.blk_snap_block_range.fields.sector_offset), countSectors: readU64(buf, o + S.blk_snap_block_range.fields.sector_count) });
  }
  return out;
}

export function encodeMarkDirty(dev: DevId, count: number, arrayAddress: number): Buffer {
  const f = S.blk_snap_tracker_mark_dirty_blocks.fields;
  const buf = Buffer.alloc(S.blk_snap_tracker_mark_dirty_blocks.size);
  writeDevId(buf, f.dev_id, dev);
  buf.writeUInt32LE(count, f.count);
  writePtr(buf, f.dirty_blocks_array, arrayAddress);
  return buf;
}

export function encodeDevIdArray(devs: DevId[]): Buffer {
  const buf = Buffer.alloc(devs.length * S.blk_snap_dev_t.size);
  devs.forEach((d, i) => writeDevId(buf, i * S.blk_snap_dev_t.size, d));
  return buf;
}

export function encodeSnapshotCreate(count: number, devArrayAddress: number): Buffer {
  const f = S.blk_snap_snapshot_create.fields;
  const buf = Buffer.alloc(S.blk_snap_snapshot_create.size);
  buf.writeUInt32LE(count, f.count);
  writePtr(buf, f.dev_id_array, devArrayAddress);
  return buf;
}

export function decodeSnapshotCreateId(buf: Buffer): string {
  const o = S.blk_snap_snapshot_create.fields.id;
  return uuidFromBytes(buf.subarray(o, o + 16));
}

/** DESTROY and TAKE: the bare 16-byte id. */
export function encodeSnapshotId(id: string): Buffer {
  return uuidToBytes(id);
}

export function encodeAppendStorage(id: string, dev: DevId, count: number, rangesAddress: number): Buffer {
  const f = S.blk_snap_snapshot_append_storage.fields;
  const buf = Buffer.alloc(S.blk_snap_snapshot_append_storage.size);
  uuidToBytes(id).copy(buf, f.id);
  writeDevId(buf, f.dev_id, dev);
  buf.writeUInt32LE(count, f.count);
  writePtr(buf, f.ranges, rangesAddress);
  return buf;
}

export function encodeSnapshotCollect(count: number, idsAddress: number): Buffer {
  const f = S.blk_snap_snapshot_collect.fields;
  const buf = Buffer.alloc(S.blk_snap_snapshot_collect.size);
  buf.writeUInt32LE(count, f.count);
  writePtr(buf, f.ids, idsAddress);
  return buf;
}

export function decodeIds(buf: Buffer, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(uuidFromBytes(buf.subarray(i * 16, i * 16 + 16)));
  return out;
}

export function encodeCollectImages(id: string, count: number, arrayAddress: number): Buffer {
  const f = S.blk_snap_snapshot_collect_images.fields;
  const buf = Buffer.alloc(S.blk_snap_snapshot_collect_images.size);
  uuidToBytes(id).copy(buf, f.id);
  buf.writeUInt32LE(count, f.count);
  writePtr(buf, f.image_info_array, arrayAddress);
  return buf;
}

export function decodeCollectImagesCount(buf: Buffer): number {
  return buf.readUInt32LE(S.blk_snap_snapshot_collect_images.fields.count);
}

export function decodeImageInfos(buf: Buffer, count: number): V1ImageInfo[] {
  const size = S.blk_snap_image_info.size;
  const f = S.blk_snap_image_info.fields;
  const out: V1ImageInfo[] = [];
  for (let i = 0; i < count; i++) out.push({ orig: readDevId(buf, i * size + f.orig_dev_id), image: readDevId(buf, i * size + f.image_dev_id) });
  return out;
}

export function encodeWaitEvent(id: string, timeoutTicks: number): Buffer {
  const f = S.blk_snap_snapshot_event.fields;
  const buf = Buffer.alloc(S.blk_snap_snapshot_event.size);
  uuidToBytes(id).copy(buf, f.id);
  buf.writeUInt32LE(timeoutTicks, f.timeout_ms);
  return buf;
}

export function decodeEvent(buf: Buffer): V1DecodedEvent {
  const f = S.blk_snap_snapshot_event.fields;
  const code = buf.readUInt32LE(f.code);
  const timeLabelNs = buf.readBigInt64LE(f.time_label).toString();
  if (code === V1_EVENT.LOW_FREE_SPACE) {
    return { code: 0, kind: 'low_free_space', timeLabelNs, requestedSectors: readU64(buf, f.data + S.blk_snap_event_low_free_space.fields.requested_nr_sect) };
  }
  if (code === V1_EVENT.CORRUPTED) {
    const c = S.blk_snap_event_corrupted.fields;
    return {
      code: 1, kind: 'corrupted', timeLabelNs,
      device: { major: buf.readUInt32LE(f.data + c.orig_dev_id_mj), minor: buf.readUInt32LE(f.data + c.orig_dev_id_mn) },
      errCode: buf.readInt32LE(f.data + c.err_code),
    };
  }
  return { code, kind: 'unknown', timeLabelNs };
}

export function decodeMod(buf: Buffer): { compatibilityFlags: bigint; name: string } {
  const f = S.blk_snap_mod.fields;
  const nameBytes = buf.subarray(f.name, f.name + 32);
  const end = nameBytes.indexOf(0);
  return { compatibilityFlags: buf.readBigUInt64LE(f.compatibility_flags), name: nameBytes.subarray(0, end < 0 ? 32 : end).toString('utf8') };
}
