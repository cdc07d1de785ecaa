// The difference-storage "stretch" service (spec §6.4) and its storage allocators.
export { StretchService, type StretchServiceOptions, type StretchStatus, type StretchFile, type CleanupResult } from './service';
export { KernelRangeAllocator, checkSectorAddressed, type KernelRangeAllocatorOptions } from './kernel-allocator';
export { EmulatorRangeAllocator } from './emulator-allocator';
export type { RangeAllocator, AllocatedStorage, StretchAppEvent } from './types';
export { LEGACY_MANIFEST_NAME, manifestName } from './manifest';
export { attachStretchCoordinator, type StretchCoordinator, type StretchCoordinatorOptions } from './coordinator';
