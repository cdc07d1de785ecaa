// One place that turns app options into a running backend and service, for the Electron main
// process, the web mode and the CLI alike.
import { startWorkload } from '../control/emulator';
import { selectBackend } from '../control/select';
import type { BlksnapControl } from '../control/types';
import { createService, type BlksnapService } from '../service';
import { defaultDoctor } from '../service/doctor';
import { attachStretchCoordinator, EmulatorRangeAllocator, KernelRangeAllocator, type StretchCoordinator } from '../service/stretch';
import type { AppOptions } from './options';
import { ensureStateDir } from './stateFiles';

export interface Booted {
  control: BlksnapControl;
  service: BlksnapService;
  close(): Promise<void>;
}

export async function bootService(options: Pick<AppOptions, 'emulatorDir' | 'backend' | 'dialect' | 'emulate'>): Promise<Booted> {
  ensureStateDir(options.emulatorDir);
  const control = await selectBackend(options);
  const service = createService(control, {
    dataDir: options.emulatorDir,
    // The kernel doctor (loaded only when a doctor is asked for), plus the emulator's row on the emulator.
    doctor: defaultDoctor,
    startWorkload,
  });
  // v1 asks user space for storage with low_free_space events: answer them (spec §6.4).
  let stretch: StretchCoordinator | null = null;
  if (control.info.dialect === 'v1') {
    const allocator = control.info.kind === 'kernel' ? new KernelRangeAllocator() : new EmulatorRangeAllocator();
    stretch = await attachStretchCoordinator(service, { allocator });
  }
  let closed = false;
  return {
    control,
    service,
    async close() {
      if (closed) return;
      closed = true;
      await stretch?.close();
      await service.close();
      await control.close();
    },
  };
}
