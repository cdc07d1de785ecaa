// Turns one recorded ioctl of a standalone v2 trace into the client call that sends it, and
// checks the client's result (or named error) against what the module answered.
import { expect } from 'vitest';
import type { V2Control } from '../../../../../electron/control/kernel/dialects/v2-family/control';
import { NativeMemory } from '../../../../../electron/control/kernel/native';
import { CTL } from '../../../../../electron/control/kernel/dialects/v2-family/structs';
import { uuidFromBytes } from '../../../../../electron/control/uuid';
import type { StructLayout } from '../../../../../electron/control/kernel/struct';
import { BlksnapError } from '../../../../../shared/errors';
import { cText, segments, type IoctlRecord } from './trace';
import type { ReplayLayouts } from './replay-port';

/** Requests the client never sends (recorded to learn the module's answer): skipped, with why. */
export const NOT_SENT: Record<string, string> = {
  "_IOR('V',99,u64)": 'an unknown request number: the client only sends numbers of its dialect table',
};

function structBytes(hex: string): Buffer {
  return Buffer.concat(segments(hex).map((s) => (s.kind === 'ptr' ? Buffer.alloc(8) : s.bytes)));
}

function ctlFields(rec: IoctlRecord): { device: string; name: string; cmd: number; optlen: number } {
  const b = structBytes(rec.in);
  return {
    device: cText(rec.inBuffers.devpath ?? ''), name: cText(b.subarray(8, 40).toString('hex')),
    cmd: b.readUInt32LE(40), optlen: b.readUInt32LE(44),
  };
}

const uuidAt = (hex: string, offset: number) => uuidFromBytes(structBytes(hex).subarray(offset, offset + 16));

export function v2Layouts(structs: Readonly<Record<string, StructLayout>>): ReplayLayouts {
  const byRequest: Record<string, StructLayout | undefined> = {
    IOCTL_BLKSNAP_VERSION: structs.blksnap_version, IOCTL_BLKSNAP_MOD: structs.blksnap_mod,
    IOCTL_BLKSNAP_SNAPSHOT_CREATE: structs.blksnap_snapshot_create, IOCTL_BLKSNAP_SNAPSHOT_DESTROY: structs.blksnap_uuid,
    IOCTL_BLKSNAP_SNAPSHOT_TAKE: structs.blksnap_uuid, IOCTL_BLKSNAP_SNAPSHOT_COLLECT: structs.blksnap_snapshot_collect,
    IOCTL_BLKSNAP_SNAPSHOT_WAIT_EVENT: structs.blksnap_snapshot_event, IOCTL_BLKSNAP_SETLOG: structs.blksnap_setlog,
    IOCTL_BLKSNAP_SNAPSHOT_APPEND_STORAGE: structs.blksnap_snapshot_append_storage,
    BDEVFILTER_ATTACH: structs.bdevfilter_name, BDEVFILTER_DETACH: structs.bdevfilter_name,
  };
  return {
    argStruct: (rec) => (rec.name.startsWith('BDEVFILTER_CTL') ? structs.bdevfilter_ctl ?? null : byRequest[rec.name] ?? null),
    optStruct: (rec) => Object.values(CTL).find((c) => c.cmd === ctlFields(rec).cmd)?.struct ?? null,
  };
}

/** Runs the client call for `rec`; resolves to the call's value (checked by `check`). */
export async function drive(control: V2Control, rec: IoctlRecord): Promise<unknown> {
  const name = rec.name;
  if (name === 'IOCTL_BLKSNAP_VERSION') return control.version();
  if (name === 'IOCTL_BLKSNAP_MOD') return control.mod();
  if (name === 'BDEVFILTER_ATTACH' || name === 'BDEVFILTER_DETACH') {
    const device = cText(rec.inBuffers.devpath ?? '');
    const filter = cText(structBytes(rec.in).subarray(8, 40).toString('hex'));
    if (name === 'BDEVFILTER_DETACH') return control.detach(device);
    return filter === 'blksnap' ? control.attach(device) : control.attachNamed(device, filter);
  }
  if (name.startsWith('BDEVFILTER_CTL')) return driveCtl(control, rec);
  const arg = structBytes(rec.in);
  switch (name) {
    case 'IOCTL_BLKSNAP_SNAPSHOT_CREATE': {
      const path = rec.inBuffers.diff_storage_filename;
      return control.snapshotCreate({ diffStoragePath: path === undefined ? null : cText(path), diffStorageLimitSectors: Number(arg.readBigUInt64LE(0)), devices: [] });
    }
    case 'IOCTL_BLKSNAP_SNAPSHOT_DESTROY': return control.snapshotDestroy(uuidAt(rec.in, 0));
    case 'IOCTL_BLKSNAP_SNAPSHOT_TAKE': return control.snapshotTake(uuidAt(rec.in, 0));
    case 'IOCTL_BLKSNAP_SNAPSHOT_COLLECT': {
      const count = arg.readUInt32LE(0);
      const hasIds = rec.in.includes('<ptr:ids>');
      return control.collectOnce(hasIds ? count : null, count);
    }
    case 'IOCTL_BLKSNAP_SNAPSHOT_WAIT_EVENT': return control.waitEvent(uuidAt(rec.in, 0), arg.readUInt32LE(16));
    case 'IOCTL_BLKSNAP_SETLOG': return control.setLog(arg.readInt32LE(4), null, arg.readInt32LE(0));
    case 'IOCTL_BLKSNAP_SNAPSHOT_APPEND_STORAGE': {
      const ranges = Buffer.from(rec.inBuffers.ranges ?? '', 'hex');
      const list = [];
      for (let i = 0; i < ranges.length; i += 16) list.push({ offsetSectors: Number(ranges.readBigUInt64LE(i)), countSectors: Number(ranges.readBigUInt64LE(i + 8)) });
      return control.appendStorage(uuidAt(rec.in, 0), cText(rec.inBuffers.devpath ?? ''), list);
    }
    default: throw new Error(`no driver for ${name}`);
  }
}

