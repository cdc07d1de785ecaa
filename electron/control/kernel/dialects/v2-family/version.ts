// VERSION, shared by the probe and the control.
import type { ModuleVersion } from '../../../../../shared/schemas';
import type { KernelEnv } from '../../env';
import { NativeMemory, type SyscallResult } from '../../native';
import { StructView } from '../../struct';
import { blksnap_version } from './structs';

/** VERSION: the one request the probe may send before the dialect is known (spec §0.3). */
export function readVersion(env: KernelEnv, fd: number, request: number, fail: (r: SyscallResult) => Error): ModuleVersion {
  const mem = new NativeMemory(blksnap_version.size);
  try {
    const r = env.sys.ioctl(fd, request, mem.address);
    if (r.ret < 0) throw fail(r);
    const v = new StructView(blksnap_version, mem.read());
    return { major: v.u16('major'), minor: v.u16('minor'), revision: v.u16('revision'), build: v.u16('build') };
  } finally {
    mem.free();
  }
}
