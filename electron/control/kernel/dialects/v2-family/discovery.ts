// Block devices and their tracked state: /sys/class/block gives name, dev (major:minor) and
// size (sectors); patched kernels have a `filter` attribute ("blksnap\n" when attached).
// Out-of-tree modules (VAL-7.0, VAL-13) add none: then a CBTINFO per device tells (spec §3.8).
import type { BlockDevice } from '../../../../../shared/schemas';
import type { KernelEnv } from '../../env';

export function listBlockDevices(env: KernelEnv, cbtInfoProbe: (devicePath: string) => boolean): BlockDevice[] {
  const devices: BlockDevice[] = [];
  for (const name of env.list('/sys/class/block')) {
    const base = `/sys/class/block/${name}`;
    const dev = /^(\d+):(\d+)$/.exec(env.readText(`${base}/dev`)?.trim() ?? '');
    const size = Number(env.readText(`${base}/size`)?.trim() ?? 'NaN');
    if (!dev || !Number.isSafeInteger(size)) continue;
    const path = env.path(`/dev/${name}`);
    const filter = env.readText(`${base}/filter`);
    const device: BlockDevice = {
      path, name, devId: { major: Number(dev[1]), minor: Number(dev[2]) }, capacitySectors: size,
      tracked: false, discovery: filter === null ? 'cbtinfo-probe' : 'sysfs-filter',
    };
    device.tracked = filter === null ? cbtInfoProbe(path) : filter.trim() === 'blksnap';
    devices.push(device);
  }
  return devices;
}
