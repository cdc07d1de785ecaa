// Argument checks done before any ioctl: what the module would mishandle (spec §2) or what
// does not fit its fields.
import { appError } from '../../../../../shared/errors';
import type { SectorRange } from '../../../../../shared/schemas';
import { StructView } from '../../struct';
import { blksnap_sectors } from './structs';

const U32_MAX = 0xffff_ffff;

export function checkU32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) throw appError('EBADARG', `${name} ${value} is not a u32`, { [name]: value });
}

export function checkRanges(op: string, ranges: SectorRange[]): void {
  if (ranges.length === 0) throw appError('EBADARG', `${op}: no ranges given`);
  const zero = ranges.find((r) => !Number.isSafeInteger(r.countSectors) || r.countSectors < 1);
  if (zero) {
    throw appError('EGUARD', `${op}: a range with count ${zero.countSectors} at sector ${zero.offsetSectors} is refused before any call (count 0 marks whole maps or fails after partial application: spec §2)`, { offsetSectors: zero.offsetSectors });
  }
  const neg = ranges.find((r) => !Number.isSafeInteger(r.offsetSectors) || r.offsetSectors < 0);
  if (neg) throw appError('EBADARG', `${op}: offset ${neg.offsetSectors} is not a sector number`);
}

/** An array of blksnap_sectors. */
export function encodeSectors(ranges: SectorRange[]): Buffer {
  const buf = Buffer.alloc(ranges.length * blksnap_sectors.size);
  ranges.forEach((r, i) => {
    new StructView(blksnap_sectors, buf.subarray(i * 16, i * 16 + 16)).setU64('offset', r.offsetSectors).setU64('count', r.countSectors);
  });
  return buf;
}
