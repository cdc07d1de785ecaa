// The tracker ioctls (the module's tracker.c and cbt_map.c ioctls, spec §2): attach and detach
// the filter, CBT info, reading the map and marking ranges dirty, with each dialect's answers.
import { appError, errnoError } from '../../../shared/errors';
import type { CbtInfo, SectorRange, SnapshotDeviceInfo } from '../../../shared/schemas';
import { v1HasNoAttach } from '../sentences';
import { CbtMap } from './cbt-map';
import { deviceNameOf, type EmulatorCore } from './core';

/** The one filter the module registers; the module interface names it in every filter call (spec §1). */
export const FILTER_NAME = 'blksnap';

/** The module compares the 32-byte name field with strncmp: up to a NUL, at most 32 bytes. */
export function sameFilterName(name: string): boolean {
  const cut = name.indexOf('\0');
  return Buffer.from(cut < 0 ? name : name.slice(0, cut)).subarray(0, 32).toString() === FILTER_NAME;
}

/** A name given by a raw client must fit the 32-byte field (the kernel client refuses longer ones too). */
export function checkFilterName(name: string): void {
  if (Buffer.byteLength(name) > 32) throw appError('EBADARG', `the filter name "${name}" does not fit the 32-byte name field`, { filterName: name });
}

function refuseNamedOnV1(core: EmulatorCore, devicePath: string, filterName: string): void {
  if (core.flavour === 'v1' && filterName !== FILTER_NAME) {
    throw appError('EUNSUPPORTED', `v1 has no filter calls, so no filter name (${filterName}) can be given for ${devicePath}`, { dialect: 'v1', device: devicePath, filterName });
  }
}

/** BLKFILTER_ATTACH; `filterName` other than "blksnap": no such filter is registered → ENOENT, after the path (spec §2, §5.2; measured on VAL-7.0). */
export function attachTracker(core: EmulatorCore, devicePath: string, filterName = FILTER_NAME): void {
  const op = core.rules.op.attach;
  if (core.flavour === 'v1') {
    throw v1HasNoAttach(devicePath);
  }
  checkFilterName(filterName);
  const image = core.imageAttachRefusal(op, devicePath);
  if (!image) core.filterDevice(op, devicePath); // the path is opened before the name is looked up
  if (!sameFilterName(filterName)) {
    throw errnoError('ENOENT', op, `no filter named "${filterName}" is registered (the module registers "${FILTER_NAME}"); ${devicePath} is unchanged`, { device: devicePath, filterName });
  }
  if (image) throw image;
  const dev = core.filterDevice(op, devicePath);
  if (dev.tracker) throw errnoError('EALREADY', op, `${devicePath} is already tracked by blksnap`, { device: devicePath });
  dev.tracker = CbtMap.create(core.mapPath(dev.name), core.nextTrackerId++, dev.capacityBytes, core.params);
  core.saveState();
}

/** BLKFILTER_DETACH (v1: TRACKER_REMOVE); another filter's name: EINVAL on every v2 dialect, nothing detached (spec §2, §5.2). */
export function detachTracker(core: EmulatorCore, devicePath: string, filterName = FILTER_NAME): void {
  const op = core.rules.op.detach;
  refuseNamedOnV1(core, devicePath, filterName);
  checkFilterName(filterName);
  core.refuseUnknownV1Device(devicePath);
  if (core.flavour === 'v1' && core.locate(devicePath)?.kind === 'image') {
    throw errnoError('ENODATA', op, `${devicePath} is a snapshot image, which is not tracked`, { device: devicePath });
  }
  const dev = core.filterDevice(op, devicePath);
  if (!dev.tracker) {
    throw core.flavour === 'v1'
      ? errnoError('ENODATA', op, `${devicePath} is not tracked`, { device: devicePath })
      : errnoError('ENOENT', op, `${devicePath} has no blksnap filter attached`, { device: devicePath });
  }
  if (!sameFilterName(filterName)) {
    throw errnoError('EINVAL', op, `${devicePath} has the "${FILTER_NAME}" filter, not "${filterName}"; nothing was detached`, { device: devicePath, filterName });
  }
  if (core.flavour === 'v1') {
    const holder = core.holderOf(dev.name);
    if (holder?.taken) {
      throw errnoError('EBUSY', op, `${devicePath} is in the taken snapshot ${holder.id}; destroy it first`, { device: devicePath, snapshotId: holder.id });
    }
  }
  // v2 (spec E3): allowed even in a taken snapshot; its area keeps the old tracker id, so COW stops.
  dev.tracker.remove();
  dev.tracker = null;
  core.rebuildCowIndex();
  core.saveState();
}

export function cbtInfoOf(core: EmulatorCore, devicePath: string): CbtInfo {
  if (core.flavour === 'v1') {
    // v1 has no CBTINFO: TRACKER_COLLECT reads the tracker list fine and the device is not in it,
    // which the kernel client reports as ENOENT, as upstream's CTL CBTINFO does (issue 19, item 11).
    core.refuseUnknownV1Device(devicePath);
    const loc = core.locate(devicePath);
    if (!(loc?.kind === 'device' && loc.device.tracker)) {
      throw errnoError('ENOENT', 'cbtinfo', `${devicePath} is not tracked (on v1 trackers appear at snapshot create)`, { device: devicePath, synthesized: true });
    }
  }
  const map = core.trackerOf(core.rules.op.cbtInfo, devicePath);
  return {
    deviceCapacityBytes: map.capacityBytes, blockSizeBytes: map.blockSizeBytes, blockCount: map.blockCount,
    generationId: map.generation, changesNumber: map.previous,
  };
}

