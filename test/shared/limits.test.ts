import { describe, expect, it } from 'vitest';
import { checkLimit, limitRule, parseAndCheckLimit, parseLimit, pathStorageRule, smallestLimitBytes, storageStartBytes } from '../../shared/limits';

const MiB = 2 ** 20;
const v2 = limitRule(null, false);
const v1 = limitRule(null, true);

describe('parseLimit', () => {
  it('accepts bytes and K/M/G/T suffixes, in sectors', () => {
    expect(parseLimit('2G')).toEqual({ ok: true, bytes: 2 * 2 ** 30, sectors: 4_194_304 });
    expect(parseLimit('512M')).toMatchObject({ ok: true, sectors: 1_048_576 });
    expect(parseLimit('64k')).toMatchObject({ ok: true, bytes: 65536 });
    expect(parseLimit('1.5G')).toMatchObject({ ok: true, bytes: 1.5 * 2 ** 30 });
    expect(parseLimit(' 1048576 ')).toMatchObject({ ok: true, sectors: 2048 });
  });

  it('refuses empty, zero, negative, unknown units, garbage and sizes that are not whole sectors', () => {
    expect(parseLimit('')).toMatchObject({ ok: false, error: expect.stringContaining('Enter a limit') });
    expect(parseLimit('0')).toMatchObject({ ok: false, error: expect.stringContaining('greater than zero') });
    expect(parseLimit('-1G')).toMatchObject({ ok: false, error: expect.stringContaining('negative') });
    expect(parseLimit('=-1G')).toMatchObject({ ok: false, error: expect.stringContaining('not a size') });
    expect(parseLimit('12X')).toMatchObject({ ok: false, error: expect.stringContaining('not a size unit') });
    expect(parseLimit('two gigs')).toMatchObject({ ok: false, error: expect.stringContaining('not a size') });
    expect(parseLimit('1000')).toMatchObject({ ok: false, error: expect.stringContaining('512-byte sectors') });
  });
});

describe('checkLimit', () => {
  it('refuses a limit below the reserved 2 MiB plus one minimum chunk, naming the smallest that works', () => {
    expect(smallestLimitBytes(v2)).toBe(2 * MiB + 256 * 1024);
    const check = checkLimit(1024, v2);
    expect(check.error).toMatch(/1 KiB cannot hold a single copied chunk.*first 2 MiB.*256 KiB.*smallest limit that works is 2.25 MiB.*1 GiB \(diff_storage_minimum\)/);
    expect(checkLimit(smallestLimitBytes(v2), v2).error).toBeNull();
  });

  it('warns below diff_storage_minimum: no growth and no_space at the first copy (v2), a capped first request (v1)', () => {
    expect(checkLimit(64 * MiB, v2)).toEqual({ error: null, warning: expect.stringMatching(/below the module's diff_storage_minimum \(1 GiB\).*no_space at the first copy.*62 MiB/) });
    expect(checkLimit(64 * MiB, v1).warning).toMatch(/asks for 1 GiB at create.*only 64 MiB.*A limit of 1 GiB or more/);
    expect(checkLimit(2 ** 30, v2)).toEqual({ error: null, warning: null });
  });

  it('says what each dialect does at the limit: no_space on lk6.15, nothing on VAL-7.0, v7 and v6, which also use the storage from 0 (spec §4, §5.3; the v7/v6 guests sent corrupted only)', () => {
    const rule = (dialect: 'lk6.15' | 'val-7.0' | 'v7' | 'v6', eventCodes: Record<number, 'corrupted' | 'no_space' | 'low_free_space'>) => limitRule(null, false, pathStorageRule(dialect, { eventCodes }));
    expect(checkLimit(16 * MiB, rule('lk6.15', { 0: 'corrupted', 1: 'no_space' })).warning).toMatch(/no_space at the first copy.*about 14 MiB/);
    expect(checkLimit(16 * MiB, rule('val-7.0', { 0: 'corrupted', 1: 'low_free_space' })).warning).toMatch(/sends no event before the overflow \(only a kernel log line\).*about 14 MiB/);
    for (const dialect of ['v7', 'v6'] as const) {
      const upstream = rule(dialect, { 0: 'corrupted' });
      expect(checkLimit(16 * MiB, upstream).warning).toMatch(/sends no event before the overflow.*about 16 MiB/);
      expect(checkLimit(16 * MiB, upstream).warning).not.toMatch(/no_space/);
      expect(smallestLimitBytes(upstream)).toBe(256 * 1024);
      expect(checkLimit(1024, upstream).error).not.toMatch(/first 2 MiB/);
    }
  });

  it('says where a snapshot\'s storage starts to fill: ranges and v1 from 0, paths per dialect, unknown without a mode', () => {
    const caps = { eventCodes: {} };
    expect((['lk6.15', 'val-7.0', 'val-13'] as const).map((d) => storageStartBytes(d, caps, 'directory'))).toEqual([2 * MiB, 2 * MiB, 2 * MiB]);
    expect((['v7', 'v6'] as const).map((d) => storageStartBytes(d, caps, 'file'))).toEqual([0, 0]);
    expect(storageStartBytes('lk6.15', caps, 'block')).toBe(2 * MiB);
    expect((['val-7.0', 'val-13', 'v1'] as const).map((d) => storageStartBytes(d, caps, 'ranges'))).toEqual([0, 0, 0]);
    expect([storageStartBytes('v1', caps, null), storageStartBytes('val-7.0', caps, null), storageStartBytes(null, caps, null)]).toEqual([0, null, null]);
  });

  it('follows the module parameters it is given', () => {
    const small = limitRule({ diff_storage_minimum: 65536, chunk_minimum_shift: 16 }, false);
    expect(checkLimit(32 * MiB, small)).toEqual({ error: null, warning: null });
    expect(smallestLimitBytes(small)).toBe(2 * MiB + 65536);
  });

  it('parse and check in one step', () => {
    expect(parseAndCheckLimit('2G', v2)).toEqual({ ok: true, bytes: 2 ** 31, sectors: 4_194_304, warning: null });
    expect(parseAndCheckLimit('1K', v2).ok).toBe(false);
    expect(parseAndCheckLimit('-1G', v2).ok).toBe(false);
  });
});
