// The ioctl plumbing every v1 call shares: argument memory, sending, errors, and the retries of
// the count protocol (a COLLECT is asked for the count, then fetched; the count may change between).
import { NativeMemory, type SyscallResult } from '../../native';
import { appError, errnoError, type ErrnoName } from '../../../../../shared/errors';
import { V1_ARG_STRUCT, V1_STRUCT, type V1RequestName } from './layout';
import { checkedRequest, type V1IoctlPort } from './port';

/** What an errno means for one call, shown with the error. */
export type Meanings = Partial<Record<ErrnoName, string>>;

/** How often a COLLECT is tried again when its count changed between the two calls. */
export const RETRIES = 4;

/** One COLLECT call and what differs between them in the count protocol. */
export interface CountedCollect<T> {
  name: V1RequestName;
  /** The argument struct for an array of `capacity` entries at `address` (0, 0: ask the count). */
  encode(capacity: number, address: number): Buffer;
  count(arg: Buffer): number;
  entryBytes: number;
  decode(entries: Buffer, n: number): T[];
  /** Entries asked for beyond the count: room for ones added between the two calls. */
  slack: number;
  /** The errno that says the array was too small after all: ask again. */
  changed: ErrnoName;
  /** Errnos that mean there is nothing to collect: the answer is null. */
  absent?: ErrnoName[];
  /** What the error says when the count changed at every try. */
  gaveUp: string;
}

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

  /** A COLLECT through the count protocol: ask the count, fetch, ask again when it changed. */
  collect<T>(c: CountedCollect<T> & { absent: ErrnoName[] }): T[] | null;
  collect<T>(c: CountedCollect<T>): T[];
  collect<T>(c: CountedCollect<T>): T[] | null {
    const absent = (res: SyscallResult) => res.errnoName !== null && (c.absent ?? []).includes(res.errnoName);
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const count = this.withMem(c.name, [], (arg) => {
        const res = this.send(c.name, c.encode(0, 0), arg);
        if (absent(res)) return null;
        if (res.ret < 0) throw this.fail(c.name, res, {});
        return c.count(arg.read());
      });
      if (count === null) return null;
      if (count === 0) return [];
      const capacity = count + c.slack;
      const got = this.withMem(c.name, [capacity * c.entryBytes], (arg, [array]) => {
        const res = this.send(c.name, c.encode(capacity, (array as NativeMemory).address), arg);
        if (res.errnoName === c.changed) return undefined;
        if (absent(res)) return null;
        if (res.ret < 0) throw this.fail(c.name, res, {});
        const n = Math.min(c.count(arg.read()), capacity);
        return c.decode((array as NativeMemory).read(n * c.entryBytes), n);
      });
      if (got !== undefined) return got;
    }
    throw appError('EINTERNAL', c.gaveUp);
  }

  fail(name: V1RequestName, res: SyscallResult, meanings: Meanings, details?: Record<string, string | number | boolean | null>) {
    const code = res.errnoName ?? 'EIO';
    return errnoError(code, name, meanings[code] ?? 'the module refused the call', details);
  }
}
