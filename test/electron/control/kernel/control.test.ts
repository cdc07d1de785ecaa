// Behaviour of the generic v2 control that the traces and the fake do not pin down alone:
// the COLLECT count protocol, optlen being input-only, per-dialect event labels and errno
// meanings, v6's storage fd, and the refusals that happen before any ioctl.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KernelEnv, type KernelSys } from '../../../../electron/control/kernel/env';
import { peekNative, pokeNative, type SyscallResult } from '../../../../electron/control/kernel/native';
import { openV2Control, type V2Control } from '../../../../electron/control/kernel/dialects/v2-family/control';
import { decodeEvent } from '../../../../electron/control/kernel/dialects/v2-family/events';
import type { V2Dialect } from '../../../../electron/control/kernel/dialects/v2-family/dialect';
import { blksnap_snapshot_event } from '../../../../electron/control/kernel/dialects/v2-family/structs';
import { StructView } from '../../../../electron/control/kernel/struct';
import { uuidFromBytes, uuidToBytes } from '../../../../electron/control/uuid';
import { hex32, iocFields } from '../../../../electron/control/kernel/ioc';
import { lk615 } from '../../../../electron/control/kernel/dialects/lk6.15';
import { v7 } from '../../../../electron/control/kernel/dialects/v7';
import { v6 } from '../../../../electron/control/kernel/dialects/v6';
import { val70 } from '../../../../electron/control/kernel/dialects/val-7.0';
import { val13 } from '../../../../electron/control/kernel/dialects/val-13';
import { BlksnapError, ERRNO, type ErrnoName } from '../../../../shared/errors';

const OK: SyscallResult = { ret: 0, errno: 0, errnoName: null };
const fail = (name: ErrnoName): SyscallResult => ({ ret: -1, errno: ERRNO[name][0], errnoName: name });

type Handler = (request: number, arg: number, path: string) => SyscallResult;
interface Seen { request: number; path: string; arg: Buffer }

/** A module double: every ioctl goes to `handler`; opens of real paths (storage) are recorded. */
class HandlerSys implements KernelSys {
  readonly seen: Seen[] = [];
  readonly opened: { path: string; flags: number }[] = [];
  readonly closed: number[] = [];
  private paths = new Map<number, string>();
  private next = 10;
  constructor(private readonly handler: Handler) {}
  open(path: string, flags: number): SyscallResult {
    this.opened.push({ path, flags });
    const fd = this.next++;
    this.paths.set(fd, path);
    return { ret: fd, errno: 0, errnoName: null };
  }
  close(fd: number): SyscallResult { this.closed.push(fd); return OK; }
  ioctl(fd: number, request: number, arg: number): SyscallResult {
    const path = this.paths.get(fd) ?? '?';
    this.seen.push({ request, path, arg: peekNative(arg, (request >>> 16) & 0x3fff) });
    return this.handler(request, arg, path);
  }
  async ioctlBlocking(fd: number, request: number, arg: number): Promise<SyscallResult> { return this.ioctl(fd, request, arg); }
}

const tmp = mkdtempSync(join(tmpdir(), 'blksnap-control-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function open(dialect: V2Dialect, handler: Handler, root = '/nonexistent-root'): { control: V2Control; sys: HandlerSys } {
  const sys = new HandlerSys(handler);
  const control = openV2Control(dialect, { env: new KernelEnv({ root, sys }), version: { major: dialect.versionMajor, minor: 0, revision: 0, build: 0 }, reason: 'test' });
  return { control, sys };
}

async function errorOf(p: Promise<unknown>): Promise<BlksnapError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(BlksnapError);
  return err as BlksnapError;
}

const ID = '3f2b8e1c-0a4d-4f6e-9b1a-2c3d4e5f6a7b';

describe('SNAPSHOT_COLLECT count protocol', () => {
  it('asks for the count with ids = 0, then grows and retries on ENODATA (the count comes back as passed)', async () => {
    const counts: number[] = [];
    const ids = [uuidToBytes(ID), uuidToBytes('00000000-0000-0000-0000-000000000001')];
    let calls = 0;
    const { control } = open(lk615, (req, arg) => {
      if (req !== lk615.requests.SNAPSHOT_COLLECT) return fail('ENOTTY');
      const v = new StructView(lk615.structs.blksnap_snapshot_collect as never, peekNative(arg, 16));
      counts.push(v.u32('count'));
      const ptr = Number(v.u64('ids'));
      calls++;
      if (!ptr) { pokeNative(arg, Buffer.from([1, 0, 0, 0])); return OK; }
      if (calls === 2) { // the list grew to 20 meanwhile: ENODATA, count = capacity, first ids written
        pokeNative(ptr, ids[0] as Buffer);
        return fail('ENODATA');
      }
      pokeNative(ptr, Buffer.concat(ids));
      pokeNative(arg, Buffer.from([2, 0, 0, 0]));
      return OK;
    });
    await expect(control.snapshotCollect()).resolves.toEqual([ID, '00000000-0000-0000-0000-000000000001']);
    expect(counts).toEqual([0, 5, 14]);
  });

  it('returns [] at count 0 without a second call', async () => {
    const { control, sys } = open(val70, () => OK);
    await expect(control.snapshotCollect()).resolves.toEqual([]);
    expect(sys.seen).toHaveLength(1);
  });
});

