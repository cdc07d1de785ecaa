// Backend selection (design.md): the kernel when a module's control node exists, opens and its
// dialect is recognised; otherwise the emulator. The chosen backend says which and why.
// The kernel clients (the dialects' request tables, the probe) are loaded only where a module's
// files exist or --backend kernel asks for them: on the emulator they are never used, and they
// were up to tens of ms of every blksnapctl call's start on a loaded machine.
// The emulator models the module (no client guards): the service above guards both backends
// alike (a second v1 snapshot, a v1 TAKE without storage, count-0 and past-the-end dirty ranges).
import type { DialectId } from '../../shared/schemas';
import { appError } from '../../shared/errors';
import { createEmulator } from './emulator';
import { KernelEnv } from './kernel/env';
import { findModuleNodes } from './kernel/nodes';
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
  const kernel = () => import('./kernel/probe');
  if (options.backend === 'kernel') return (await kernel()).openKernelBackend(options.dialect ? { dialect: options.dialect } : {});
  if (options.dialect) {
    throw appError('EBADARG', `--dialect ${options.dialect} applies to the kernel backend: add --backend kernel`, { dialect: options.dialect });
  }

  const files = findModuleNodes(new KernelEnv());
  if (!files.nodes) return emulator(`${files.reason}; using the emulator`);
  const { openKernelBackend, probeKernel } = await kernel();
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
