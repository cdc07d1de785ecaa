import { describe, expect, it } from 'vitest';
import { ChangeTracking } from '../../../electron/service/cbt';
import { BLOCK_SIZE, FakeControl } from './fakeControl';

describe('CBT reads', () => {
  it('reads a map larger than one call allows in chunks, and puts it together in order', async () => {
    const control = new FakeControl('kernel');
    const blocks = (1 << 20) + 3;
    const d = control.addDevice('vda', blocks * BLOCK_SIZE, true);
    d.map[0] = 1;
    d.map[(1 << 20) - 1] = 2;
    d.map[(1 << 20) + 2] = 3;
    const calls: Array<[number, number]> = [];
    const read = control.cbtMap.bind(control);
    control.cbtMap = async (device, offset, length) => {
      calls.push([offset, length]);
      return read(device, offset, length);
    };
    const map = await new ChangeTracking(control, async () => undefined).map({ device: '/dev/vda' });
    expect(calls).toEqual([[0, 1 << 20], [1 << 20, 3]]);
    expect(map.length).toBe(blocks);
    expect([map[0], map[(1 << 20) - 1], map[(1 << 20) + 2]]).toEqual([1, 2, 3]);
  });

  it('exports the blocks changed since a number as sector ranges, JSON or CSV', async () => {
    const control = new FakeControl('kernel');
    const d = control.addDevice('vda', 8 * BLOCK_SIZE, true);
    d.map.set([0, 2, 2, 0, 1, 0, 0, 3]);
    const cbt = new ChangeTracking(control, async () => undefined);
    const json = await cbt.exportChangedRanges({ device: '/dev/vda', sinceChangeNumber: 1, format: 'json' });
    expect(json).toMatchObject({ rangeCount: 2, bytes: 3 * BLOCK_SIZE });
    expect(JSON.parse(json.text)).toMatchObject({ device: '/dev/vda', sinceChangeNumber: 1, bytes: 3 * BLOCK_SIZE });
    const csv = await cbt.exportChangedRanges({ device: '/dev/vda', sinceChangeNumber: 0, format: 'csv' });
    expect(csv.rangeCount).toBe(3);
    expect(csv.text.trim().split('\n')).toHaveLength(4);
  });

  it('refreshes after marking ranges dirty, so the devices show the new change number', async () => {
    const control = new FakeControl('kernel');
    control.addDevice('vda', 8 * BLOCK_SIZE, true);
    let refreshes = 0;
    await new ChangeTracking(control, async () => { refreshes += 1; }).markDirty({ device: '/dev/vda', ranges: [{ offsetSectors: 0, countSectors: 8 }] });
    expect(refreshes).toBe(1);
  });
});
