// Linux _IOC request numbers (asm-generic/ioctl.h, x86_64): dir 2 bits @30, size 14 bits @16,
// type 8 bits @8, nr 8 bits @0. Tables write numbers as the spec's hex literals; this module
// recomputes them so a test can prove each literal says what its name claims.

export const IOC_NONE = 0;
export const IOC_WRITE = 1;
export const IOC_READ = 2;

export interface IocFields {
  dir: number;
  type: number;
  nr: number;
  size: number;
}

export function ioc({ dir, type, nr, size }: IocFields): number {
  if (size < 0 || size >= 1 << 14) throw new RangeError(`ioctl argument size ${size} does not fit 14 bits`);
  return ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}

export const IOR = (type: number, nr: number, size: number): number => ioc({ dir: IOC_READ, type, nr, size });
export const IOW = (type: number, nr: number, size: number): number => ioc({ dir: IOC_WRITE, type, nr, size });
export const IOWR = (type: number, nr: number, size: number): number => ioc({ dir: IOC_READ | IOC_WRITE, type, nr, size });

export function iocFields(request: number): IocFields {
  return {
    dir: (request >>> 30) & 0x3,
    size: (request >>> 16) & 0x3fff,
    type: (request >>> 8) & 0xff,
    nr: request & 0xff,
  };
}

/** "0xC030128E": how the spec writes a request number. */
export function hex32(request: number): string {
  return `0x${(request >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}
