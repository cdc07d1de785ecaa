// Change tracking reads over the control: CBT info, the whole map in chunks, marking ranges
// dirty, and the changed ranges since a change number as JSON or CSV.
import type { ApiArgs, ApiResult } from '../../shared/contract';
import type { CbtInfo } from '../../shared/schemas';
import { changedRanges, rangesBytes, rangesToCsv } from '../../shared/cbt';
import { mapLevelAnswerFast } from './levels/levels';
import type { BlksnapControl } from '../control/types';
import { refuseDirtyRanges } from './guards';

/** Blocks read per CBT map call. */
const MAP_CHUNK_BLOCKS = 1 << 20;

export class ChangeTracking {
  constructor(private readonly control: BlksnapControl, private readonly refresh: () => Promise<void>) {}

  async info({ device }: ApiArgs<'cbtInfo'>): Promise<ApiResult<'cbtInfo'>> {
    return this.control.cbtInfo(device);
  }

  async map({ device }: ApiArgs<'cbtMap'>): Promise<ApiResult<'cbtMap'>> {
    return this.readMap(device, await this.control.cbtInfo(device));
  }

  async mapLevel({ device, shift }: ApiArgs<'cbtMapLevel'>): Promise<ApiResult<'cbtMapLevel'>> {
    return mapLevelAnswerFast(await this.readMap(device, await this.control.cbtInfo(device)), shift);
  }

  async markDirty({ device, ranges }: ApiArgs<'markDirty'>): Promise<ApiResult<'markDirty'>> {
    const info = await this.control.cbtInfo(device).catch(() => null);
    refuseDirtyRanges(device, ranges, info ? Math.floor(info.deviceCapacityBytes / 512) : null);
    await this.control.cbtDirty(device, ranges);
    await this.refresh();
    return { ok: true };
  }

  async exportChangedRanges({ device, sinceChangeNumber, format }: ApiArgs<'exportChangedRanges'>): Promise<ApiResult<'exportChangedRanges'>> {
    const info = await this.control.cbtInfo(device);
    const map = await this.readMap(device, info);
    const ranges = changedRanges(map, info.blockSizeBytes, sinceChangeNumber, info.deviceCapacityBytes);
    const bytes = rangesBytes(ranges);
    const text = format === 'csv'
      ? rangesToCsv(ranges)
      : JSON.stringify({
        device, generationId: info.generationId, changesNumber: info.changesNumber, sinceChangeNumber,
        blockSizeBytes: info.blockSizeBytes, deviceCapacityBytes: info.deviceCapacityBytes, bytes, ranges,
      }, null, 2);
    return { text, rangeCount: ranges.length, bytes };
  }

  private async readMap(device: string, info: CbtInfo): Promise<Uint8Array> {
    const map = new Uint8Array(info.blockCount);
    for (let offset = 0; offset < info.blockCount; offset += MAP_CHUNK_BLOCKS) {
      const length = Math.min(MAP_CHUNK_BLOCKS, info.blockCount - offset);
      map.set((await this.control.cbtMap(device, offset, length)).subarray(0, length), offset);
    }
    return map;
  }
}
