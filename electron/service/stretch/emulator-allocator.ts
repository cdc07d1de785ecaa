// Storage for the emulator's range flavours: the emulator accepts a regular file's path in
// appendStorage and writes into it, so a file is one range {0, size/512} on its own path.
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { appError } from '../../../shared/errors';
import type { AllocatedStorage, RangeAllocator } from './types';

export class EmulatorRangeAllocator implements RangeAllocator {
  readonly name = 'emulator';

  async checkDirectory(directory: string): Promise<void> {
    const st = await stat(directory).catch(() => null);
    if (!st?.isDirectory()) throw appError('EBADARG', `${directory} is not a directory`, { directory });
  }

  async allocate(path: string, sizeBytes: number): Promise<AllocatedStorage> {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % 512) {
      throw appError('EBADARG', `storage size ${sizeBytes} is not a positive multiple of 512 bytes`);
    }
    const handle = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR, 0o600);
    try {
      await handle.truncate(sizeBytes);
    } finally {
      await handle.close();
    }
    return { device: path, ranges: [{ offsetSectors: 0, countSectors: sizeBytes / 512 }], extents: 1 };
  }
}
