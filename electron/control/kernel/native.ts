// libc through ffi-rs: open/close/ioctl and native memory for ioctl argument structs.
// Every struct the kernel reads or writes lives in malloc'd memory, so the addresses we embed
// in structs (paths, maps, id arrays) stay valid for the call and kernel writes are read back
// with memcpy (ffi-rs copies typed arrays, so they must not be handed to the kernel directly).
import { constants } from 'node:fs';
import { createRequire } from 'node:module';
import { errnoName, type ErrnoName } from '../../../shared/errors';

type FfiModule = typeof import('ffi-rs');

let ffi: FfiModule | null = null;
let loadError: Error | null = null;

/** Loads ffi-rs and libc once; throws a clear error where the native addon is missing. */
export function ffiModule(): FfiModule {
  if (ffi) return ffi;
  if (loadError) throw loadError;
  try {
    const require = createRequire(import.meta.url);
    const mod = require('ffi-rs') as FfiModule;
    mod.open({ library: 'libc', path: '' });
    ffi = mod;
    return mod;
  } catch (err) {
    loadError = new Error(`ffi-rs could not be loaded (${(err as Error).message}); the kernel backend needs it`);
    throw loadError;
  }
}

export function ffiAvailable(): boolean {
  try {
    ffiModule();
    return true;
  } catch {
    return false;
  }
}

type Param = { type: number; value: unknown };

function call<T>(funcName: string, retType: number, params: Param[]): T {
  const m = ffiModule();
  return m.load({
    library: 'libc', funcName, retType: retType as never,
    paramsType: params.map((p) => p.type as never), paramsValue: params.map((p) => p.value),
  }) as T;
}

interface ErrnoResult { value: number; errnoCode: number; errnoMessage: string }

function callErrno(funcName: string, retType: number, params: Param[]): ErrnoResult {
  const m = ffiModule();
  return m.load({
    library: 'libc', funcName, retType: retType as never, errno: true as const,
    paramsType: params.map((p) => p.type as never), paramsValue: params.map((p) => p.value),
  }) as unknown as ErrnoResult;
}

async function callErrnoThread(funcName: string, retType: number, params: Param[]): Promise<ErrnoResult> {
  const m = ffiModule();
  return (await m.load({
    library: 'libc', funcName, retType: retType as never, errno: true as const, runInNewThread: true as const,
    paramsType: params.map((p) => p.type as never), paramsValue: params.map((p) => p.value),
  })) as unknown as ErrnoResult;
}

const T = () => ffiModule().DataType;

/** The outcome of a syscall: ret ≥ 0 on success, else ret = -1 and errno set. */
export interface SyscallResult {
  ret: number;
  errno: number;
  /** Name of errno, e.g. "ENOTTY"; null on success. */
  errnoName: ErrnoName | null;
}

function toResult(r: ErrnoResult): SyscallResult {
  if (r.value >= 0) return { ret: r.value, errno: 0, errnoName: null };
  const name = errnoName(r.errnoCode) ?? null;
  return { ret: r.value, errno: r.errnoCode, errnoName: name };
}

/** A block of malloc'd memory. Free it (or use withNative) when done. */
export class NativeMemory {
  readonly address: number;
  readonly size: number;
  private freed = false;

  constructor(size: number) {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`native buffer size ${size} is not a positive integer`);
    const addr = call<number>('calloc', T().I64, [{ type: T().I64, value: 1 }, { type: T().I64, value: size }]);
    if (!addr) throw new Error(`calloc(${size}) failed`);
    this.address = addr;
    this.size = size;
  }

  /** Copies `bytes` into native memory at `offset`. */
  write(bytes: Uint8Array, offset = 0): void {
    this.check(offset, bytes.length);
    if (bytes.length === 0) return;
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    call('memcpy', T().I64, [{ type: T().I64, value: this.address + offset }, { type: T().U8Array, value: buf }, { type: T().I64, value: buf.length }]);
  }

  /** Copies `length` bytes out of native memory from `offset`. */
  read(length = this.size, offset = 0): Buffer {
    this.check(offset, length);
    const out = Buffer.alloc(length);
    if (length === 0) return out;
    call('memcpy', T().I64, [{ type: T().U8Array, value: out }, { type: T().I64, value: this.address + offset }, { type: T().I64, value: length }]);
    return out;
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    call('free', T().Void, [{ type: T().I64, value: this.address }]);
  }

  private check(offset: number, length: number): void {
    if (this.freed) throw new Error('native buffer used after free');
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`native buffer access [${offset}, ${offset + length}) outside its ${this.size} bytes`);
    }
  }
}

