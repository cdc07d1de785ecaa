// Replay of the VAL-6.3 traces through the v1 control: the module's recorded answers (struct
// bytes, output buffers, return values incl. READ_CBT_MAP's positive byte count, errnos) are
// fed back for the control's calls, and what the control makes of them is checked. Where the
// control's call is the recorded one, the argument bytes are compared too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NativeMemory, SyscallResult } from '../../../../../electron/control/kernel/native';
import { sysCall } from '../../../../../electron/control/kernel/native';
import type { V1IoctlPort } from '../../../../../electron/control/kernel/dialects/v1/port';
import { BlksnapError, errnoName } from '../../../../../shared/errors';
import { control, makeSysRoot, poke } from './helpers';
import { markers, maskPadding, readTrace, withPointers, type IoctlRecord } from '../conformance/trace';
import { traceMissingReason } from './trace';
import { skipBecause } from '../../../../skip';

const missing = traceMissingReason();
const root = makeSysRoot(mkdtempSync(join(tmpdir(), 'v1-replay-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PADDING: Record<string, [number, number][]> = {
  IOCTL_BLK_SNAP_TRACKER_COLLECT: [[4, 8]], IOCTL_BLK_SNAP_TRACKER_MARK_DIRTY_BLOCKS: [[12, 16]], IOCTL_BLK_SNAP_SNAPSHOT_CREATE: [[4, 8]],
  IOCTL_BLK_SNAP_SNAPSHOT_APPEND_STORAGE: [[28, 32]], IOCTL_BLK_SNAP_SNAPSHOT_COLLECT: [[4, 8]], IOCTL_BLK_SNAP_SNAPSHOT_COLLECT_IMAGES: [[20, 24]],
};

function peek(address: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  sysCall('memcpy', [{ kind: 'buffer', value: out }, { kind: 'ptr', value: address }, { kind: 'i64', value: length }]);
  return out;
}

/** How many bytes of a recorded output buffer the module wrote (the dump is at full capacity). */
function written(r: IoctlRecord, name: string, out: Buffer): number {
  if (r.ret < 0 && r.errnoName !== null) return 0;
  if (name === 'buff') return r.ret;
  if (name === 'cbt_info_array') return out.readUInt32LE(0) * 48;
  if (name === 'ids') return out.readUInt32LE(0) * 16;
  if (name === 'image_info_array') return out.readUInt32LE(16) * 16;
  return 0;
}

interface Step {
  record: IoctlRecord;
  /** Compare our argument bytes (and input buffers) with the recorded ones. */
  exact?: boolean;
}

/** Answers each call with the next recorded call, after checking the request number. */
class TracePort implements V1IoctlPort {
  constructor(private readonly steps: Step[]) {}

  ioctl(request: number, arg: NativeMemory): SyscallResult {
    const step = this.steps.shift();
    if (!step) throw new Error(`unexpected ioctl 0x${request.toString(16)}`);
    const r = step.record;
    expect(request.toString(16).padStart(8, '0'), r.label).toBe(r.request.toLowerCase());
    const sent = arg.read();
    const addresses: Record<string, number> = {};
    for (const [name, offset] of Object.entries(r.ptrFields ?? {})) addresses[name] = Number(sent.readBigUInt64LE(offset));
    if (step.exact) {
      const pad = PADDING[r.name] ?? [];
      expect(maskPadding(sent, pad).toString('hex'), r.label).toBe(maskPadding(withPointers(r.in, addresses), pad).toString('hex'));
      for (const [name, hex] of Object.entries(r.inBuffers)) expect(peek(addresses[name] ?? 0, hex.length / 2).toString('hex'), `${r.label} ${name}`).toBe(hex);
    }
    const out = withPointers(r.out, addresses);
    arg.write(out);
    for (const [name, hex] of Object.entries(r.outBuffers)) {
      if (!markers(r.in).includes(name)) continue;
      const bytes = Buffer.from(hex, 'hex').subarray(0, written(r, name, out));
      poke(addresses[name] ?? 0, bytes);
    }
    return { ret: r.ret, errno: r.errno, errnoName: r.ret < 0 ? (errnoName(r.errno) ?? null) : null };
  }

  async ioctlBlocking(request: number, arg: NativeMemory): Promise<SyscallResult> {
    return this.ioctl(request, arg);
  }

  close(): void {}

  done(): void {
    expect(this.steps.map((s) => s.record.label)).toEqual([]);
  }
}

const lifecycle = missing ? [] : readTrace('lifecycle-val-6.3.jsonl');
const errors = missing ? [] : readTrace('errors-val-6.3.jsonl');
const overflow = missing ? [] : readTrace('overflow-val-6.3.jsonl');
const rec = (rs: IoctlRecord[], label: string, exact = false): Step => {
  const record = rs.find((r) => r.label === label);
  if (!record) throw new Error(`no record ${label}`);
  return { record, exact };
};
/** The n-th record with this label (poll-event repeats). */
const nth = (rs: IoctlRecord[], label: string, n: number): Step => ({ record: rs.filter((r) => r.label === label)[n] as IoctlRecord });

async function rejection(p: Promise<unknown>): Promise<BlksnapError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(BlksnapError);
  return e as BlksnapError;
}

describe.skipIf(skipBecause('the v1 control replay', missing, 'where ../shared/conformance beside the repository holds the VAL-6.3 traces, and always in CI'))('v1 control on the recorded VAL-6.3 answers', () => {
  it('version 1.0.0.0', async () => {
    const port = new TracePort([rec(lifecycle, 'version', true)]);
    expect(await control(port, root).version()).toEqual({ major: 1, minor: 0, revision: 0, build: 0 });
    port.done();
  });

  it('creates with dev_t 254:0 (bytes as recorded) after COLLECT found no snapshot', async () => {
    const port = new TracePort([rec(lifecycle, 'tracker-collect-count-query-no-tracker'), rec(lifecycle, 'collect-after-destroy'), rec(lifecycle, 'create-1', true)]);
    const c = control(port, root);
    await c.listDevices();
    const id = await c.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 262144, devices: ['/dev/vda'] });
    expect(id).toBe('c497463d-3914-4995-9da9-a055a7147fb3');
    port.done();
  });

  it('appends 128 MiB of /dev/vdb (bytes and ranges buffer as recorded), then takes', async () => {
    const port = new TracePort([rec(lifecycle, 'append-storage-1', true), rec(lifecycle, 'take-1', true)]);
    const c = control(port, root);
    await c.appendStorage('c497463d-3914-4995-9da9-a055a7147fb3', '/dev/vdb', [{ offsetSectors: 0, countSectors: 262144 }]);
    await c.snapshotTake('c497463d-3914-4995-9da9-a055a7147fb3');
    expect((await c.diffStorageUsage('c497463d-3914-4995-9da9-a055a7147fb3')).capacitySectors).toBe(262144);
    port.done();
  });

  it('cbtInfo from TRACKER_COLLECT: count query, then the array (snap_number = changes number)', async () => {
    const port = new TracePort([rec(lifecycle, 'tracker-collect-after-create-query', true), rec(lifecycle, 'tracker-collect-after-take-1')]);
    expect(await control(port, root).cbtInfo('/dev/vda')).toEqual({
      deviceCapacityBytes: 268435456, blockSizeBytes: 65536, blockCount: 4096, generationId: '61f72e70-74c9-406e-af00-65bd6ad33d0a', changesNumber: 1,
    });
    port.done();
  });

  it('cbtInfo retries after ENOBUFS (v1 answers ENOBUFS, not ENODATA, when the array is too small)', async () => {
    const port = new TracePort([
      rec(errors, 'tracker-collect-count-0-null'), rec(errors, 'tracker-collect-1'),
      rec(lifecycle, 'tracker-collect-after-create-query'), rec(lifecycle, 'tracker-collect-after-take-2'),
    ]);
    expect((await control(port, root).cbtInfo('/dev/vda')).changesNumber).toBe(2);
    port.done();
  });

  it('cbtMap takes the positive byte count: the full map, a partial read and the straddling read', async () => {
    const full = rec(lifecycle, 'read-cbt-map-full-after-take-3', true);
    let port = new TracePort([full]);
    const map = await control(port, root).cbtMap('/dev/vda', 0, 4096);
    expect(Buffer.from(map).toString('hex')).toBe(full.record.outBuffers.buff);
    expect([...map.subarray(800, 801)]).toEqual([3]);
    port.done();
    port = new TracePort([rec(lifecycle, 'read-cbt-map-partial-30+20', true)]);
    expect([...(await control(port, root).cbtMap('/dev/vda', 30, 20))]).toEqual([0, 0, ...Array<number>(16).fill(2), 0, 0]);
    port = new TracePort([rec(errors, 'read-cbt-map-straddles-end', true)]);
    expect(await control(port, root).cbtMap('/dev/vda', 4092, 16)).toHaveLength(4);
    port.done();
  });

  it('cbtMap errors: EINVAL at the end, EPERM without a taken snapshot, ENODATA untracked', async () => {
    expect((await rejection(control(new TracePort([rec(errors, 'read-cbt-map-offset-eq-blk_count', true)]), root).cbtMap('/dev/vda', 4096, 16))).code).toBe('EINVAL');
    const eperm = await rejection(control(new TracePort([rec(lifecycle, 'read-cbt-map-no-snapshot', true)]), root).cbtMap('/dev/vda', 0, 4096));
    expect(eperm.message).toMatch(/the CBT map needs a taken snapshot/);
    const untracked = await rejection(control(new TracePort([rec(errors, 'read-cbt-map-untracked', true)]), root).cbtMap('/dev/vdb', 0, 16));
    expect(untracked.message).toMatch(/not tracked/);
  });

  it('mark dirty sends the recorded ranges; untracked is ENODEV', async () => {
    const port = new TracePort([rec(lifecycle, 'mark-dirty', true)]);
    await control(port, root).cbtDirty('/dev/vda', [{ offsetSectors: 12288, countSectors: 8 }, { offsetSectors: 409600, countSectors: 256 }]);
    port.done();
    expect((await rejection(control(new TracePort([rec(errors, 'mark-dirty-untracked', true)]), root).cbtDirty('/dev/vdb', [{ offsetSectors: 0, countSectors: 8 }]))).code).toBe('ENODEV');
  });

  it('snapshotInfo: the image veeamblksnapimg0 from COLLECT_IMAGES, error code 0', async () => {
    const port = new TracePort([
      rec(errors, 'collect-count-0-null'), rec(errors, 'collect-too-small'),
      rec(errors, 'collect-images-count-0-null-after-take', true), rec(errors, 'collect-images-exact', true),
    ]);
    expect(await control(port, root).snapshotInfo('/dev/vda')).toEqual({ errorCode: 0, image: 'veeamblksnapimg0' });
    port.done();
  });

  it('snapshotInfo on VAL-6.0 names the image blksnap-image<minor>', async () => {
    const port = new TracePort([
      rec(errors, 'collect-count-0-null'), rec(errors, 'collect-too-small'),
      rec(errors, 'collect-images-count-0-null-after-take'), rec(errors, 'collect-images-exact'),
    ]);
    expect(await control(port, root, '6.0').snapshotInfo('/dev/vda')).toEqual({ errorCode: 0, image: 'blksnap-image0' });
  });

  it('snapshotInfo before take: COLLECT_IMAGES ENODEV means no image yet', async () => {
    const port = new TracePort([rec(errors, 'collect-count-0-null'), rec(errors, 'collect-too-small'), rec(errors, 'collect-images-count-0-null')]);
    expect(await control(port, root).snapshotInfo('/dev/vda')).toEqual({ errorCode: 0, image: '' });
    port.done();
  });

  it('events: low_free_space (code 0) carries requested sectors, corrupted (code 1) the device and errno', async () => {
    const id = 'db9a9988-3ba2-400f-acac-067cbd4c77db';
    const port = new TracePort([nth(overflow, 'poll-event', 0), nth(overflow, 'poll-event', 1), { record: overflow.find((r) => r.seq === 48) as IoctlRecord }]);
    const c = control(port, root);
    expect(await c.waitEvent(id, 0)).toMatchObject({ snapshotId: id, code: 0, kind: 'low_free_space', requestedSectors: 8192, timeLabelNs: '8719257163' });
    expect(await c.waitEvent(id, 0)).toBeNull();
    expect(await c.waitEvent(id, 0)).toMatchObject({ code: 1, kind: 'corrupted', device: { major: 254, minor: 0 }, errCode: 28 });
    expect(await c.diffStorageUsage(id)).toMatchObject({ requestedSectors: 8192, overflowed: true });
    port.done();
  });

  it('errnos of destroy, take and tracker remove carry v1 meanings', async () => {
    expect((await rejection(control(new TracePort([rec(errors, 'destroy-1-twice', true)]), root).snapshotDestroy('a1aa7461-f168-43cd-ba6e-f103235af65c'))).message).toMatch(/ENODEV.*no such snapshot/);
    const take = await rejection(control(new TracePort([rec(errors, 'take-without-storage', true)]), root).snapshotTake('b6ff7155-09b1-4b7f-91df-6aa0d7e3d238'));
    expect(take.code).toBe('EFAULT');
    expect(take.message).toMatch(/destroys a snapshot whose TAKE fails/);
    expect((await rejection(control(new TracePort([rec(errors, 'tracker-remove-while-snapshot', true)]), root).detach('/dev/vda'))).code).toBe('EBUSY');
    expect((await rejection(control(new TracePort([rec(errors, 'tracker-remove-twice', true)]), root).detach('/dev/vda'))).code).toBe('ENODATA');
  });
});