describe('CTL', () => {
  it('sends optlen = the payload size and never reads it back (input only)', async () => {
    const { control, sys } = open(lk615, (_req, arg) => {
      const opt = Number(peekNative(arg + 40, 8).readBigUInt64LE(0));
      const info = Buffer.alloc(40);
      info.writeBigUInt64LE(1n << 30n, 0); info.writeUInt32LE(65536, 8); info.writeUInt32LE(16384, 12); info[32] = 3;
      pokeNative(opt, info);
      pokeNative(arg + 36, Buffer.from([0xff, 0xff, 0xff, 0xff])); // garbage where optlen was
      return OK;
    });
    await expect(control.cbtInfo('/dev/sdb1')).resolves.toMatchObject({ deviceCapacityBytes: 2 ** 30, blockCount: 16384, changesNumber: 3 });
    const sent = sys.seen[0];
    expect(hex32(sent?.request ?? 0)).toBe('0xC0301290');
    expect(sent?.path).toBe('/dev/sdb1');
    expect(sent?.arg.readUInt32LE(36)).toBe(40);
    expect(sent?.arg.subarray(0, 32).toString('utf8').replace(/\0+$/, '')).toBe('blksnap');
  });

  it('names the device by path inside the struct on the standalone modules', async () => {
    const { control, sys } = open(val70, (_req, arg) => {
      const devpath = Number(peekNative(arg, 8).readBigUInt64LE(0));
      expect(peekNative(devpath, 9).toString('utf8')).toBe('/dev/vda\0');
      return fail('ENOENT');
    });
    const err = await errorOf(control.cbtInfo('/dev/vda'));
    expect(err.message).toMatch(/CBTINFO: ENOENT .*the device is not tracked/);
    expect(sys.seen[0]?.path).toMatch(/\/dev\/bdevfilter$/);
  });

  it('says what EINVAL and ENOENT mean per dialect (foreign filter name: v6 ENOENT, v7 EINVAL)', async () => {
    const v6Err = await errorOf(open(v6, () => fail('EINVAL')).control.cbtInfo('/dev/sda'));
    expect(v6Err.message).toMatch(/optlen is below the minimum/);
    const v7Err = await errorOf(open(v7, () => fail('EINVAL')).control.cbtInfo('/dev/sda'));
    expect(v7Err.message).toMatch(/a filter of another name/);
    const v6NoEnt = await errorOf(open(v6, () => fail('ENOENT')).control.cbtInfo('/dev/sda'));
    expect(v6NoEnt.message).toMatch(/another name/);
    expect(v6NoEnt.details).toMatchObject({ dialect: 'v6', device: '/dev/sda' });
  });
});

