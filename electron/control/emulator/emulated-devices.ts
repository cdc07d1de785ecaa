// The emulator's own devices (extras, spec E5): creating, removing and resizing the emulated
// block devices, with the checks a real disk would not need (names, sizes, busy devices).
import { appError, errnoError } from '../../../shared/errors';
import type { BlockDevice } from '../../../shared/schemas';
import type { EmulatorCore } from './core';
import { EmulatedDevice, MAX_DEVICE_BYTES, SECTOR, type DeviceFlags } from './device';

export interface CreateDeviceOptions {
  minIoBytes?: number;
  integrity?: boolean;
  inlineEncryption?: boolean;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const IMAGE_NAME_RE = /^(blksnap-|veeamblksnapimg|vbsnap-|blksnap-image)/;

export function createDevice(core: EmulatorCore, name: string, capacityBytes: number, options: CreateDeviceOptions): BlockDevice {
  if (!NAME_RE.test(name) || IMAGE_NAME_RE.test(name)) {
    throw appError('EBADARG', `"${name}" is not a usable device name: 1–32 letters, digits, '.', '_' or '-', not starting like an image name (blksnap-, veeamblksnapimg, vbsnap-)`, { name });
  }
  if (core.devices.has(name)) throw errnoError('EEXIST', 'createDevice', `/dev/${name} already exists`, { device: `/dev/${name}` });
  if (!Number.isSafeInteger(capacityBytes) || capacityBytes <= 0 || capacityBytes % SECTOR !== 0 || capacityBytes > MAX_DEVICE_BYTES) {
    throw appError('EBADARG', `capacity ${capacityBytes} bytes must be a positive multiple of 512 up to 16 TiB`, { name, capacityBytes });
  }
  const minIo = options.minIoBytes ?? SECTOR;
  if (!Number.isSafeInteger(minIo) || minIo < SECTOR || (minIo & (minIo - 1)) !== 0) {
    throw appError('EBADARG', `minimum I/O size ${minIo} must be a power of two of at least 512 bytes`, { name });
  }
  const flags: DeviceFlags = { minIoBytes: minIo, integrity: options.integrity ?? false, inlineEncryption: options.inlineEncryption ?? false };
  const dev = EmulatedDevice.create(name, core.nextMinor++, capacityBytes, flags, core.devicePath(name));
  core.devices.set(name, dev);
  core.saveState();
  return core.blockDevice(dev);
}

export function removeDevice(core: EmulatorCore, name: string): void {
  const dev = core.devices.get(name);
  if (!dev) throw errnoError('ENOENT', 'removeDevice', `/dev/${name} does not exist`, { device: `/dev/${name}` });
  const user = core.storageUser(dev.path);
  const busy = dev.tracker ? 'it is tracked (detach it first)'
    : core.holderOf(name) ? `it is in snapshot ${core.holderOf(name)?.id}` : user ? `it holds the difference storage of snapshot ${user.id}` : null;
  if (busy) throw errnoError('EBUSY', 'removeDevice', `/dev/${name} cannot be removed: ${busy}`, { device: dev.path });
  dev.removeFiles();
  core.devices.delete(name);
  core.saveState();
}

/** Changes an emulated device's capacity (a resize while tracked corrupts or resets its CBT). */
export function resizeDevice(core: EmulatorCore, name: string, capacityBytes: number): BlockDevice {
  const dev = core.devices.get(name);
  if (!dev) throw errnoError('ENOENT', 'resizeDevice', `/dev/${name} does not exist`, { device: `/dev/${name}` });
  if (!Number.isSafeInteger(capacityBytes) || capacityBytes <= 0 || capacityBytes % SECTOR !== 0 || capacityBytes > MAX_DEVICE_BYTES) {
    throw appError('EBADARG', `capacity ${capacityBytes} bytes must be a positive multiple of 512 up to 16 TiB`, { name, capacityBytes });
  }
  dev.resize(capacityBytes);
  core.saveState();
  return core.blockDevice(dev);
}
