import { describe, expect, it } from 'vitest';
import { applyLoadFixups, chunkShift, defaultParameters, trackingBlockShift } from '../../../../electron/control/emulator/parameters';
import { codeOf, emulator } from './helpers';

const GiB = 2 ** 30;
const TiB = 2 ** 40;

describe('module parameters', () => {
  it('defaults to the reference values, with chunk_maximum_in_queue 256 and no pool parameter upstream', () => {
    const p = defaultParameters('upstream');
    expect(p).toMatchObject({ tracking_block_minimum_shift: 16, tracking_block_maximum_count: 2_097_152, tracking_block_maximum_shift: 26, chunk_minimum_shift: 18, chunk_maximum_count_shift: 40, chunk_maximum_shift: 26, chunk_maximum_in_queue: 256, diff_storage_minimum: 2_097_152 });
    expect(p.free_diff_buffer_pool_size).toBeUndefined();
  });

  it('gives VAL-7.0 a pool parameter and a queue of 16, and v1 chunk_maximum_in_cache 32', () => {
    expect(defaultParameters('val-7.0')).toMatchObject({ chunk_maximum_in_queue: 16, free_diff_buffer_pool_size: 128 });
    expect(defaultParameters('v1')).toMatchObject({ chunk_maximum_in_cache: 32, free_diff_buffer_pool_size: 128 });
    expect(defaultParameters('val-13').free_diff_buffer_pool_size).toBeUndefined();
  });

  it('applies the six load-time fix-ups in order', () => {
    const p = applyLoadFixups({ ...defaultParameters('upstream'), tracking_block_minimum_shift: 20, tracking_block_maximum_shift: 18, chunk_minimum_shift: 10, chunk_maximum_shift: 26, diff_storage_minimum: 100, chunk_maximum_count_shift: 50 });
    expect(p.tracking_block_maximum_shift).toBe(20);
    expect(p.chunk_minimum_shift).toBe(12);
    expect(p.diff_storage_minimum).toBe(96); // not below two 4 KiB chunks (16 sectors); rounded down to whole chunks (8 sectors)
    expect(p.chunk_maximum_count_shift).toBe(40);
  });

  it('lowers chunk_minimum_shift to chunk_maximum_shift and rounds diff_storage_minimum down to whole chunks', () => {
    const p = applyLoadFixups({ ...defaultParameters('upstream'), chunk_minimum_shift: 22, chunk_maximum_shift: 20, diff_storage_minimum: 5000 });
    expect(p.chunk_minimum_shift).toBe(20);
    expect(p.diff_storage_minimum).toBe(4096); // raised to 2^(20-8) = 4096 sectors, a multiple of 2048
    const q = applyLoadFixups({ ...defaultParameters('upstream'), diff_storage_minimum: 70_000 });
    expect(q.diff_storage_minimum).toBe(69_632); // rounded down to a multiple of 512 sectors
  });

  it('chooses 64 KiB tracking blocks for 128 GiB and 8 MiB blocks for 16 TiB, 2,097,152 blocks each', () => {
    const p = defaultParameters('upstream');
    expect(trackingBlockShift(128 * GiB, p)).toBe(16);
    expect(trackingBlockShift(128 * GiB + 512, p)).toBe(17);
    expect(trackingBlockShift(16 * TiB, p)).toBe(23);
    expect(Math.ceil((16 * TiB) / 2 ** 23)).toBe(2_097_152);
  });

  it('stops growing the tracking block at the maximum shift, letting the count exceed the maximum', () => {
    const p = defaultParameters('upstream');
    expect(trackingBlockShift(256 * TiB, p)).toBe(26);
  });

  it('sizes chunks by the lk6.15 rule: 256 KiB by default, the minimum I/O kept as is when it reaches the maximum', () => {
    const p = defaultParameters('upstream');
    expect(chunkShift('lk6.15', 100 * GiB, 512, p)).toBe(18);
    expect(chunkShift('lk6.15', 100 * GiB, 2 ** 27, p)).toBe(27);
    expect(chunkShift('lk6.15', 100 * GiB, 2 ** 20, p)).toBe(20);
    expect(chunkShift('lk6.15', 2 ** 50, 512, { ...p, chunk_maximum_count_shift: 20 })).toBe(26);
  });

  it('sizes chunks by the v7 rule without a cap and fails v1 above chunk_maximum_shift', () => {
    const p = defaultParameters('v1');
    expect(chunkShift('v7', 100 * GiB, 2 ** 27, p)).toBe(27);
    expect(chunkShift('v1', 100 * GiB, 2 ** 27, p)).toBeNull();
    expect(chunkShift('v1', 100 * GiB, 512, p)).toBe(18);
  });

  it('refuses unknown parameters and non-integer values, and fixes up what setParameters writes', async () => {
    const emu = await emulator();
    expect(await codeOf(emu.setParameters({ no_such: 1 }))).toBe('EBADARG');
    expect(await codeOf(emu.setParameters({ chunk_minimum_shift: 1.5 }))).toBe('EBADARG');
    expect(await codeOf(emu.setParameters({ chunk_minimum_shift: -1 }))).toBe('EBADARG');
    const p = await emu.setParameters({ chunk_minimum_shift: 8 });
    expect(p.chunk_minimum_shift).toBe(12);
    expect((await emu.parameters()).chunk_minimum_shift).toBe(12);
  });
});
