// The names of the API's methods, without their schemas: what a client needs to build one
// function per method. The renderer's first chunk takes these instead of the contract, so it
// carries no zod (test/bench/cold-start.ts). contract.ts fails to compile when this list and
// API name different methods.
export const API_METHODS = [
  'backendInfo', 'doctor', 'parameters', 'listDevices', 'attach', 'detach', 'cbtInfo', 'cbtMap', 'cbtMapLevel', 'markDirty',
  'exportChangedRanges', 'snapshotCreate', 'snapshotAdd', 'snapshotTake', 'snapshotDestroy', 'listSnapshots', 'fillHistory',
  'eventHistory', 'waitEvent', 'changedFilesStart', 'changedFilesPage', 'changedFilesCancel', 'changedFileRanges',
  'changedFileOwner', 'imageFileSystem', 'emuCreateDevice', 'emuRemoveDevice', 'emuWrite', 'emuRead', 'workloadStart', 'workloadStop',
  'workloadList', 'supportBundle',
] as const;

export type ApiMethodName = (typeof API_METHODS)[number];
