import { describe, expect, it } from 'vitest';
import { changedRanges, changedSince, nearWrap, rangesBytes, rangesToCsv, takesBeforeWrap, wrapWarning } from '../../shared/cbt';

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

describe('the change number wrap warning', () => {
  it('starts at 250 and counts the takes up to the one that wraps (spec §3.3: the 255th take)', () => {
    expect([249, 250, 254, 255].map(nearWrap)).toEqual([false, true, true, true]);
    expect([0, 250, 254, 255].map(takesBeforeWrap)).toEqual([255, 5, 1, 0]);
    expect(wrapWarning(250)).toBe('Change number 250: take 5 from now wraps the change number past 255 and resets the CBT (a new generation), so the backup after it must be a full one; 4 more takes are left for incremental backups.');
    expect(wrapWarning(254)).toMatch(/^Change number 254: the next take wraps .* no take is left for incremental backups\.$/);
    expect(wrapWarning(253)).toMatch(/1 more take is left/);
    expect(wrapWarning(255)).toMatch(/has wrapped past 255.*full one/);
  });
});
