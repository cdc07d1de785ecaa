// The stretch service's parts: where its storage comes from (a RangeAllocator) and what it
// reports (app events of kind 'stretch').
import type { AppEvent } from '../../../shared/contract';
import type { SectorRange } from '../../../shared/schemas';

/** An app event as the service layer receives it; it assigns `seq`. */
export type StretchAppEvent = Omit<AppEvent, 'seq'>;

export interface AllocatedStorage {
  /** What appendStorage gets: a /dev path (or M:m) for the kernel, the file itself for the emulator. */
  device: string;
  ranges: SectorRange[];
  /** Extents the file was mapped from (1 for the emulator). */
  extents: number;
  /** The file got the immutable attribute (kernel allocator): nothing can move or delete it. */
  immutable?: boolean;
}

export interface RangeAllocator {
  readonly name: string;
  /** Refuses a directory whose files cannot serve as storage. */
  checkDirectory(directory: string): Promise<void>;
  /** Creates `path` (O_CREAT|O_EXCL|O_RDWR, 0600) of `sizeBytes` and returns the ranges to append. */
  allocate(path: string, sizeBytes: number): Promise<AllocatedStorage>;
}
