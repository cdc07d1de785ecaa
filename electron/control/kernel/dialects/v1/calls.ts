// The ioctl plumbing every v1 call shares: argument memory, sending, errors, and the retries of
// the count protocol (a COLLECT is asked for the count, then fetched; the count may change between).
import { NativeMemory, type SyscallResult } from '../../native';
import { errnoError, type ErrnoName } from '../../../../../shared/errors';
import { V1_ARG_STRUCT, V1_STRUCT, type V1RequestName } from './layout';
import { checkedRequest, type V1IoctlPort } from './port';

/** What an errno means for one call, shown with the error. */
export type Meanings = Partial<Record<ErrnoName, string>>;

/** How often a COLLECT is tried again when its count changed between the two calls. */
export const RETRIES = 4;

export class V1Calls {
  constructor(readonly port: V1IoctlPort) {}

  send(name: V1RequestName, arg: Buffer, mem: NativeMemory): SyscallResult {
    const request = checkedRequest(name, arg.length);
    mem.write(arg);
    return this.port.ioctl(request, mem);
  }

  /** Runs `fn` with an argument struct and extra native buffers, all freed afterwards. */
  withMem<R>(name: V1RequestName, extra: number[], fn: (arg: NativeMemory, bufs: NativeMemory[]) => R): R {
    const mem: NativeMemory[] = [];
    try {
      mem.push(new NativeMemory(V1_STRUCT[V1_ARG_STRUCT[name]].size));
      for (const size of extra) mem.push(new NativeMemory(Math.max(1, size)));
      return fn(mem[0] as NativeMemory, mem.slice(1));
    } finally {
      for (const m of mem) m.free();
    }
  }

  fail(name: V1RequestName, res: SyscallResult, meanings: Meanings, details?: Record<string, string | number | boolean | null>) {
    const code = res.errnoName ?? 'EIO';
    return errnoError(code, name, meanings[code] ?? 'the module refused the call', details);
  }
}
