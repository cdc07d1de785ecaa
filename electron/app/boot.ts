// One place that turns app options into a running backend and service, for the Electron main
// process, the web mode and the CLI alike.
import { mkdirSync } from 'node:fs';
import { startWorkload } from '../control/emulator';
import { kernelDoctorProvider } from '../control/kernel/doctor';
import { selectBackend } from '../control/select';
import type { BlksnapControl } from '../control/types';
import { createService, type BlksnapService } from '../service';
import type { AppOptions } from './options';

export interface Booted {
  control: BlksnapControl;
  service: BlksnapService;
  close(): Promise<void>;
}

export async function bootService(options: Pick<AppOptions, 'emulatorDir' | 'backend' | 'dialect' | 'emulate'>): Promise<Booted> {
  mkdirSync(options.emulatorDir, { recursive: true, mode: 0o700 });
  const control = await selectBackend(options);
  const service = createService(control, {
    dataDir: options.emulatorDir,
    doctor: kernelDoctorProvider(),
    startWorkload,
  });
  let closed = false;
  return {
    control,
    service,
    async close() {
      if (closed) return;
      closed = true;
      await service.close();
      await control.close();
    },
  };
}
