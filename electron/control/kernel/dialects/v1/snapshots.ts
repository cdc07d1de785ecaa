// v1 snapshots: create with the device list fixed, take, collect, destroy, and what SNAPSHOTINFO
// would say (v1 has none: images from COLLECT_IMAGES, errors from the events this client saw).
import { NativeMemory } from '../../native';
import { appError } from '../../../../../shared/errors';
import type { DevId, SnapshotCreateRequest, SnapshotDeviceInfo } from '../../../../../shared/schemas';
import * as codec from './codec';
import { V1_STRUCT } from './layout';
import { imageName } from './names';
import { normalizeId, stateOf, type V1Context } from './state';
import { devText } from './system';

export async function snapshotCreate(ctx: V1Context, request: SnapshotCreateRequest): Promise<string> {
  if (request.devices.length === 0) {
    throw appError('EGUARD', 'v1 snapshot create needs at least one device: SNAPSHOT_CREATE with count 0 never returns (kernel soft lockup, measured), so it is refused before any call', { dialect: 'v1' });
  }
  const devices: DevId[] = [];
  for (const path of request.devices) {
    const { devId } = await ctx.sys.resolve(path);
    if (devices.some((d) => devText(d) === devText(devId))) throw appError('EBADARG', `${path} (${devText(devId)}) is listed twice`, { device: path });
    if ((await ctx.sys.sizeSectors(devId)) === null) {
      throw appError('EBADARG', `${path} (${devText(devId)}) is not a block device of this kernel: v1 would attach a tracker to it anyway`, { device: path });
    }
    devices.push(devId);
  }
  const existing = await snapshotCollect(ctx);
  if (existing.length > 0) {
    throw appError('EGUARD', `v1 allows one snapshot at a time: the module reaches only the newest snapshot, so creating another would strand ${existing.join(', ')} (images, copy-on-write and devices held until the module is unloaded). Destroy it first.`, { existing: existing.join(',') });
  }
  const list = codec.encodeDevIdArray(devices);
  const id = ctx.calls.withMem('SNAPSHOT_CREATE', [list.length], (arg, [buf]) => {
    (buf as NativeMemory).write(list);
    const res = ctx.calls.send('SNAPSHOT_CREATE', codec.encodeSnapshotCreate(devices.length, (buf as NativeMemory).address), arg);
    if (res.ret < 0) {
      throw ctx.calls.fail('SNAPSHOT_CREATE', res, {
        EALREADY: 'a device already belongs to another snapshot (an unreachable older one is freed only by unloading the module)',
        EINVAL: 'a device is listed twice', ENOMEM: 'the module is out of memory',
      });
    }
    return codec.decodeSnapshotCreateId(arg.read());
  });
  const s = stateOf(ctx.snapshots, id);
  s.devices = devices;
  s.limitSectors = request.diffStorageLimitSectors;
  return id;
}

export async function snapshotTake(ctx: V1Context, id: string): Promise<void> {
  const key = normalizeId(id);
  const s = ctx.snapshots.get(key);
  if (s && s.appendedSectors === 0) {
    throw appError('EGUARD', `snapshot ${key} has no difference storage yet: v1 TAKE would fail (EFAULT) and destroy the snapshot. Answer its first low_free_space event with storage (the stretch service does) before taking it.`, { snapshotId: key });
  }
  ctx.calls.withMem('SNAPSHOT_TAKE', [], (arg) => {
    const res = ctx.calls.send('SNAPSHOT_TAKE', codec.encodeSnapshotId(key), arg);
    if (res.ret < 0) {
      const destroyed = res.errnoName !== 'EALREADY' && res.errnoName !== 'ESRCH';
      if (destroyed) ctx.snapshots.delete(key);
      const suffix = destroyed ? '; v1 destroys a snapshot whose TAKE fails, so it is gone' : '';
      throw ctx.calls.fail('SNAPSHOT_TAKE', res, {
        ESRCH: 'no such snapshot', EALREADY: 'the snapshot is already taken',
        EFAULT: `a device's difference area is corrupted or the storage is empty${suffix}`,
        ENODEV: `the snapshot has no devices${suffix}`, ENOMEM: `the module is out of memory${suffix}`,
      }, { snapshotId: key, destroyed });
    }
  });
  stateOf(ctx.snapshots, key).taken = true;
}

export async function snapshotCollect(ctx: V1Context): Promise<string[]> {
  return ctx.calls.collect({
    name: 'SNAPSHOT_COLLECT', encode: codec.encodeSnapshotCollect, count: codec.decodeCount,
    entryBytes: 16, decode: codec.decodeIds, slack: 4, changed: 'ENODATA',
    gaveUp: 'SNAPSHOT_COLLECT: the number of snapshots kept changing',
  });
}

export async function snapshotDestroy(ctx: V1Context, id: string): Promise<void> {
  const key = normalizeId(id);
  ctx.calls.withMem('SNAPSHOT_DESTROY', [], (arg) => {
    const res = ctx.calls.send('SNAPSHOT_DESTROY', codec.encodeSnapshotId(key), arg);
    if (res.ret < 0) throw ctx.calls.fail('SNAPSHOT_DESTROY', res, { ENODEV: 'no such snapshot (v1 answers ENODEV for an unknown id)' }, { snapshotId: key });
  });
  ctx.snapshots.delete(key);
}

/** COLLECT_IMAGES of the snapshot: null when it is not taken (ENODEV) or gone (ESRCH). */
function collectImages(ctx: V1Context, id: string): codec.V1ImageInfo[] | null {
  return ctx.calls.collect({
    name: 'SNAPSHOT_COLLECT_IMAGES', encode: (capacity, address) => codec.encodeCollectImages(id, capacity, address),
    count: codec.decodeCollectImagesCount, entryBytes: V1_STRUCT.blk_snap_image_info.size, decode: codec.decodeImageInfos,
    slack: 0, changed: 'ENODATA', absent: ['ENODEV', 'ESRCH'],
    gaveUp: 'SNAPSHOT_COLLECT_IMAGES: the number of images kept changing',
  });
}

/**
 * v1 has no SNAPSHOTINFO: the image comes from COLLECT_IMAGES (veeamblksnapimg<minor>), the
 * error code from the corrupted events this client saw (−errno, else 0: the module keeps it).
 */
export async function snapshotInfo(ctx: V1Context, device: string): Promise<SnapshotDeviceInfo> {
  const { devId } = await ctx.sys.resolve(device);
  const key = devText(devId);
  const known = [...ctx.snapshots.values()].filter((s) => s.devices.some((d) => devText(d) === key)).map((s) => s.id);
  const candidates = known.length ? known : await snapshotCollect(ctx);
  for (const id of candidates) {
    const images = collectImages(ctx, id);
    const own = images?.find((i) => devText(i.orig) === key);
    const err = ctx.snapshots.get(id)?.corrupted.get(key);
    if (own || err !== undefined) {
      return { errorCode: err ? -err : 0, image: own ? imageName(ctx.variant, own.image.minor) : '' };
    }
  }
  return { errorCode: 0, image: '' };
}
