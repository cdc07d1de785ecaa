// An emulated block device: a sparse file of the device's capacity in the state directory,
// addressed as /dev/<name> with a fixed emulated major and an allocated minor.
import * as fs from 'node:fs';
import type { CbtMap } from './cbt-map';
import { fileHints } from './file-hints';

/** Emulated major numbers (the block major range 240–254 is for local/experimental use). */
export const DEVICE_MAJOR = 252;
export const IMAGE_MAJOR = 251;
export const SECTOR = 512;
export const MAX_DEVICE_BYTES = 16 * 2 ** 40;
/** Backing files are split in 4 TiB segments: ext4 caps a file just below 16 TiB. */
export const SEGMENT_BYTES = 4 * 2 ** 40;

/** Positional I/O on a file or an emulated device. */
export interface BlockIo {
  readInto(buf: Uint8Array, offsetBytes: number): void;
  writeFrom(buf: Uint8Array, offsetBytes: number): void;
  /** Starts the write-back of bytes written (a hint; see file-hints.ts). */
  startWriteback(offsetBytes: number, lengthBytes: number): void;
  /**
   * The file and offset holding [offsetBytes, +lengthBytes) for the kernel's calls (SEEK_DATA,
   * copy_file_range): null unless one file holds all of it, on a file system they are trusted on.
   */
  fileRange(offsetBytes: number, lengthBytes: number): FileRange | null;
}

export interface FileRange { fd: number; offsetBytes: number }

export class FileIo implements BlockIo {
  /** Whether the kernel's calls are trusted on this file's file system (asked once). */
  private kernelCopy: boolean | undefined;
  constructor(readonly fd: number) {}
  readInto(buf: Uint8Array, offsetBytes: number): void {
    readFull(this.fd, buf, offsetBytes);
  }
  writeFrom(buf: Uint8Array, offsetBytes: number): void {
    writeFull(this.fd, buf, offsetBytes);
  }
  startWriteback(offsetBytes: number, lengthBytes: number): void {
    fileHints.startWriteback(this.fd, offsetBytes, lengthBytes);
  }
  fileRange(offsetBytes: number): FileRange | null {
    this.kernelCopy ??= fileHints.trustsKernelCopy(this.fd);
    return this.kernelCopy ? { fd: this.fd, offsetBytes } : null;
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}

export interface DeviceFlags {
  /** Minimum I/O size in bytes (raises the chunk size at take, §3.4). */
  minIoBytes: number;
  /** Emulated integrity metadata / inline encryption: SNAPSHOTADD refuses with EPERM (E2). */
  integrity: boolean;
  inlineEncryption: boolean;
}

export class EmulatedDevice implements BlockIo {
  tracker: CbtMap | null = null;
  /** One fd per 4 TiB segment: <name>.img, <name>.img.1, ... */
  private fds: number[] = [];
  /** Per segment: whether the kernel's calls are trusted on its file system. */
  private kernelCopy: boolean[] = [];

  private constructor(
    readonly name: string,
    readonly minor: number,
    public capacitySectors: number,
    readonly flags: DeviceFlags,
    readonly backingPath: string,
  ) {}

  static create(name: string, minor: number, capacityBytes: number, flags: DeviceFlags, backingPath: string): EmulatedDevice {
    const dev = new EmulatedDevice(name, minor, 0, flags, backingPath);
    dev.resize(capacityBytes, true);
    return dev;
  }

  static open(name: string, minor: number, capacitySectors: number, flags: DeviceFlags, backingPath: string): EmulatedDevice {
    const dev = new EmulatedDevice(name, minor, 0, flags, backingPath);
    dev.resize(capacitySectors * SECTOR, false);
    return dev;
  }

  /** Every backing file of the device (segments past the first exist only above 4 TiB). */
  static backingFiles(backingPath: string, capacityBytes: number): string[] {
    const n = Math.max(1, Math.ceil(capacityBytes / SEGMENT_BYTES));
    return Array.from({ length: n }, (_, i) => (i === 0 ? backingPath : `${backingPath}.${i}`));
  }

  get path(): string {
    return `/dev/${this.name}`;
  }

  get capacityBytes(): number {
    return this.capacitySectors * SECTOR;
  }

  resize(capacityBytes: number, fresh = false): void {
    const files = EmulatedDevice.backingFiles(this.backingPath, capacityBytes);
    for (const [i, file] of files.entries()) {
      this.fds[i] ??= fs.openSync(file, fresh || !fs.existsSync(file) ? 'w+' : 'r+');
      this.kernelCopy[i] ??= fileHints.trustsKernelCopy(this.fds[i] as number);
      const size = Math.min(SEGMENT_BYTES, capacityBytes - i * SEGMENT_BYTES);
      if (fs.fstatSync(this.fds[i] as number).size !== size) fs.ftruncateSync(this.fds[i] as number, size);
    }
    for (let i = files.length; i < this.fds.length; i++) {
      fs.closeSync(this.fds[i] as number);
      fs.rmSync(`${this.backingPath}.${i}`, { force: true });
    }
    this.fds.length = files.length;
    this.kernelCopy.length = files.length;
    this.capacitySectors = capacityBytes / SECTOR;
  }

  /** Reads bytes; a short read (never happens within the capacity) is zero-filled. */
  readInto(buf: Uint8Array, offsetBytes: number): void {
    this.segmented(buf, offsetBytes, readFull);
  }

  writeFrom(buf: Uint8Array, offsetBytes: number): void {
    this.segmented(buf, offsetBytes, writeFull);
  }

  startWriteback(offsetBytes: number, lengthBytes: number): void {
    for (let at = offsetBytes; at < offsetBytes + lengthBytes;) {
      const seg = Math.floor(at / SEGMENT_BYTES);
      const within = at - seg * SEGMENT_BYTES;
      const len = Math.min(SEGMENT_BYTES - within, offsetBytes + lengthBytes - at);
      fileHints.startWriteback(this.fds[seg] as number, within, len);
      at += len;
    }
  }

  /** Within one segment and within the capacity only (a read past the end zero-fills instead). */
  fileRange(offsetBytes: number, lengthBytes: number): FileRange | null {
    const seg = Math.floor(offsetBytes / SEGMENT_BYTES);
    const within = offsetBytes - seg * SEGMENT_BYTES;
    if (within + lengthBytes > SEGMENT_BYTES || offsetBytes + lengthBytes > this.capacityBytes || !this.kernelCopy[seg]) return null;
    return { fd: this.fds[seg] as number, offsetBytes: within };
  }

  private segmented(buf: Uint8Array, offsetBytes: number, io: (fd: number, b: Uint8Array, pos: number) => void): void {
    const seg = Math.floor(offsetBytes / SEGMENT_BYTES);
    const within = offsetBytes - seg * SEGMENT_BYTES;
    if (within + buf.length <= SEGMENT_BYTES) {
      io(this.fds[seg] as number, buf, within);
      return;
    }
    const first = SEGMENT_BYTES - within;
    io(this.fds[seg] as number, buf.subarray(0, first), within);
    this.segmented(buf.subarray(first), offsetBytes + first, io);
  }

  close(): void {
    for (const fd of this.fds) fs.closeSync(fd);
    this.fds = [];
  }

  removeFiles(): void {
    const n = this.fds.length;
    this.close();
    for (let i = 0; i < n; i++) fs.rmSync(i === 0 ? this.backingPath : `${this.backingPath}.${i}`, { force: true });
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