/** Allocates native buffers for the duration of `fn`, freeing them afterwards. */
export async function withNative<R>(sizes: number[], fn: (mem: NativeMemory[]) => Promise<R> | R): Promise<R> {
  const mem: NativeMemory[] = [];
  try {
    for (const s of sizes) mem.push(new NativeMemory(s));
    return await fn(mem);
  } finally {
    for (const m of mem) m.free();
  }
}

/** NUL-terminated UTF-8 of a path, for char* fields. */
export function cString(text: string): Buffer {
  return Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0])]);
}

export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
/** This platform's value (Node's): 0o40000 on x86_64, 0o200000 on arm64, 0o400000 on ppc64. */
export const O_DIRECT = constants.O_DIRECT;
/**
 * What the upstream tool passes: 0o100000 on x86 (0o400000 on 32-bit arm). A 64-bit kernel sets
 * it itself for a 64-bit process, and the bit means something else elsewhere (0o100000 is
 * O_NOFOLLOW on arm64 and ppc64), so other platforms pass nothing.
 */
export const O_LARGEFILE = ({ x64: 0o100000, ia32: 0o100000, arm: 0o400000 } as Partial<Record<string, number>>)[process.arch] ?? 0;

/**
 * O_TMPFILE for a platform whose O_DIRECTORY is `oDirectory`: Linux defines it as __O_TMPFILE
 * (0o20000000 on x86_64, arm64, ppc64, s390x, riscv64, loong64) | O_DIRECTORY, and O_DIRECTORY
 * differs (0o200000 on x86_64, 0o40000 on arm64 and ppc64). Node has no O_TMPFILE constant but
 * has this platform's O_DIRECTORY; a wrong one makes the kernel answer every open EINVAL.
 */
export function oTmpfile(oDirectory: number = constants.O_DIRECTORY): number {
  return 0o20000000 | oDirectory;
}
export const O_TMPFILE = oTmpfile();
export const O_CLOEXEC = 0o2000000;

export function sysOpen(path: string, flags: number, mode = 0): SyscallResult {
  return toResult(callErrno('open', T().I32, [{ type: T().String, value: path }, { type: T().I32, value: flags }, { type: T().I32, value: mode }]));
}

export function sysClose(fd: number): SyscallResult {
  return toResult(callErrno('close', T().I32, [{ type: T().I32, value: fd }]));
}

/** ioctl(fd, request, arg) with `arg` a native address (or 0). Runs on this thread: only for calls that do not block. */
export function sysIoctl(fd: number, request: number, argAddress: number): SyscallResult {
  return toResult(callErrno('ioctl', T().I32, [{ type: T().I32, value: fd }, { type: T().I64, value: request }, { type: T().I64, value: argAddress }]));
}

/** ioctl on another thread, for calls that block (SNAPSHOT_WAIT_EVENT). */
export async function sysIoctlBlocking(fd: number, request: number, argAddress: number): Promise<SyscallResult> {
  return toResult(await callErrnoThread('ioctl', T().I32, [{ type: T().I32, value: fd }, { type: T().I64, value: request }, { type: T().I64, value: argAddress }]));
}

/** Generic libc call with errno, for the few other syscalls a dialect needs (fallocate, ...). */
export function sysCall(funcName: string, params: { kind: 'i32' | 'i64' | 'ptr' | 'string' | 'buffer'; value: unknown }[]): SyscallResult {
  const dt = T();
  const map = { i32: dt.I32, i64: dt.I64, ptr: dt.I64, string: dt.String, buffer: dt.U8Array } as const;
  return toResult(callErrno(funcName, dt.I32, params.map((p) => ({ type: map[p.kind], value: p.value }))));
}

/**
 * Copies `length` bytes from any native address (a pointer found inside a struct). For test
 * doubles of the kernel that follow pointer fields; production code reads its own NativeMemory.
 */
export function peekNative(address: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  if (length === 0) return out;
  if (!address) throw new RangeError('peekNative: NULL address');
  call('memcpy', T().I64, [{ type: T().U8Array, value: out }, { type: T().I64, value: address }, { type: T().I64, value: length }]);
  return out;
}

/** Writes bytes at any native address (test doubles of the kernel answering into caller memory). */
export function pokeNative(address: number, bytes: Uint8Array): void {
  if (bytes.length === 0) return;
  if (!address) throw new RangeError('pokeNative: NULL address');
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  call('memcpy', T().I64, [{ type: T().I64, value: address }, { type: T().U8Array, value: buf }, { type: T().I64, value: buf.length }]);
}
