// CBT map analysis (spec §3.3), shared by the service, the renderer and the CLI.
// The map holds one byte per tracking block: the change number of the block's last write.
// Incremental rule: with the same generation, the blocks to read since change number N are
// those whose read-map byte is greater than N.
import type { SectorRange } from './schemas';
import { SECTOR_SIZE } from './units';

export interface ChangedSummary {
  blocks: number;
  /** blocks × block size: what an incremental backup from N reads (the last block may be partial). */
  bytes: number;
}

/** Blocks whose change number is greater than `sinceChangeNumber`, and their size in bytes. */
export function changedSince(map: Uint8Array, sinceChangeNumber: number, blockSizeBytes = 0): ChangedSummary {
  let blocks = 0;
  for (let i = 0; i < map.length; i++) if (map[i]! > sinceChangeNumber) blocks++;
  return { blocks, bytes: blocks * blockSizeBytes };
}

/**
 * Changed blocks (byte > sinceChangeNumber) as merged sector ranges, in ascending order.
 * `capacityBytes` clips the last block when the device is not a whole number of blocks.
 */
export function changedRanges(
  map: Uint8Array,
  blockSizeBytes: number,
  sinceChangeNumber: number,
  capacityBytes?: number,
): SectorRange[] {
  if (blockSizeBytes <= 0 || blockSizeBytes % SECTOR_SIZE !== 0) {
    throw new RangeError(`block size ${blockSizeBytes} is not a positive multiple of ${SECTOR_SIZE}`);
  }
  const sectorsPerBlock = blockSizeBytes / SECTOR_SIZE;
  const capacitySectors = capacityBytes === undefined ? Infinity : Math.floor(capacityBytes / SECTOR_SIZE);
  const ranges: SectorRange[] = [];
  let start = -1;
  const flush = (end: number) => {
    const offsetSectors = start * sectorsPerBlock;
    const endSectors = Math.min(end * sectorsPerBlock, capacitySectors);
    if (endSectors > offsetSectors) ranges.push({ offsetSectors, countSectors: endSectors - offsetSectors });
    start = -1;
  };
  for (let i = 0; i < map.length; i++) {
    const changed = map[i]! > sinceChangeNumber;
    if (changed && start < 0) start = i;
    else if (!changed && start >= 0) flush(i);
  }
  if (start >= 0) flush(map.length);
  return ranges;
}

export function rangesBytes(ranges: readonly SectorRange[]): number {
  let sectors = 0;
  for (const r of ranges) sectors += r.countSectors;
  return sectors * SECTOR_SIZE;
}

/** CSV with a header line: offset_sectors,count_sectors. */
export function rangesToCsv(ranges: readonly SectorRange[]): string {
  const lines = ['offset_sectors,count_sectors'];
  for (const r of ranges) lines.push(`${r.offsetSectors},${r.countSectors}`);
  return lines.join('\n') + '\n';
}
