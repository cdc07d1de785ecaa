import { describe, expect, it } from 'vitest';
import { parseSectorRanges } from '../../../renderer/views/devices/dirtyRanges';

describe('parseSectorRanges', () => {
  it('reads "offset count" and "offset+count", one per line or comma', () => {
    expect(parseSectorRanges('2048 128\n4096+8, 0 1', 10_000)).toEqual({ ok: true, ranges: [
      { offsetSectors: 2048, countSectors: 128 }, { offsetSectors: 4096, countSectors: 8 }, { offsetSectors: 0, countSectors: 1 },
    ] });
  });

  it('refuses empty input, zero counts, garbage and ranges past the device end', () => {
    expect(parseSectorRanges('  ', 100).ok).toBe(false);
    expect(parseSectorRanges('5 0', 100)).toMatchObject({ ok: false, error: expect.stringContaining('at least one sector') });
    expect(parseSectorRanges('abc', 100)).toMatchObject({ ok: false, error: expect.stringContaining('"abc" is not a range') });
    expect(parseSectorRanges('90 20', 100)).toMatchObject({ ok: false, error: expect.stringContaining("past the device's end") });
  });
});
