import { describe, expect, it } from 'vitest';
import { changedRanges, changedSince, rangesBytes, rangesToCsv } from '../../shared/cbt';

describe('CBT map analysis', () => {
  const map = new Uint8Array([0, 1, 2, 2, 0, 3, 3, 3, 1, 255]);

  it('counts blocks newer than N and their bytes', () => {
    expect(changedSince(map, 0, 4096)).toEqual({ blocks: 8, bytes: 8 * 4096 });
    expect(changedSince(map, 2, 4096)).toEqual({ blocks: 4, bytes: 4 * 4096 });
    expect(changedSince(map, 255)).toEqual({ blocks: 0, bytes: 0 });
  });

  it('merges adjacent changed blocks into sector ranges', () => {
    expect(changedRanges(map, 4096, 1)).toEqual([
      { offsetSectors: 16, countSectors: 16 },
      { offsetSectors: 40, countSectors: 24 },
      { offsetSectors: 72, countSectors: 8 },
    ]);
    expect(changedRanges(map, 4096, 0)).toEqual([
      { offsetSectors: 8, countSectors: 24 },
      { offsetSectors: 40, countSectors: 40 },
    ]);
    expect(changedRanges(new Uint8Array(4), 4096, 0)).toEqual([]);
  });

  it('cuts the last range at the device capacity', () => {
    expect(changedRanges(new Uint8Array([0, 1]), 65536, 0, 65536 + 4096)).toEqual([{ offsetSectors: 128, countSectors: 8 }]);
  });

  it('refuses a block size that is not whole sectors', () => {
    expect(() => changedRanges(map, 1000, 0)).toThrow(RangeError);
  });

  it('sums and formats ranges', () => {
    const ranges = changedRanges(map, 4096, 2);
    expect(rangesBytes(ranges)).toBe(4 * 4096);
    expect(rangesToCsv(ranges)).toBe('offset_sectors,count_sectors\n40,24\n72,8\n');
  });

  it('summarises a 2,097,152-block map', () => {
    const big = new Uint8Array(2_097_152);
    big.fill(5, 1000, 3000);
    big[2_097_151] = 9;
    expect(changedSince(big, 4).blocks).toBe(2001);
    expect(changedRanges(big, 65536, 4)).toHaveLength(2);
  });
});
