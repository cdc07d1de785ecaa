import { describe, expect, it } from 'vitest';
import { changedRanges, rangesBytes } from '../../../shared/cbt';
import { buildPyramid } from '../../../renderer/heatmap/pyramid';
import { blockSpan, bucketDetail, changedSince } from '../../../renderer/heatmap/summary';

const KiB = 1024;

describe('changedSince', () => {
  it('counts blocks newer than N and their bytes', () => {
    const pyramid = buildPyramid(Uint8Array.from([0, 1, 2, 3, 3, 0]));
    const geometry = { blockSizeBytes: 64 * KiB, deviceCapacityBytes: 6 * 64 * KiB };
    expect(changedSince(pyramid, 0, geometry)).toEqual({ sinceChangeNumber: 0, blocks: 4, bytes: 4 * 64 * KiB, share: 4 / 6 });
    expect(changedSince(pyramid, 2, geometry)).toMatchObject({ blocks: 2, bytes: 2 * 64 * KiB });
    expect(changedSince(pyramid, 3, geometry)).toMatchObject({ blocks: 0, bytes: 0 });
  });

  it('reads only the real part of a last block that extends past the device end', () => {
    const pyramid = buildPyramid(Uint8Array.from([0, 5]));
    // 96 KiB device in 64 KiB blocks: the last block holds 32 KiB.
    expect(changedSince(pyramid, 1, { blockSizeBytes: 64 * KiB, deviceCapacityBytes: 96 * KiB })).toMatchObject({ blocks: 1, bytes: 32 * KiB });
  });

  it('agrees with the shared changed-ranges export for every N', () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const map = Uint8Array.from({ length: 5000 }, () => (random() < 0.3 ? Math.floor(random() * 8) : 0));
    const geometry = { blockSizeBytes: 64 * KiB, deviceCapacityBytes: 4999 * 64 * KiB + 4 * KiB };
    const pyramid = buildPyramid(map);
    for (let n = 0; n < 9; n++) {
      const expected = rangesBytes(changedRanges(map, geometry.blockSizeBytes, n, geometry.deviceCapacityBytes));
      expect(changedSince(pyramid, n, geometry).bytes).toBe(expected);
    }
  });
});

describe('bucketDetail and blockSpan', () => {
  it('gives exact figures for a tooltip cell', () => {
    const map = Uint8Array.from([0, 4, 2, 0, 6]);
    expect(bucketDetail(map, 1, 4, 3)).toEqual({ firstBlock: 1, blockCount: 4, maxChangeNumber: 6, changedBlocks: 3, newerThanN: 2 });
    expect(bucketDetail(map, 4, 8, null)).toMatchObject({ blockCount: 1, newerThanN: 0 });
  });

  it('gives byte and sector ranges cut at the device end', () => {
    expect(blockSpan(2, 1, { blockSizeBytes: 64 * KiB, deviceCapacityBytes: 1024 * KiB })).toEqual({ startBytes: 128 * KiB, endBytes: 192 * KiB, startSector: 256, endSector: 384 });
    expect(blockSpan(1, 1, { blockSizeBytes: 64 * KiB, deviceCapacityBytes: 96 * KiB })).toMatchObject({ endBytes: 96 * KiB, endSector: 192 });
  });
});
