// The file-backed emulator of the blksnap module: the default backend wherever the module is
// absent (design.md, layer 1). createEmulator opens (or creates) a state directory it then owns.
import { Emulator, type EmulatorOptions } from './emulator';

export { Emulator } from './emulator';
export type { CreateDeviceOptions, EmulatorFault, EmulatorOptions, ImageInfo } from './emulator';
export { FLAVOURS, FLAVOUR_RULES, type Flavour } from './flavours';
export { defaultParameters } from './parameters';
export { readStateOwner, type StateOwner } from './state-lock';
export { startWorkload, type WorkloadHandle } from './workload';
export { DEVICE_MAJOR, IMAGE_MAJOR, MAX_DEVICE_BYTES } from './device';

/**
 * Opens the emulator on a state directory (created if missing), taking its owner lock.
 * Throws EBUSY naming the pid when another live process owns the directory.
 */
export function createEmulator(opts: EmulatorOptions): Promise<Emulator> {
  return Emulator.open(opts);
}