async function driveCtl(control: V2Control, rec: IoctlRecord): Promise<unknown> {
  const { device, name, cmd, optlen } = ctlFields(rec);
  const opt = rec.inBuffers.opt ?? '';
  const standard = name === 'blksnap' && Object.values(CTL).some((c) => c.cmd === cmd && c.struct.size === optlen);
  if (standard) {
    if (cmd === CTL.CBTINFO.cmd) return control.cbtInfo(device);
    if (cmd === CTL.SNAPSHOTINFO.cmd) return control.snapshotInfo(device);
    if (cmd === CTL.SNAPSHOTADD.cmd) return control.snapshotAdd(uuidAt(opt, 0), device);
    const o = structBytes(opt);
    if (cmd === CTL.CBTMAP.cmd) return control.cbtMap(device, o.readUInt32LE(0), o.readUInt32LE(4));
    if (cmd === CTL.CBTDIRTY.cmd) {
      const raw = Buffer.from(rec.inBuffers['opt.dirty_sectors'] ?? '', 'hex');
      const ranges = [];
      for (let i = 0; i < raw.length; i += 16) ranges.push({ offsetSectors: Number(raw.readBigUInt64LE(i)), countSectors: Number(raw.readBigUInt64LE(i + 8)) });
      return control.cbtDirty(device, ranges);
    }
  }
  // What the API never sends (foreign name, short optlen, unknown cmd): the raw CTL, with the
  // payload buffer as the recorder had it.
  const bytes = structBytes(opt);
  const mem = new NativeMemory(Math.max(bytes.length, 1));
  try {
    mem.write(bytes);
    control.ctl(device, cmd, mem, optlen, name);
    return mem.read(bytes.length);
  } finally {
    mem.free();
  }
}

/** The expected outcome of `rec` as seen through the client. */
export function check(rec: IoctlRecord, outcome: { value?: unknown; error?: unknown }): void {
  const d = rec.decoded ?? {};
  const isWait = rec.name === 'IOCTL_BLKSNAP_SNAPSHOT_WAIT_EVENT';
  if (rec.ret < 0 && !(isWait && (rec.errnoName === 'ENOENT' || rec.errnoName === 'EINTR'))) {
    expect(outcome.error, `${rec.label}: expected ${rec.errnoName}`).toBeInstanceOf(BlksnapError);
    const err = outcome.error as BlksnapError;
    expect(err.code).toBe(rec.errnoName);
    expect(err.errno).toBe(rec.errno);
    // A meaning for this call in this dialect, not the generic fallback.
    expect(err.message, err.message).not.toMatch(/not expected from this call/);
    return;
  }
  expect(outcome.error, `${rec.label}: ${String(outcome.error)}`).toBeUndefined();
  const v = outcome.value as Record<string, unknown> | null | undefined;
  switch (rec.name) {
    case 'IOCTL_BLKSNAP_VERSION': expect(v).toEqual(d); break;
    case 'IOCTL_BLKSNAP_MOD': expect(v).toEqual({ name: d.name, compatibilityFlags: d.compatibility_flags }); break;
    case 'IOCTL_BLKSNAP_SNAPSHOT_CREATE': expect(String(v).replace(/-/g, '')).toBe(d.id); break;
    case 'IOCTL_BLKSNAP_SNAPSHOT_COLLECT': {
      const ids = Buffer.from(rec.outBuffers.ids ?? '', 'hex');
      const expectedIds: string[] = [];
      for (let i = 0; rec.in.includes('<ptr:ids>') && i < (d.countAfter as number) * 16 && i < ids.length; i += 16) expectedIds.push(uuidFromBytes(ids.subarray(i, i + 16)));
      expect(v).toEqual({ count: d.countAfter, ids: expectedIds });
      break;
    }
    case 'IOCTL_BLKSNAP_SNAPSHOT_WAIT_EVENT': {
      if (rec.ret < 0) { expect(v).toBeNull(); break; }
      expect(v).toMatchObject({
        code: d.code, kind: d.codeName, timeLabelNs: String(d.time_label),
        requestedSectors: d.requested_nr_sect ?? null,
        device: d.dev_id_mj === undefined ? null : { major: d.dev_id_mj, minor: d.dev_id_mn },
        errCode: d.err_code ?? null,
      });
      break;
    }
    default:
      if (rec.name.endsWith('/CBTINFO') && rec.decoded) {
        expect(v).toEqual({
          deviceCapacityBytes: d.device_capacity, blockSizeBytes: d.block_size, blockCount: d.block_count,
          generationId: uuidFromBytes(Buffer.from(String(d.generation_id), 'hex')), changesNumber: d.changes_number,
        });
      } else if (rec.name.endsWith('/SNAPSHOTINFO')) {
        expect(v).toEqual({ errorCode: d.error_code ?? structBytes(rec.outBuffers.opt ?? '').readInt32LE(0), image: d.image ?? cText(structBytes(rec.outBuffers.opt ?? '').subarray(4).toString('hex')) });
      } else if (rec.name.endsWith('/CBTMAP')) {
        const length = structBytes(rec.inBuffers.opt ?? '').readUInt32LE(4);
        expect(Buffer.from(outcome.value as Uint8Array).toString('hex')).toBe((rec.outBuffers['opt.buffer'] ?? '').slice(0, length * 2));
      }
  }
}
