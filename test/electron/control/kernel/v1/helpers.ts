// Test doubles for the v1 control: a fake /sys tree and ports that record or script ioctls.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NativeMemory, sysCall, type SyscallResult } from '../../../../../electron/control/kernel/native';
import { V1Control } from '../../../../../electron/control/kernel/dialects/v1/control';
import type { V1IoctlPort } from '../../../../../electron/control/kernel/dialects/v1/port';
import { ERRNO, type ErrnoName } from '../../../../../shared/errors';

export interface FakeDisk {
  name: string;
  dev: string;
  sizeSectors: number;
  logicalBlockBytes?: number;
}

export const DISKS: FakeDisk[] = [
  { name: 'vda', dev: '254:0', sizeSectors: 524288 },
  { name: 'vdb', dev: '254:16', sizeSectors: 524288 },
  { name: 'sdz', dev: '8:400', sizeSectors: 80000, logicalBlockBytes: 4096 },
];

/** <root>/sys/class/block/<name>/{dev,size} and /sys/dev/block/M:m/{size,uevent,queue}. */
export function makeSysRoot(root: string, disks: FakeDisk[] = DISKS, moduleName = 'veeamblksnap'): string {
  for (const d of disks) {
    const cls = join(root, 'sys', 'class', 'block', d.name);
    mkdirSync(cls, { recursive: true });
    writeFileSync(join(cls, 'dev'), `${d.dev}\n`);
    writeFileSync(join(cls, 'size'), `${d.sizeSectors}\n`);
    const byDev = join(root, 'sys', 'dev', 'block', d.dev);
    mkdirSync(join(byDev, 'queue'), { recursive: true });
    writeFileSync(join(byDev, 'size'), `${d.sizeSectors}\n`);
    writeFileSync(join(byDev, 'uevent'), `MAJOR=${d.dev.split(':')[0]}\nMINOR=${d.dev.split(':')[1]}\nDEVNAME=${d.name}\nDEVTYPE=disk\n`);
    writeFileSync(join(byDev, 'queue', 'logical_block_size'), `${d.logicalBlockBytes ?? 512}\n`);
  }
  const params = join(root, 'sys', 'module', moduleName, 'parameters');
  mkdirSync(params, { recursive: true });
  for (const [k, v] of Object.entries({ diff_storage_minimum: 2097152, chunk_maximum_in_cache: 32, tracking_block_minimum_shift: 16 })) {
    writeFileSync(join(params, k), `${v}\n`);
  }
  return root;
}

export interface RecordedCall {
  request: number;
  arg: Buffer;
}

export type Answer = (request: number, arg: NativeMemory) => SyscallResult;

export const ok = (ret = 0): SyscallResult => ({ ret, errno: 0, errnoName: null });
export const err = (name: ErrnoName): SyscallResult => ({ ret: -1, errno: ERRNO[name][0], errnoName: name });

/** Records every ioctl (argument bytes as sent) and answers with `answer` (default: ok). */
export class RecordingPort implements V1IoctlPort {
  readonly calls: RecordedCall[] = [];
  closed = false;
  constructor(public answer: Answer = () => ok()) {}

  ioctl(request: number, arg: NativeMemory): SyscallResult {
    this.calls.push({ request, arg: arg.read() });
    return this.answer(request, arg);
  }

  async ioctlBlocking(request: number, arg: NativeMemory): Promise<SyscallResult> {
    return this.ioctl(request, arg);
  }

  close(): void {
    this.closed = true;
  }
}

/** Writes bytes at a native address the control gave the module (an output buffer). */
export function poke(address: number, bytes: Buffer): void {
  if (bytes.length) sysCall('memcpy', [{ kind: 'ptr', value: address }, { kind: 'buffer', value: bytes }, { kind: 'i64', value: bytes.length }]);
}

export function control(port: V1IoctlPort, root: string, variant: '6.0' | '6.1+' = '6.1+'): V1Control {
  return new V1Control(port, { variant, controlPath: '/dev/veeamblksnap', root, version: { major: 1, minor: 0, revision: 0, build: 0 }, reason: 'test' });
}
