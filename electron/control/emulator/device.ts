// An emulated block device: a sparse file of the device's capacity in the state directory,
// addressed as /dev/<name> with a fixed emulated major and an allocated minor.
import * as fs from 'node:fs';
import type { CbtMap } from './cbt-map';

/** Emulated major numbers (the block major range 240–254 is for local/experimental use). */
export const DEVICE_MAJOR = 252;
export const IMAGE_MAJOR = 251;
export const SECTOR = 512;
/** Sparse files up to 16 TiB are supported (ext4's file size limit with 4 KiB blocks). */
export const MAX_DEVICE_BYTES = 16 * 2 ** 40;

export interface DeviceFlags {
  /** Minimum I/O size in bytes (raises the chunk size at take, §3.4). */
  minIoBytes: number;
  /** Emulated integrity metadata / inline encryption: SNAPSHOTADD refuses with EPERM (E2). */
  integrity: boolean;
  inlineEncryption: boolean;
}

export class EmulatedDevice {
  tracker: CbtMap | null = null;

  constructor(
    readonly name: string,
    readonly minor: number,
    public capacitySectors: number,
    readonly flags: DeviceFlags,
    readonly backingPath: string,
    readonly fd: number,
  ) {}

  static create(name: string, minor: number, capacityBytes: number, flags: DeviceFlags, backingPath: string): EmulatedDevice {
    const fd = fs.openSync(backingPath, 'w+');
    fs.ftruncateSync(fd, capacityBytes);
    return new EmulatedDevice(name, minor, capacityBytes / SECTOR, flags, backingPath, fd);
  }

  static open(name: string, minor: number, capacitySectors: number, flags: DeviceFlags, backingPath: string): EmulatedDevice {
    const fd = fs.openSync(backingPath, 'r+');
    if (fs.fstatSync(fd).size !== capacitySectors * SECTOR) fs.ftruncateSync(fd, capacitySectors * SECTOR);
    return new EmulatedDevice(name, minor, capacitySectors, flags, backingPath, fd);
  }

  get path(): string {
    return `/dev/${this.name}`;
  }

  get capacityBytes(): number {
    return this.capacitySectors * SECTOR;
  }

  resize(capacityBytes: number): void {
    fs.ftruncateSync(this.fd, capacityBytes);
    this.capacitySectors = capacityBytes / SECTOR;
  }

  /** Reads bytes; a short read (never happens within the capacity) is zero-filled. */
  readInto(buf: Uint8Array, offsetBytes: number): void {
    readFull(this.fd, buf, offsetBytes);
  }

  writeFrom(buf: Uint8Array, offsetBytes: number): void {
    writeFull(this.fd, buf, offsetBytes);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

export function readFull(fd: number, buf: Uint8Array, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const n = fs.readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) {
      buf.fill(0, done);
      return;
    }
    done += n;
  }
}

export function writeFull(fd: number, buf: Uint8Array, position: number): void {
  let done = 0;
  while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
}
