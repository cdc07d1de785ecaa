// A KernelSys that plays a recorded module: each ioctl must be the next recorded one, its
// argument struct (and every buffer it points to) byte-identical to the recording with
// pointers as markers and padding masked (the recorder left stack garbage there); the answer
// is the recorded `out`, `outBuffers`, ret and errno, written into our own memory.
import type { KernelSys } from '../../../../../electron/control/kernel/env';
import { peekNative, pokeNative, type SyscallResult } from '../../../../../electron/control/kernel/native';
import { paddingRanges, type StructLayout } from '../../../../../electron/control/kernel/struct';
import { errnoName } from '../../../../../shared/errors';
import { hexLength, segments, type IoctlRecord } from './trace';

export interface Mismatch { seq: number; label: string; what: string }

export interface ReplayLayouts {
  /** The argument struct of a request (by recorded name), for padding masks. */
  argStruct(record: IoctlRecord): StructLayout | null;
  /** The CTL payload struct of a record, by its cmd. */
  optStruct(record: IoctlRecord): StructLayout | null;
}

const FD = { control: 100, bdevfilter: 101 } as const;

export class ReplayPort implements KernelSys {
  private queue: IoctlRecord[] = [];
  readonly mismatches: Mismatch[] = [];
  readonly replayed: number[] = [];
  /** Calls our client makes that the recorder did not (the CBTINFO guard before CBTMAP/CBTDIRTY). */
  auxiliary = 0;
  private lastCbtInfo: Buffer | null = null;

  constructor(private readonly layouts: ReplayLayouts) {}

  expect(record: IoctlRecord): void {
    this.queue.push(record);
  }

  pending(): number {
    return this.queue.length;
  }

  open(path: string): SyscallResult {
    if (path.endsWith('/dev/veeamblksnap')) return { ret: FD.control, errno: 0, errnoName: null };
    if (path.endsWith('/dev/bdevfilter')) return { ret: FD.bdevfilter, errno: 0, errnoName: null };
    return { ret: -1, errno: 2, errnoName: 'ENOENT' };
  }

  close(): SyscallResult {
    return { ret: 0, errno: 0, errnoName: null };
  }

  async ioctlBlocking(fd: number, request: number, arg: number): Promise<SyscallResult> {
    return this.ioctl(fd, request, arg);
  }

  ioctl(fd: number, request: number, arg: number): SyscallResult {
    const rec = this.queue[0];
    if (this.isCbtInfoGuard(fd, request, arg, rec)) return this.answerCbtInfoGuard(arg);
    if (!rec) {
      this.mismatches.push({ seq: -1, label: '(none)', what: `unexpected ioctl 0x${request.toString(16)}` });
      return { ret: -1, errno: 25, errnoName: 'ENOTTY' };
    }
    this.queue.shift();
    this.replayed.push(rec.seq);
    const fail = (what: string) => this.mismatches.push({ seq: rec.seq, label: rec.label, what });
    const recordedFd = rec.fd === 'control' || rec.fd === 'bdevfilter' ? FD[rec.fd] : undefined;
    if (fd !== recordedFd) fail(`sent to fd ${fd}, recorded on ${rec.fd}`);
    if ((request >>> 0).toString(16).padStart(8, '0') !== rec.request) fail(`request 0x${request.toString(16)} ≠ 0x${rec.request}`);
    const pointers = new Map<string, number>();
    this.compare(rec, 'arg', arg, rec.in, this.layouts.argStruct(rec), pointers, fail);
    // Answer: the struct as recorded (our pointers kept), then every buffer the kernel wrote.
    this.writeBack(arg, rec.out);
    for (const [name, hex] of Object.entries(rec.outBuffers)) {
      const address = pointers.get(name);
      if (!address) { fail(`kernel wrote buffer ${name}, but we passed no such pointer`); continue; }
      this.writeBack(address, stripUntouched(hex));
    }
    if (rec.name.endsWith('/CBTINFO') && rec.ret === 0) this.lastCbtInfo = Buffer.from(rec.outBuffers.opt ?? '', 'hex');
    if (rec.ret < 0) return { ret: -1, errno: rec.errno, errnoName: errnoName(rec.errno) ?? null };
    return { ret: rec.ret, errno: 0, errnoName: null };
  }

  private compare(rec: IoctlRecord, name: string, address: number, hex: string, layout: StructLayout | null, pointers: Map<string, number>, fail: (w: string) => void): void {
    const length = hexLength(hex);
    const ours = peekNative(address, length);
    const mask = new Uint8Array(length);
    for (const [a, b] of layout ? paddingRanges(layout) : []) mask.fill(1, a, Math.min(b, length));
    for (const seg of segments(hex)) {
      if (seg.kind === 'ptr') {
        const p = Number(ours.readBigUInt64LE(seg.offset));
        if (!p) { fail(`${name}: NULL where the recording has pointer ${seg.name}`); continue; }
        pointers.set(seg.name, p);
        const inner = rec.inBuffers[seg.name];
        const innerLayout = seg.name === 'opt' ? this.layouts.optStruct(rec) : null;
        if (inner !== undefined) this.compare(rec, seg.name, p, inner, innerLayout, pointers, fail);
        continue;
      }
      for (let i = 0; i < seg.bytes.length; i++) {
        const at = seg.offset + i;
        if (mask[at]) continue;
        if (ours[at] !== seg.bytes[i]) {
          fail(`${name}: byte ${at} is ${ours[at]?.toString(16)}, recorded ${seg.bytes[i]?.toString(16)} (ours ${ours.toString('hex')})`);
          return;
        }
      }
    }
  }

  private writeBack(address: number, hex: string): void {
    for (const seg of segments(hex)) if (seg.kind === 'bytes') pokeNative(address + seg.offset, seg.bytes);
  }

  private isCbtInfoGuard(fd: number, request: number, arg: number, rec: IoctlRecord | undefined): boolean {
    if (fd !== FD.bdevfilter || request !== 0xc038468e) return false;
    const cmd = peekNative(arg + 40, 4).readUInt32LE(0);
    if (cmd !== 0) return false;
    return !rec || !rec.name.endsWith('/CBTINFO');
  }

  private answerCbtInfoGuard(arg: number): SyscallResult {
    this.auxiliary++;
    if (!this.lastCbtInfo) return { ret: -1, errno: 2, errnoName: 'ENOENT' };
    const opt = Number(peekNative(arg + 48, 8).readBigUInt64LE(0));
    pokeNative(opt, this.lastCbtInfo);
    return { ret: 0, errno: 0, errnoName: null };
  }
}

/** Output arrays were prefilled with 0xee: trailing untouched bytes are not the kernel's. */
function stripUntouched(hex: string): string {
  if (hex.includes('<')) return hex;
  const bytes = Buffer.from(hex, 'hex');
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0xee) end--;
  return bytes.subarray(0, end).toString('hex');
}
