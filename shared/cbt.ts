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

/** From this change number on, the GUI, blksnapctl and an event warn of the coming wrap. */
export const WRAP_WARNING_CHANGE_NUMBER = 250;

/**
 * Takes until the one that wraps (spec §3.3): a take at active 255 → 256 resets active to 1,
 * gives a new generation and leaves changes_number at 255. With changes_number N that is the
 * (255 − N)th take from now; 0 once it has happened.
 */
export function takesBeforeWrap(changesNumber: number): number {
  return Math.max(0, 255 - changesNumber);
}

export function nearWrap(changesNumber: number): boolean {
  return changesNumber >= WRAP_WARNING_CHANGE_NUMBER;
}

/** The warning for people, the same in the GUI, blksnapctl and the event. */
export function wrapWarning(changesNumber: number): string {
  const left = takesBeforeWrap(changesNumber);
  if (left === 0) {
    return `Change number ${changesNumber}: the change number has wrapped past 255, so the CBT has a new generation and the next backup must be a full one.`;
  }
  const incrementals = left - 1;
  const which = left === 1 ? 'the next take' : `take ${left} from now`;
  return `Change number ${changesNumber}: ${which} wraps the change number past 255 and resets the CBT (a new generation), so the backup after it must be a full one; ${incrementals === 0 ? 'no take is' : `${incrementals} more take${incrementals === 1 ? ' is' : 's are'}`} left for incremental backups.`;
}
