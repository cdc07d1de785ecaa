// Test doubles for the probe: a temporary root laid out with a dialect's fingerprints, and a
// KernelSys that answers ioctls from a table and records every call in order.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { KernelSys } from '../../../../electron/control/kernel/env';
import { peekNative, pokeNative, type SyscallResult } from '../../../../electron/control/kernel/native';
import { ERRNO, type ErrnoName } from '../../../../shared/errors';

export function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'blksnap-probe-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

export const FINGERPRINTS = {
  none: {},
  standalone: { '/dev/veeamblksnap': '', '/dev/bdevfilter': '', '/sys/class/misc/bdevfilter/dev': '10:124\n' },
  v1: { '/dev/veeamblksnap': '', '/sys/class/veeamblksnap/major': '246' },
  v10: { '/dev/blksnap': '', '/sys/class/blksnap/major': '247' },
  upstream: {
    '/dev/blksnap-control': '', '/dev/sda': '', '/sys/class/block/sda/dev': '8:0\n', '/sys/class/block/sda/size': '2097152\n',
    '/sys/class/block/sda/filter': '\n',
  },
  /** Every block device already has blksnap attached (no empty filter attribute). */
  upstreamAllAttached: {
    '/dev/blksnap-control': '', '/dev/sda': '', '/sys/class/block/sda/dev': '8:0\n', '/sys/class/block/sda/size': '2097152\n',
    '/sys/class/block/sda/filter': 'blksnap\n',
  },
  /** sda has blksnap attached, sdb no filter. */
  upstreamOneAttached: {
    '/dev/blksnap-control': '', '/dev/sda': '', '/sys/class/block/sda/dev': '8:0\n', '/sys/class/block/sda/filter': 'blksnap\n',
    '/dev/sdb': '', '/sys/class/block/sdb/dev': '8:16\n', '/sys/class/block/sdb/filter': '\n',
  },
  /** A patched kernel whose block devices show no filter attribute at all. */
  upstreamNoFilterFiles: { '/dev/blksnap-control': '', '/dev/sda': '', '/sys/class/block/sda/dev': '8:0\n' },
} satisfies Record<string, Record<string, string>>;

export type Answer = ErrnoName | 0 | { version: readonly [number, number, number, number] };
/** An answer that depends on the call: the device opened and the struct sent. */
export type AnswerFn = (call: Call) => Answer;

/** The filter name in a BLKFILTER struct (name[32] @0). */
export function filterName(call: Call): string {
  return call.arg?.subarray(0, 32).toString('utf8').replace(/\0+$/, '') ?? '';
}

export interface Call { kind: 'open' | 'ioctl'; path: string; request?: number; arg?: Buffer; /** errno name or '0' */ result?: string }

export class ScriptedSys implements KernelSys {
  readonly calls: Call[] = [];
  private fds = new Map<number, string>();
  private next = 40;

  constructor(private readonly answers: Record<number, Answer | AnswerFn>, private readonly openErrors: Record<string, ErrnoName> = {}) {}

  open(path: string): SyscallResult {
    this.calls.push({ kind: 'open', path });
    const denied = Object.entries(this.openErrors).find(([suffix]) => path.endsWith(suffix));
    if (denied) return fail(denied[1]);
    const fd = this.next++;
    this.fds.set(fd, path);
    return { ret: fd, errno: 0, errnoName: null };
  }

  close(fd: number): SyscallResult {
    this.fds.delete(fd);
    return { ret: 0, errno: 0, errnoName: null };
  }

  ioctl(fd: number, request: number, arg: number): SyscallResult {
    const size = (request >>> 16) & 0x3fff;
    const call: Call = { kind: 'ioctl', path: this.fds.get(fd) ?? `fd ${fd}`, request, arg: peekNative(arg, size) };
    this.calls.push(call);
    const scripted = this.answers[request];
    const answer = typeof scripted === 'function' ? scripted(call) : scripted;
    call.result = typeof answer === 'string' ? answer : answer === undefined ? 'ENOTTY' : '0';
    if (answer === undefined) return fail('ENOTTY');
    if (answer === 0) return { ret: 0, errno: 0, errnoName: null };
    if (typeof answer === 'string') return fail(answer);
    const b = Buffer.alloc(8);
    answer.version.forEach((n, i) => b.writeUInt16LE(n, i * 2));
    pokeNative(arg, b);
    return { ret: 0, errno: 0, errnoName: null };
  }

  async ioctlBlocking(fd: number, request: number, arg: number): Promise<SyscallResult> {
    return this.ioctl(fd, request, arg);
  }

  ioctls(): Call[] {
    return this.calls.filter((c) => c.kind === 'ioctl');
  }

  openFds(): number {
    return this.fds.size;
  }
}

function fail(name: ErrnoName): SyscallResult {
  return { ret: -1, errno: ERRNO[name][0], errnoName: name };
}