/** CTL SNAPSHOTINFO (v1: from COLLECT_IMAGES, error code unknown → 0). */
export function snapshotInfoOf(core: EmulatorCore, devicePath: string): SnapshotDeviceInfo {
  const op = core.rules.op.info;
  if (core.flavour === 'v1') {
    core.refuseUnknownV1Device(devicePath);
    const loc = core.locate(devicePath);
    // An image is no snapshot's original: COLLECT_IMAGES names it in no pair, as for a free device.
    if (loc?.kind !== 'device') return { errorCode: 0, image: '' };
    const snap = core.holderOf(loc.device.name);
    const area = snap?.state === 'listed' ? snap.areaOf(loc.device.name) : undefined;
    return { errorCode: 0, image: area?.imageName ?? '' };
  }
  const dev = core.filterDevice(op, devicePath);
  if (!dev.tracker) throw errnoError('ENOENT', op, `${devicePath} has no blksnap filter attached`, { device: devicePath });
  const area = core.holderOf(dev.name)?.areaOf(dev.name);
  return area ? { errorCode: area.errorCode, image: area.imageName } : { errorCode: 0, image: '' };
}

export function readCbtMap(core: EmulatorCore, devicePath: string, offsetBlocks: number, lengthBlocks: number): Uint8Array {
  const op = core.rules.op.cbtMap;
  checkU32(op, 'offsetBlocks', offsetBlocks);
  checkU32(op, 'lengthBlocks', lengthBlocks);
  const map = core.trackerOf(op, devicePath);
  const details = { device: devicePath, offsetBlocks, lengthBlocks, blockCount: map.blockCount };
  if (core.flavour === 'v1') {
    const dev = core.devices.get(deviceNameOf(devicePath) ?? '');
    if (!dev || !core.holderOf(dev.name)?.taken) {
      throw errnoError('EPERM', op, `v1 reads the CBT map of ${devicePath} only while it is in a taken snapshot`, details);
    }
    if (map.corrupted) throw errnoError('EFAULT', op, `the CBT map of ${devicePath} is corrupted (the device grew while tracked)`, details);
    if (offsetBlocks >= map.blockCount) {
      throw errnoError('EINVAL', op, `offset ${offsetBlocks} is not below the block count ${map.blockCount}`, details);
    }
    const end = Math.min(map.blockCount, offsetBlocks + lengthBlocks);
    return map.readMap.slice(offsetBlocks, end);
  }
  if (map.corrupted) throw errnoError('EFAULT', op, `the CBT map of ${devicePath} is corrupted (a write past its end); the next take resets it`, details);
  // E1: the module's check wraps for offset > block_count; the emulator answers ENODATA.
  if (offsetBlocks > map.blockCount || lengthBlocks > map.blockCount - offsetBlocks) {
    throw errnoError('ENODATA', op, `blocks ${offsetBlocks}+${lengthBlocks} reach past the map's ${map.blockCount} blocks`, details);
  }
  return map.readMap.slice(offsetBlocks, offsetBlocks + lengthBlocks);
}

export function markDirty(core: EmulatorCore, devicePath: string, ranges: SectorRange[]): void {
  const op = core.rules.op.cbtDirty;
  for (const [i, r] of ranges.entries()) {
    if (!Number.isSafeInteger(r.offsetSectors) || r.offsetSectors < 0 || !Number.isSafeInteger(r.countSectors) || r.countSectors < 0) {
      throw errnoError('ENODATA', op, `range ${i} is not a pair of unsigned sector numbers`, { device: devicePath, range: i });
    }
  }
  if (core.clientGuards) guardDirtyRanges(core, op, devicePath, ranges);
  let map: CbtMap;
  if (core.flavour === 'v1') {
    // An image's dev_t marks its original (spec §6.2).
    core.refuseUnknownV1Device(devicePath);
    const loc = core.locate(devicePath);
    const dev = loc?.kind === 'image' ? core.devices.get(loc.area.device) : loc?.device;
    if (!dev?.tracker) throw errnoError('ENODEV', op, `${devicePath} is not tracked (nor the image of a tracked device)`, { device: devicePath });
    map = dev.tracker;
  } else {
    map = core.trackerOf(op, devicePath);
  }
  const result = map.markDirty(ranges);
  if (result.ok) return;
  if (result.reason === 'corrupted') throw errnoError('EINVAL', op, `the CBT map of ${devicePath} is corrupted`, { device: devicePath });
  const r = ranges[result.rangeIndex] as SectorRange;
  throw errnoError('EINVAL', op, `range ${result.rangeIndex} (sector ${r.offsetSectors}, count ${r.countSectors}) reaches past the end of ${devicePath}; earlier ranges were applied and this one's write map was marked to the map's end`, {
    device: devicePath, range: result.rangeIndex, blockCount: map.blockCount,
  });
}

function guardDirtyRanges(core: EmulatorCore, op: string, devicePath: string, ranges: SectorRange[]): void {
  const loc = core.locate(devicePath);
  const capacity = loc?.kind === 'device' ? loc.device.capacitySectors : loc?.kind === 'image' ? loc.area.capacitySectors : null;
  for (const r of ranges) {
    if (r.countSectors === 0) {
      throw appError('EGUARD', `${op}: a range with count 0 at sector ${r.offsetSectors} is refused before any call (count 0 marks whole maps or fails after partial application: spec §2)`, { device: devicePath });
    }
    if (capacity !== null && r.offsetSectors + r.countSectors > capacity) {
      throw appError('EGUARD', `${op}: range ${r.offsetSectors}+${r.countSectors} ends past ${devicePath}'s ${capacity} sectors; nothing applied (the module would apply the earlier ranges, then fail)`, { device: devicePath, capacitySectors: capacity });
    }
  }
}
function checkU32(op: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw errnoError('ENODATA', op, `${name} ${v} is not an unsigned 32-bit number`, { [name]: v });
}