describe('refusals before any ioctl', () => {
  it('refuses count-0 and empty dirty ranges, and a CBTMAP offset past the map (E1)', async () => {
    const { control, sys } = open(lk615, (_req, arg) => {
      if (peekNative(arg + 32, 4).readUInt32LE(0) !== 0) return OK; // only CBTINFO is answered
      const opt = Number(peekNative(arg + 40, 8).readBigUInt64LE(0));
      const info = Buffer.alloc(40);
      info.writeBigUInt64LE(1n << 28n, 0); info.writeUInt32LE(65536, 8); info.writeUInt32LE(4096, 12);
      pokeNative(opt, info);
      return OK;
    });
    expect((await errorOf(control.cbtDirty('/dev/sda', [{ offsetSectors: 0, countSectors: 0 }]))).code).toBe('EGUARD');
    expect((await errorOf(control.cbtDirty('/dev/sda', []))).code).toBe('EBADARG');
    expect(sys.seen).toHaveLength(0);
    expect((await errorOf(control.cbtMap('/dev/sda', 4097, 1))).code).toBe('EGUARD');
    expect(sys.seen.map((s) => s.arg.readUInt32LE(32))).toEqual([0]); // only the CBTINFO that learnt block_count
    await expect(control.cbtMap('/dev/sda', 4096, 0)).resolves.toEqual(new Uint8Array(0));
  });

  it('never opens a character device, FIFO or socket for a filter call upstream (opening one can start a watchdog, rewind a tape, or block for ever)', async () => {
    const fifo = join(tmp, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const file = join(tmp, 'not-a-device');
    writeFileSync(file, '');
    for (const dialect of [lk615, v7, v6]) {
      const { control, sys } = open(dialect, () => fail('ENOTTY'));
      const devicesOpened = () => sys.opened.map((o) => o.path).filter((p) => !p.startsWith('/nonexistent-root/')); // not the control node
      for (const path of ['/dev/null', fifo]) {
        for (const call of [control.attach(path), control.detach(path), control.cbtInfo(path), control.snapshotInfo(path)]) {
          const err = await errorOf(call);
          expect(err.code).toBe('EBADARG');
          expect(err.message).toBe(`${path} is not a block device`);
        }
      }
      expect(devicesOpened(), dialect.id).toEqual([]);
      // A regular file or a missing path is opened as before: the ioctl or the open answers.
      await errorOf(control.cbtInfo(file));
      expect(devicesOpened()).toEqual([file]);
    }
  });

  it('refuses range mode and APPEND_STORAGE where the dialect has none', async () => {
    const { control, sys } = open(v7, () => OK);
    expect((await errorOf(control.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 8192, devices: [] }))).code).toBe('EUNSUPPORTED');
    expect((await errorOf(control.appendStorage(ID, '/dev/vdb', [{ offsetSectors: 0, countSectors: 8 }]))).code).toBe('EUNSUPPORTED');
    expect(sys.seen).toHaveLength(0);
  });

  it('refuses appended ranges past the storage device end (the module does not check them)', async () => {
    const root = join(tmp, 'root');

    mkdirSync(join(root, 'sys/class/block/vdb'), { recursive: true });
    writeFileSync(join(root, 'sys/class/block/vdb/size'), '1024\n');
    const { control, sys } = open(val70, () => OK, root);
    expect((await errorOf(control.appendStorage(ID, '/dev/vdb', [{ offsetSectors: 1000, countSectors: 100 }]))).code).toBe('EGUARD');
    await control.appendStorage(ID, '/dev/vdb', [{ offsetSectors: 0, countSectors: 1024 }]);
    expect(sys.seen).toHaveLength(1);
  });

  it('returns null from a wait aborted before it starts, without an ioctl', async () => {
    const { control, sys } = open(val70, () => OK);
    const ac = new AbortController();
    ac.abort();
    await expect(control.waitEvent(ID, 10, { signal: ac.signal })).resolves.toBeNull();
    expect(sys.seen).toHaveLength(0);
  });
  it('returns an event read while the wait was being aborted: the module does not queue it again', async () => {
    const ac = new AbortController();
    const { control } = open(val70, (_req, arg) => {
      const tail = Buffer.alloc(20);
      tail.writeUInt32LE(1, 0); // code @20: VAL-7.0 low_free_space
      tail.writeBigUInt64LE(8192n, 12); // data @32: requested_nr_sect
      pokeNative(arg + 20, tail);
      ac.abort(); // the app quits while the module answers
      return OK;
    });
    await expect(control.waitEvent(ID, 10, { signal: ac.signal })).resolves.toMatchObject({ kind: 'low_free_space', requestedSectors: 8192 });
  });
});

