// Emulator-only calls (spec E5): emulated devices and their contents. The kernel backend
// answers EUNSUPPORTED; it does not pretend to have them.
import type { ApiArgs, ApiResult } from '../../shared/contract';
import { appError } from '../../shared/errors';
import { isEmulator, type BlksnapControl, type EmulatorControl } from '../control/types';
import type { Notices } from './notices';

/** The control as the emulator, or EUNSUPPORTED naming the operation. */
export function requireEmulator(control: BlksnapControl, operation: string): EmulatorControl {
  if (isEmulator(control)) return control;
  throw appError('EUNSUPPORTED', `${operation} works on the emulator only; the kernel module has no such operation`, { operation, backend: control.info.kind });
}

export class EmulatedDevices {
  constructor(
    private readonly control: BlksnapControl,
    private readonly notices: Notices,
    private readonly refresh: () => Promise<void>,
  ) {}

  async create({ name, sizeBytes }: ApiArgs<'emuCreateDevice'>): Promise<ApiResult<'emuCreateDevice'>> {
    const device = await requireEmulator(this.control, 'emuCreateDevice').createDevice(name, sizeBytes);
    this.notices.app('info', 'emulator', `Emulated device ${device.path} created`, { device: device.path });
    await this.refresh();
    return device;
  }

  async remove({ name }: ApiArgs<'emuRemoveDevice'>): Promise<ApiResult<'emuRemoveDevice'>> {
    await requireEmulator(this.control, 'emuRemoveDevice').removeDevice(name);
    this.notices.app('info', 'emulator', `Emulated device ${name} removed`, {});
    await this.refresh();
    return { ok: true };
  }

  async write({ path, offsetBytes, data }: ApiArgs<'emuWrite'>): Promise<ApiResult<'emuWrite'>> {
    await requireEmulator(this.control, 'emuWrite').write(path, offsetBytes, data);
    return { ok: true };
  }

  async read({ path, offsetBytes, lengthBytes }: ApiArgs<'emuRead'>): Promise<ApiResult<'emuRead'>> {
    return requireEmulator(this.control, 'emuRead').read(path, offsetBytes, lengthBytes);
  }
}
