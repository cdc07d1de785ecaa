// What the kernel backend touches outside itself, injectable for tests: the syscalls (open,
// close, ioctl; ffi-rs by default) and a filesystem view with a root prefix for /dev, /sys
// and /proc, so tests can lay out any dialect's fingerprints in a temporary directory.
import { accessSync, constants, readFileSync, readdirSync, statSync, type Stats } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { sysClose, sysIoctl, sysIoctlBlocking, sysOpen, type SyscallResult } from './native';

export interface KernelSys {
  open(path: string, flags: number, mode?: number): SyscallResult;
  close(fd: number): SyscallResult;
  ioctl(fd: number, request: number, argAddress: number): SyscallResult;
  /** For calls that block (WAIT_EVENT): runs off the event loop. */
  ioctlBlocking(fd: number, request: number, argAddress: number): Promise<SyscallResult>;
}

export const nativeSys: KernelSys = {
  open: (path, flags, mode) => sysOpen(path, flags, mode ?? 0),
  close: (fd) => sysClose(fd),
  ioctl: (fd, request, arg) => sysIoctl(fd, request, arg),
  ioctlBlocking: (fd, request, arg) => sysIoctlBlocking(fd, request, arg),
};

export interface KernelEnvOptions {
  /** Prefix for /dev, /sys and /proc (tests); '' on a real system. */
  root?: string;
  sys?: KernelSys;
  /** Overrides `uname -r` (tests). */
  kernelRelease?: string;
}

/** A filesystem view under a root prefix, plus the syscalls. */
export class KernelEnv {
  readonly root: string;
  readonly sys: KernelSys;
  private readonly release: string | undefined;

  constructor(opts: KernelEnvOptions = {}) {
    this.root = opts.root ?? '';
    this.sys = opts.sys ?? nativeSys;
    this.release = opts.kernelRelease;
  }

  /** The real path of an absolute system path ("/dev/bdevfilter") under the root. */
  path(systemPath: string): string {
    return this.root ? join(this.root, systemPath) : systemPath;
  }

  exists(systemPath: string): boolean {
    return this.stat(systemPath) !== null;
  }

  stat(systemPath: string): Stats | null {
    try {
      return statSync(this.path(systemPath));
    } catch {
      return null;
    }
  }

  readText(systemPath: string): string | null {
    try {
      return readFileSync(this.path(systemPath), 'utf8');
    } catch {
      return null;
    }
  }

  list(systemPath: string): string[] {
    try {
      return readdirSync(this.path(systemPath)).sort();
    } catch {
      return [];
    }
  }

  /** Whether this process may open the node read-write. */
  accessible(systemPath: string): boolean {
    try {
      accessSync(this.path(systemPath), constants.R_OK | constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }

  kernelRelease(): string {
    if (this.release !== undefined) return this.release;
    return this.readText('/proc/sys/kernel/osrelease')?.trim() || release();
  }
}

/** "6.15.2-arch1" → [6, 15]; null if unparsable. */
export function kernelBase(releaseText: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(releaseText);
  return m ? [Number(m[1]), Number(m[2])] : null;
}