describe('SNAPSHOTADD hazards (spec §2: EPERM, then a kernel oops)', () => {
  function sysRoot(disk: string, part: string, extra: (dir: string) => void): string {
    const root = mkdtempSync(join(tmp, 'sys-'));
    mkdirSync(join(root, 'sys/block', disk, part), { recursive: true });
    extra(join(root, 'sys/block', disk));
    return root;
  }

  it('refuses a partition of a disk with integrity metadata, and an inline-encryption disk, before any ioctl on upstream', async () => {
    const integrity = sysRoot('sdb', 'sdb1', (d) => {
      mkdirSync(join(d, 'integrity'));
      writeFileSync(join(d, 'integrity/format'), 'T10-DIF-TYPE1-CRC\n');
    });
    const a = open(lk615, () => OK, integrity);
    const err = await errorOf(a.control.snapshotAdd(ID, '/dev/sdb1'));
    expect(err.code).toBe('EGUARD');
    expect(err.message).toMatch(/integrity metadata \(T10-DIF-TYPE1-CRC\).*oops/);
    expect(a.sys.seen).toHaveLength(0);

    const crypto = sysRoot('nvme0n1', 'nvme0n1p1', (d) => mkdirSync(join(d, 'queue/crypto'), { recursive: true }));
    const b = open(v7, () => OK, crypto);
    expect((await errorOf(b.control.snapshotAdd(ID, '/dev/nvme0n1'))).message).toMatch(/inline encryption/);
    expect(b.sys.seen).toHaveLength(0);
  });

  it('sends SNAPSHOTADD for a plain disk, and on VAL-7.0, which compiled the checks out', async () => {
    const plain = sysRoot('sdc', 'sdc1', (d) => {
      mkdirSync(join(d, 'integrity'));
      writeFileSync(join(d, 'integrity/format'), 'none\n');
    });
    const a = open(lk615, () => OK, plain);
    await a.control.snapshotAdd(ID, '/dev/sdc1');
    expect(a.sys.seen).toHaveLength(1);
    const crypto = sysRoot('sdd', 'sdd1', (d) => mkdirSync(join(d, 'queue/crypto'), { recursive: true }));
    const b = open(val70, () => OK, crypto);
    await b.control.snapshotAdd(ID, '/dev/sdd1');
    expect(b.sys.seen).toHaveLength(1);
  });
});

describe('v6 SNAPSHOT_CREATE', () => {
  it('opens the storage, passes its fd at @8, reads the id at @12 and closes the fd', async () => {
    const file = join(tmp, 'diff');
    writeFileSync(file, Buffer.alloc(4096));
    const { control, sys } = open(v6, (_req, arg) => {
      pokeNative(arg + 12, uuidToBytes(ID));
      return OK;
    });
    await expect(control.snapshotCreate({ diffStoragePath: file, diffStorageLimitSectors: 2048, devices: [] })).resolves.toBe(ID);
    const storageOpen = sys.opened.findIndex((o) => o.path === file);
    const fd = 10 + storageOpen;
    expect(sys.seen[0]?.arg.readUInt32LE(8)).toBe(fd);
    expect(sys.closed).toContain(fd);
    await control.snapshotCreate({ diffStoragePath: tmp, diffStorageLimitSectors: 2048, devices: [] });
    expect((sys.opened.at(-1)?.flags ?? 0) & 0o20000000, 'a directory gets O_TMPFILE').toBeTruthy();
  });
});

describe('events are labelled per dialect (spec §0.3: code 1 means different things)', () => {
  function event(code: number, payload: Buffer): StructView {
    const v = new StructView(blksnap_snapshot_event).setBytes('id', uuidToBytes(ID)).setU32('code', code);
    v.buf.writeBigInt64LE(123456789012345678n, 24);
    payload.copy(v.buf, 32);
    return v;
  }
  const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };

  it.each([
    [lk615, 1, 'no_space'], [val70, 1, 'low_free_space'], [val13, 1, 'no_space'], [val13, 2, 'low_free_space'], [v7, 1, 'unknown'], [v6, 1, 'unknown'],
  ] as const)('%s.id code %i → %s', (dialect, code, kind) => {
    const e = decodeEvent(dialect, ID, event(code, u64(8192)));
    expect(e).toMatchObject({ snapshotId: ID, code, kind, timeLabelNs: '123456789012345678', requestedSectors: kind === 'unknown' ? null : 8192 });
  });

  it('decodes corrupted {major, minor, positive errno} in every dialect', () => {
    const data = Buffer.alloc(12);
    data.writeUInt32LE(254, 0); data.writeUInt32LE(16, 4); data.writeInt32LE(28, 8);
    for (const d of [lk615, v7, v6, val70, val13]) {
      expect(decodeEvent(d, ID, event(0, data))).toMatchObject({ kind: 'corrupted', device: { major: 254, minor: 16 }, errCode: 28 });
    }
  });
});

describe('shared helpers', () => {
  it('converts ids both ways, also ids that are not RFC 9562', () => {
    expect(uuidFromBytes(uuidToBytes(ID))).toBe(ID);
    const odd = '11111111-1111-1111-1111-111111111111';
    expect(uuidFromBytes(uuidToBytes(odd))).toBe(odd);
    expect(() => uuidToBytes('nope')).toThrow(/not a snapshot id/);
  });

  it('splits request numbers into _IOC fields', () => {
    expect(iocFields(0x90005605)).toEqual({ dir: 2, size: 4096, type: 0x56, nr: 5 });
    expect(hex32(0xc038468c)).toBe('0xC038468C');
  });
});
