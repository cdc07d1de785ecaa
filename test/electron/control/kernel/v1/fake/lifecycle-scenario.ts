// Runs under the LD_PRELOAD fake (fake.test.ts): the v1 control's whole lifecycle through the
// real ffi-rs ioctl path. Prints one JSON line with what each step returned or threw.
import { openV1Backend } from '../../../../../../electron/control/kernel/dialects/v1';
import { toErrorInfo } from '../../../../../../shared/errors';

const out: Record<string, unknown> = {};

async function step(name: string, fn: () => Promise<unknown>): Promise<unknown> {
  try {
    const value = await fn();
    out[name] = { ok: value === undefined ? null : value };
    return value;
  } catch (err) {
    const info = toErrorInfo(err);
    out[name] = { error: info.code, message: info.message };
    return undefined;
  }
}

const root = process.env.FAKE_SYS_ROOT ?? '/';
const c = await openV1Backend({ controlPath: '/dev/veeamblksnap', variant: '6.1+', root });
await step('version', () => c.version());
await step('devicesBefore', async () => (await c.listDevices()).map((d) => `${d.name}:${d.tracked}`));
await step('attach', () => c.attach('/dev/vda'));
await step('createEmpty', () => c.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices: [] }));
const id = (await step('create', () => c.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 8192, devices: ['/dev/vda'] }))) as string;
await step('createSecond', () => c.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 8192, devices: ['/dev/vdb'] }));
await step('add', () => c.snapshotAdd(id, '/dev/vdb'));
await step('devicesAfterCreate', async () => (await c.listDevices()).map((d) => `${d.name}:${d.tracked}:${d.discovery}`));
await step('mapBeforeTake', () => c.cbtMap('/dev/vda', 0, 16));
await step('imagesBeforeTake', () => c.snapshotInfo('/dev/vda'));
await step('takeWithoutStorage', () => c.snapshotTake(id));
await step('event', () => c.waitEvent(id, 1));
await step('appendPastEnd', () => c.appendStorage(id, '/dev/vdb', [{ offsetSectors: 524280, countSectors: 2048 }]));
await step('append', () => c.appendStorage(id, '/dev/vdb', [{ offsetSectors: 0, countSectors: 2048 }]));
await step('take', () => c.snapshotTake(id));
await step('takeTwice', () => c.snapshotTake(id));
await step('info', () => c.snapshotInfo('/dev/vda'));
await step('cbtInfo', () => c.cbtInfo('/dev/vda'));
await step('markDirty', () => c.cbtDirty('/dev/vda', [{ offsetSectors: 12288, countSectors: 8 }]));
await step('mapFull', async () => {
  const map = await c.cbtMap('/dev/vda', 0, 5000);
  return { length: map.length, block96: map[96] };
});
await step('mapAtEnd', () => c.cbtMap('/dev/vda', 4096, 16));
await step('detachWhileTaken', () => c.detach('/dev/vda'));
await step('collect', () => c.snapshotCollect());
await step('usage', () => c.diffStorageUsage(id));
await step('destroy', () => c.snapshotDestroy(id));
await step('destroyTwice', () => c.snapshotDestroy(id));
await step('mapAfterDestroy', () => c.cbtMap('/dev/vda', 0, 16));
await step('detach', () => c.detach('/dev/vda'));
await step('detachTwice', () => c.detach('/dev/vda'));
await c.close();
console.log(JSON.stringify(out));
