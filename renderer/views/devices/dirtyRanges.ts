// Parses the "mark dirty" ranges form: one range per line or comma, "offset count" or
// "offset+count" in sectors, each inside the device.
import type { SectorRange } from '../../../shared/schemas';

export type ParsedRanges = { ok: true; ranges: SectorRange[] } | { ok: false; error: string };

export function parseSectorRanges(text: string, capacitySectors: number): ParsedRanges {
  const parts = text.split(/[\n,;]+/).map((p) => p.trim()).filter((p) => p.length > 0);
  if (parts.length === 0) return { ok: false, error: 'Enter at least one range: first sector and sector count, like "2048 128".' };
  const ranges: SectorRange[] = [];
  for (const part of parts) {
    const m = /^(\d+)\s*(?:\+|\s)\s*(\d+)$/.exec(part);
    if (!m) return { ok: false, error: `"${part}" is not a range: write the first sector and the count, like "2048 128" or "2048+128".` };
    const offsetSectors = Number(m[1]);
    const countSectors = Number(m[2]);
    if (!Number.isSafeInteger(offsetSectors) || !Number.isSafeInteger(countSectors)) return { ok: false, error: `"${part}" is too large.` };
    if (countSectors < 1) return { ok: false, error: `"${part}": a range covers at least one sector.` };
    if (offsetSectors + countSectors > capacitySectors) {
      return { ok: false, error: `"${part}" ends at sector ${offsetSectors + countSectors}, past the device's end (${capacitySectors} sectors).` };
    }
    ranges.push({ offsetSectors, countSectors });
  }
  if (ranges.length > 65536) return { ok: false, error: 'At most 65,536 ranges at once.' };
  return { ok: true, ranges };
}
