// Backend selection (design.md): the kernel when a module's control node exists, opens and its
// dialect is recognised; otherwise the emulator. The chosen backend says which and why.
// The emulator models the module (no client guards): the service above guards both backends
// alike (a second v1 snapshot, a v1 TAKE without storage, count-0 and past-the-end dirty ranges).
import type { DialectId } from '../../shared/schemas';
import { appError } from '../../shared/errors';
import { createEmulator } from './emulator';
import { openKernelBackend, probeKernel } from './kernel/probe';
import type { BlksnapControl } from './types';
import type { BackendChoice, EmulatedFlavour } from '../app/options';

export interface SelectOptions {
  backend: BackendChoice;
  dialect: DialectId | null;
  emulate: EmulatedFlavour;
  emulatorDir: string;
}

/** The same control with another `info.reason`: the emulator does not know why it was chosen. */
function withReason(control: BlksnapControl, reason: string): BlksnapControl {
  // The emulator's crash-recovery notes (unclean shutdown, torn journal, reset maps) stay visible.
  const notes = 'recoveryNotes' in control && Array.isArray(control.recoveryNotes) ? (control.recoveryNotes as string[]) : [];
  const info = { ...control.info, reason: notes.length > 0 ? `${reason}; reopened after repair: ${notes.join('; ')}` : reason };
  return new Proxy(control, {
    get(target, prop) {
      if (prop === 'info') return info;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export async function selectBackend(options: SelectOptions): Promise<BlksnapControl> {
  const emulator = (reason: string) =>
    createEmulator({ stateDir: options.emulatorDir, flavour: options.emulate }).then((c) => withReason(c, reason));

  if (options.backend === 'emulator') return emulator('--backend emulator was given');
  if (options.backend === 'kernel') return openKernelBackend(options.dialect ? { dialect: options.dialect } : {});
  if (options.dialect) {
    throw appError('EBADARG', `--dialect ${options.dialect} applies to the kernel backend: add --backend kernel`, { dialect: options.dialect });
  }

  const probe = probeKernel();
  if (probe.dialect) {
    try {
      return await openKernelBackend({ dialect: probe.dialect });
    } catch (err) {
      return emulator(`the blksnap module (${probe.dialect}) was found but could not be opened: ${(err as Error).message}; using the emulator`);
    }
  }
  return emulator(`${probe.reasons.join('; ') || 'no blksnap module found'}; using the emulator`);
}
