// The storage policy (storagePolicy.ts) wired to what the service knows: the backend's devices,
// which are in snapshots, and the storage files this app created. Used by snapshot create for
// every backend, so the kernel module is never handed a path the policy refuses.
import { rmSync, statSync } from 'node:fs';
import type { SnapshotCreateRequest, StorageMode } from '../../shared/schemas';
import { isEmulator, type BlksnapControl } from '../control/types';
import type { Devices } from './devices';
import type { OwnedStorage } from './ownedStorage';
import { admitStoragePath, type AdmittedStorage } from './storagePolicy';

export interface AdmittedRequest {
  /** The request as the backend gets it: the storage's real path, no service-only fields. */
  request: SnapshotCreateRequest;
  /** How the backend holds the storage: the path's kind, or ranges where no path is given. */
  mode: StorageMode;
  /** After a successful create: a storage file is recorded as ours. */
  commit(): void;
  /** After a failed create: a file this call created is removed again. */
  abandon(): void;
}

export class StorageGate {
  constructor(
    private readonly control: BlksnapControl,
    private readonly devices: Devices,
    private readonly owned: OwnedStorage,
  ) {}

  async admit(request: SnapshotCreateRequest & { forceStorageDevice?: boolean }): Promise<AdmittedRequest> {
    const { forceStorageDevice = false, ...rest } = request;
    if (rest.diffStoragePath === null) return { request: rest, mode: 'ranges', commit: () => undefined, abandon: () => undefined };
    const control = this.control;
    const admitted: AdmittedStorage = await admitStoragePath(
      { path: rest.diffStoragePath, forceStorageDevice, directoryOnly: control.info.dialect === 'v1' },
      {
        devices: await control.listDevices(),
        emulated: isEmulator(control),
        inSnapshot: async (device) => (await this.devices.holderOf(device)) !== null,
        readEmulated: (device, bytes) => (isEmulator(control) ? control.read(device, 0, bytes) : Promise.resolve(new Uint8Array(0))),
        isOurs: (real, st) => this.owned.isOurs(real, st),
      },
    );
    return {
      request: { ...rest, diffStoragePath: admitted.path },
      mode: admitted.kind,
      commit: () => {
        if (admitted.kind !== 'file') return;
        try {
          this.owned.record(admitted.path, statSync(admitted.path));
        } catch {
          // Gone already (destroyed at once): nothing to remember.
        }
      },
      abandon: () => {
        if (admitted.created) rmSync(admitted.path, { force: true });
      },
    };
  }
}
