// What an incremental backup from change number N reads, from the map's histogram in O(256):
// blocks whose change number is greater than N (spec §3.3, the incremental rule).
import type { CbtPyramid } from './pyramid';

export interface ChangedSinceSummary {
  sinceChangeNumber: number;
  blocks: number;
  bytes: number;
  /** Share of the map's blocks, 0..1. */
  share: number;
}

export interface MapGeometry {
  blockSizeBytes: number;
  deviceCapacityBytes: number;
}

export function changedSince(pyramid: CbtPyramid, sinceChangeNumber: number, geometry: MapGeometry): ChangedSinceSummary {
  const n = Math.max(0, Math.min(255, Math.floor(sinceChangeNumber)));
  let blocks = 0;
  for (let v = n + 1; v < 256; v++) blocks += pyramid.histogram[v]!;
  let bytes = blocks * geometry.blockSizeBytes;
  // The last block may extend past the device's end: only its real part is read.
  const count = pyramid.blockCount;
  if (count > 0 && pyramid.lastBlockValue > n) {
    const lastBlockBytes = geometry.deviceCapacityBytes - (count - 1) * geometry.blockSizeBytes;
    if (lastBlockBytes > 0 && lastBlockBytes < geometry.blockSizeBytes) bytes -= geometry.blockSizeBytes - lastBlockBytes;
  }
  return { sinceChangeNumber: n, blocks, bytes, share: count === 0 ? 0 : blocks / count };
}

export interface BucketDetail {
  firstBlock: number;
  blockCount: number;
  maxChangeNumber: number;
  changedBlocks: number;
  newerThanN: number;
}

/** Exact figures of a cell for the tooltip: a scan of at most one bucket's blocks. */
export function bucketDetail(map: Uint8Array, firstBlock: number, blockCount: number, sinceChangeNumber: number | null): BucketDetail {
  let maxValue = 0;
  let changedBlocks = 0;
  let newerThanN = 0;
  const end = Math.min(map.length, firstBlock + blockCount);
  for (let i = firstBlock; i < end; i++) {
    const v = map[i]!;
    if (v > maxValue) maxValue = v;
    if (v !== 0) changedBlocks++;
    if (sinceChangeNumber !== null && v > sinceChangeNumber) newerThanN++;
  }
  return { firstBlock, blockCount: end - firstBlock, maxChangeNumber: maxValue, changedBlocks, newerThanN };
}

/** Byte and sector span of blocks [first, first + count), cut at the device's end. */
export function blockSpan(firstBlock: number, count: number, geometry: MapGeometry) {
  const startBytes = firstBlock * geometry.blockSizeBytes;
  const endBytes = Math.min(geometry.deviceCapacityBytes, (firstBlock + count) * geometry.blockSizeBytes);
  return { startBytes, endBytes, startSector: startBytes / 512, endSector: Math.ceil(endBytes / 512) };
}
