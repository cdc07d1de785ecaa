// Validation of sector ranges before they reach v1, which checks none of them: APPEND_STORAGE
// takes a range past the disk's end or on an unknown dev_t and answers 0 (measured, spec §10).
import { appError } from '../../../../../shared/errors';
import type { SectorRange } from '../../../../../shared/schemas';

export interface RangeCheck {
  /** Device size in sectors. */
  sizeSectors: number;
  /** Offsets and counts must be multiples of it (sectors). */
  alignSectors: number;
  /** What the alignment is (default: the device's logical block). */
  alignWhat?: string;
  /** Ranges already given for the same device (no overlap allowed). */
  existing?: readonly SectorRange[];
  what: string;
}

function overlaps(a: SectorRange, b: SectorRange): boolean {
  return a.offsetSectors < b.offsetSectors + b.countSectors && b.offsetSectors < a.offsetSectors + a.countSectors;
}

/** Throws EBADARG naming the first bad range. */
export function validateRanges(ranges: readonly SectorRange[], check: RangeCheck): void {
  if (ranges.length === 0) throw appError('EBADARG', `${check.what}: no ranges given (a call with count 0 is never sent)`);
  if (ranges.length > 0xffffffff) throw appError('EBADARG', `${check.what}: more ranges than a u32 count holds`);
  const seen: SectorRange[] = [...(check.existing ?? [])];
  ranges.forEach((r, i) => {
    const label = `${check.what}: range #${i} {offset ${r.offsetSectors}, count ${r.countSectors}}`;
    if (!Number.isSafeInteger(r.offsetSectors) || r.offsetSectors < 0) throw appError('EBADARG', `${label}: the offset is not a whole number of sectors`);
    if (!Number.isSafeInteger(r.countSectors) || r.countSectors < 1) throw appError('EBADARG', `${label}: a range covers at least one sector`);
    if (r.offsetSectors + r.countSectors > check.sizeSectors) {
      throw appError('EBADARG', `${label} ends past the device's ${check.sizeSectors} sectors (the module would accept it silently)`, { sizeSectors: check.sizeSectors });
    }
    if (r.offsetSectors % check.alignSectors || r.countSectors % check.alignSectors) {
      throw appError('EBADARG', `${label} is not aligned to ${check.alignWhat ?? "the device's logical block"} of ${check.alignSectors * 512} bytes`);
    }
    const clash = seen.find((s) => overlaps(s, r));
    if (clash) throw appError('EBADARG', `${label} overlaps {offset ${clash.offsetSectors}, count ${clash.countSectors}} given before`);
    seen.push(r);
  });
}
