// The v1 dialect (Veeam Agent for Linux 6.x, blk_snap.h): its BlksnapControl, the factory and
// the registry entry.
export { openV1Backend, type V1BackendOptions } from './open';
export { V1Control, v1Capabilities, normalizeId } from './control';
export { V1_NAMES, imageName, type V1Variant } from './names';
export type { V1IoctlPort } from './port';
export { dialect, v1Variant } from './dialect';
