// Module parameters (spec §3.1, §5.4, §6.5): defaults per flavour, the load-time fix-ups,
// and the two size rules that read them: tracking block size (§3.2) and chunk size (§3.4).
import type { ModuleParameters } from '../../../shared/schemas';
import type { ChunkRule, Flavour } from './flavours';

const COMMON = {
  tracking_block_minimum_shift: 16,
  tracking_block_maximum_count: 2_097_152,
  tracking_block_maximum_shift: 26,
  chunk_minimum_shift: 18,
  chunk_maximum_count_shift: 40,
  chunk_maximum_shift: 26,
  diff_storage_minimum: 2_097_152,
};

export function defaultParameters(flavour: Flavour): ModuleParameters {
  switch (flavour) {
    case 'upstream': return { ...COMMON, chunk_maximum_in_queue: 256 };
    case 'v7':
    case 'v6':
    case 'val-7.0': return { ...COMMON, chunk_maximum_in_queue: 16, free_diff_buffer_pool_size: 128 };
    case 'val-13': return { ...COMMON, chunk_maximum_in_queue: 256 };
    case 'v1': return { ...COMMON, chunk_maximum_in_cache: 32, free_diff_buffer_pool_size: 128 };
  }
}

export const PAGE_SHIFT = 12;

/** The six load-time fix-ups of §3.1, in order. */
export function applyLoadFixups(input: ModuleParameters): ModuleParameters {
  const p = { ...input };
  const get = (k: string): number => p[k] ?? 0;
  if (get('tracking_block_maximum_shift') < get('tracking_block_minimum_shift')) {
    p.tracking_block_maximum_shift = get('tracking_block_minimum_shift');
  }
  if (get('chunk_minimum_shift') > get('chunk_maximum_shift')) p.chunk_minimum_shift = get('chunk_maximum_shift');
  if (get('chunk_minimum_shift') < PAGE_SHIFT) p.chunk_minimum_shift = PAGE_SHIFT;
  const chunkSectors = 2 ** (get('chunk_minimum_shift') - 9);
  if (get('diff_storage_minimum') < 2 * chunkSectors) p.diff_storage_minimum = 2 * chunkSectors;
  p.diff_storage_minimum = Math.floor(get('diff_storage_minimum') / chunkSectors) * chunkSectors;
  if (get('chunk_maximum_count_shift') > 40) p.chunk_maximum_count_shift = 40;
  return p;
}

/** Checks names and values as sysfs would: only existing parameters, unsigned integers. */
export function parameterProblem(current: ModuleParameters, update: Partial<ModuleParameters>): string | null {
  for (const [name, value] of Object.entries(update)) {
    if (!Object.hasOwn(current, name)) {
      return `parameter "${name}" does not exist in this flavour (known: ${Object.keys(current).join(', ')})`;
    }
    if (value === undefined || !Number.isSafeInteger(value) || value < 0 || value > 0xffffffff) {
      return `parameter "${name}" must be an unsigned 32-bit integer, got ${String(value)}`;
    }
  }
  return null;
}

/** §3.2: start at the minimum shift, grow while the count exceeds the maximum. */
export function trackingBlockShift(capacityBytes: number, p: ModuleParameters): number {
  let shift = p.tracking_block_minimum_shift ?? 16;
  const maxShift = p.tracking_block_maximum_shift ?? 26;
  const maxCount = p.tracking_block_maximum_count ?? 2_097_152;
  while (Math.ceil(capacityBytes / 2 ** shift) > maxCount && shift < maxShift) shift += 1;
  return shift;
}

/** Chunk shift at take, or null where the flavour fails the take (v1 above the maximum: EFAULT). */
export function chunkShift(rule: ChunkRule, capacityBytes: number, minIoBytes: number, p: ModuleParameters): number | null {
  const minShift = p.chunk_minimum_shift ?? 18;
  const maxShift = p.chunk_maximum_shift ?? 26;
  const maxCount = 2 ** (p.chunk_maximum_count_shift ?? 40);
  const tooMany = (shift: number): boolean => Math.ceil(capacityBytes / 2 ** shift) > maxCount;
  if (rule === 'lk6.15') {
    let shift = PAGE_SHIFT;
    while (2 ** shift < minIoBytes) shift += 1;
    if (shift >= maxShift) return shift;
    shift = Math.max(shift, minShift);
    while (tooMany(shift) && shift < maxShift) shift += 1;
    return shift;
  }
  let shift = minShift;
  while (tooMany(shift) || 2 ** shift < minIoBytes) shift += 1;
  if (rule === 'v1' && shift > maxShift) return null;
  return shift;
}
