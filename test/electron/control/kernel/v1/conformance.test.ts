// Replay of the VAL-6.3 traces at the encoding level: our encoders must produce the recorded
// argument bytes (pointer markers replaced by our own addresses, struct padding masked: the
// recorder left stack garbage there), and our decoders must read the recorded answers as the
// recorder decoded them.
import { describe, expect, it } from 'vitest';
import {
  decodeCbtInfoArray, decodeCollectImagesCount, decodeCount, decodeEvent, decodeIds, decodeImageInfos, decodeMod,
  decodeRanges, decodeSnapshotCreateId, decodeVersion, encodeAppendStorage, encodeCollectImages, encodeDevIdArray,
  encodeMarkDirty, encodeRanges, encodeReadCbtMap, encodeSnapshotCollect, encodeSnapshotCreate, encodeSnapshotId,
  encodeTrackerCollect, encodeTrackerRemove, encodeVersion, encodeWaitEvent, readDevId,
} from '../../../../../electron/control/kernel/dialects/v1/codec';
import { V1_ARG_STRUCT, V1_REQUEST, V1_STRUCT, type V1RequestName } from '../../../../../electron/control/kernel/dialects/v1/layout';
import { uuidFromBytes } from '../../../../../electron/control/uuid';
import { imageName } from '../../../../../electron/control/kernel/dialects/v1/names';
import { markers, maskPadding, readTrace, withPointers, type IoctlRecord } from '../conformance/trace';
import { traceMissingReason, TRACE_FILES } from './trace';
import { skipBecause } from '../../../../skip';

const missing = traceMissingReason();
const skipReplay = skipBecause('the v1 conformance replay', missing, 'where ../shared/conformance beside the repository holds the VAL-6.3 traces, and always in CI');

/** Padding bytes per argument struct (x86_64), masked before comparing. */
const PADDING: Partial<Record<V1RequestName, [number, number][]>> = {
  TRACKER_COLLECT: [[4, 8]],
  TRACKER_MARK_DIRTY_BLOCKS: [[12, 16]],
  SNAPSHOT_CREATE: [[4, 8]],
  SNAPSHOT_APPEND_STORAGE: [[28, 32]],
  SNAPSHOT_COLLECT: [[4, 8]],
  SNAPSHOT_COLLECT_IMAGES: [[20, 24]],
  SETLOG: [[12, 16]],
};

const ADDRESSES: Record<string, number> = {
  cbt_info_array: 0x7f0000001000, buff: 0x7f0000002000, dirty_blocks_array: 0x7f0000003000, dev_id_array: 0x7f0000004000,
  ranges: 0x7f0000005000, ids: 0x7f0000006000, image_info_array: 0x7f0000007000,
};

function requestName(r: IoctlRecord): V1RequestName | null {
  const n = r.name.replace(/^IOCTL_BLK_SNAP_/, '');
  return Object.hasOwn(V1_REQUEST, n) ? (n as V1RequestName) : null;
}

function ptr(r: IoctlRecord, field: string): number {
  return markers(r.in).includes(field) ? (ADDRESSES[field] ?? 0) : 0;
}

const dev = (text: string) => {
  const [major, minor] = text.split(':').map(Number);
  return { major: major ?? 0, minor: minor ?? 0 };
};

/** Our encoding of a recorded call, from the call's logical values. */
function encode(name: V1RequestName, r: IoctlRecord, inBytes: Buffer): Buffer {
  const u32 = (o: number) => inBytes.readUInt32LE(o);
  switch (name) {
    case 'VERSION': return encodeVersion();
    case 'TRACKER_REMOVE': return encodeTrackerRemove(readDevId(inBytes, 0));
    case 'TRACKER_COLLECT': return encodeTrackerCollect(u32(0), ptr(r, 'cbt_info_array'));
    case 'TRACKER_READ_CBT_MAP': return encodeReadCbtMap(readDevId(inBytes, 0), u32(8), u32(12), ptr(r, 'buff'));
    case 'TRACKER_MARK_DIRTY_BLOCKS': return encodeMarkDirty(readDevId(inBytes, 0), u32(8), ptr(r, 'dirty_blocks_array'));
    case 'SNAPSHOT_CREATE': return encodeSnapshotCreate(u32(0), ptr(r, 'dev_id_array'));
    case 'SNAPSHOT_DESTROY':
    case 'SNAPSHOT_TAKE': return encodeSnapshotId(uuidFromBytes(inBytes.subarray(0, 16)));
    case 'SNAPSHOT_APPEND_STORAGE': return encodeAppendStorage(uuidFromBytes(inBytes.subarray(0, 16)), readDevId(inBytes, 16), u32(24), ptr(r, 'ranges'));
    case 'SNAPSHOT_COLLECT': return encodeSnapshotCollect(u32(0), ptr(r, 'ids'));
    case 'SNAPSHOT_COLLECT_IMAGES': return encodeCollectImages(uuidFromBytes(inBytes.subarray(0, 16)), u32(16), ptr(r, 'image_info_array'));
    case 'SNAPSHOT_WAIT_EVENT': return encodeWaitEvent(uuidFromBytes(inBytes.subarray(0, 16)), u32(16));
    default: return Buffer.from(inBytes);
  }
}

const files = missing ? [] : TRACE_FILES;

describe.skipIf(skipReplay)('v1 conformance replay (VAL-6.3 traces): encoding', () => {
  for (const file of files) {
    const records = missing ? [] : readTrace(file);
    it.each(records.filter((r) => requestName(r)).map((r) => [r.label, r] as const))(`${file} %s: request, pointer offsets, argument bytes`, (_label, r) => {
      const name = requestName(r) as V1RequestName;
      expect(parseInt(r.request, 16)).toBe(V1_REQUEST[name]);
      const layout: { size: number; fields: Record<string, number> } = V1_STRUCT[V1_ARG_STRUCT[name]];
      expect(r.argSize).toBe(layout.size);
      for (const [field, offset] of Object.entries(r.ptrFields ?? {})) expect(layout.fields[field], field).toBe(offset);
      const recorded = maskPadding(withPointers(r.in, ADDRESSES), PADDING[name] ?? []);
      expect(encode(name, r, recorded).toString('hex')).toBe(recorded.toString('hex'));
    });
  }
});

describe.skipIf(skipReplay)('v1 conformance replay: semantic values of the recorded calls', () => {
  const lifecycle = missing ? [] : readTrace('lifecycle-val-6.3.jsonl');
  const errors = missing ? [] : readTrace('errors-val-6.3.jsonl');
  const overflow = missing ? [] : readTrace('overflow-val-6.3.jsonl');
  const find = (rs: IoctlRecord[], label: string) => rs.find((r) => r.label === label) as IoctlRecord;

  it('SNAPSHOT_CREATE: count 1 and the dev_t array of /dev/vda (254:0) or 7:250', () => {
    for (const [rs, label, devs] of [[lifecycle, 'create-1', ['254:0']], [errors, 'create-nonexistent-dev', ['7:250']], [overflow, 'create', ['254:0']]] as const) {
      const r = find(rs, label);
      expect(encodeDevIdArray(devs.map(dev)).toString('hex')).toBe(r.inBuffers.dev_id_array);
      expect(maskPadding(withPointers(r.in, ADDRESSES), [[4, 8]]).equals(encodeSnapshotCreate(devs.length, ADDRESSES.dev_id_array ?? 0))).toBe(true);
      expect(decodeSnapshotCreateId(withPointers(r.out, ADDRESSES))).toBe(uuidFromBytes(Buffer.from(String(r.decoded?.id), 'hex')));
    }
  });

  it('APPEND_STORAGE: 128 MiB of 254:16 from sector 0, then the overflow run\'s 4 MiB steps', () => {
    const r = find(lifecycle, 'append-storage-1');
    const id = uuidFromBytes(Buffer.from(String(find(lifecycle, 'create-1').decoded?.id), 'hex'));
    expect(encodeRanges([{ offsetSectors: 0, countSectors: 262144 }]).toString('hex')).toBe(r.inBuffers.ranges);
    expect(maskPadding(withPointers(r.in, ADDRESSES), [[28, 32]]).equals(encodeAppendStorage(id, dev('254:16'), 1, ADDRESSES.ranges ?? 0))).toBe(true);
    const steps = overflow.filter((x) => x.name.endsWith('APPEND_STORAGE')).map((x) => decodeRanges(Buffer.from(x.inBuffers.ranges ?? '', 'hex')));
    expect(steps).toEqual([0, 1, 2, 3].map((k) => [{ offsetSectors: 8192 * k, countSectors: 8192 }]));
  });

  it('MARK_DIRTY_BLOCKS: 8 sectors at 6 MiB and 256 sectors at 200 MiB', () => {
    const r = find(lifecycle, 'mark-dirty');
    expect(encodeRanges([{ offsetSectors: 12288, countSectors: 8 }, { offsetSectors: 409600, countSectors: 256 }]).toString('hex')).toBe(r.inBuffers.dirty_blocks_array);
    expect(maskPadding(withPointers(r.in, ADDRESSES), [[12, 16]]).equals(encodeMarkDirty(dev('254:0'), 2, ADDRESSES.dirty_blocks_array ?? 0))).toBe(true);
  });

  it('READ_CBT_MAP: full map, partial 30+20 and the straddling read', () => {
    expect(withPointers(find(lifecycle, 'read-cbt-map-full-after-take-1').in, ADDRESSES).equals(encodeReadCbtMap(dev('254:0'), 0, 4096, ADDRESSES.buff ?? 0))).toBe(true);
    expect(withPointers(find(lifecycle, 'read-cbt-map-partial-30+20').in, ADDRESSES).equals(encodeReadCbtMap(dev('254:0'), 30, 20, ADDRESSES.buff ?? 0))).toBe(true);
    expect(withPointers(find(errors, 'read-cbt-map-straddles-end').in, ADDRESSES).equals(encodeReadCbtMap(dev('254:0'), 4092, 16, ADDRESSES.buff ?? 0))).toBe(true);
  });

  it('WAIT_EVENT: id and the timeout in ticks (0, 100, 1000)', () => {
    const id = uuidFromBytes(Buffer.from('a1aa7461f16843cdba6ef103235af65c', 'hex'));
    for (const [label, ticks] of [['wait-event-timeout-0', 0], ['wait-event-timeout-100', 100], ['wait-event-timeout-1000', 1000]] as const) {
      expect(encodeWaitEvent(id, ticks).toString('hex')).toBe(find(errors, label).in);
    }
  });
});

function nonZeroRuns(map: Buffer, firstBlock: number): { fromBlock: number; toBlock: number; value: number }[] {
  const runs: { fromBlock: number; toBlock: number; value: number }[] = [];
  map.forEach((v, i) => {
    const last = runs[runs.length - 1];
    if (v === 0) return;
    if (last && last.value === v && last.toBlock === firstBlock + i - 1) last.toBlock += 1;
    else runs.push({ fromBlock: firstBlock + i, toBlock: firstBlock + i, value: v });
  });
  return runs;
}

describe.skipIf(skipReplay)('v1 conformance replay: decoding of the answers', () => {
  for (const file of files) {
    const records = missing ? [] : readTrace(file);
    it.each(records.filter((r) => requestName(r)).map((r) => [r.label, r] as const))(`${file} %s: answer decoded as recorded`, (_label, r) => {
      const name = requestName(r) as V1RequestName;
      const out = withPointers(r.out, ADDRESSES);
      const d = r.decoded ?? {};
      const buffer = (field: string) => Buffer.from(r.outBuffers[field] ?? '', 'hex');
      switch (name) {
        case 'VERSION': expect(decodeVersion(out)).toEqual(d); break;
        case 'MOD': expect(decodeMod(out)).toEqual({ compatibilityFlags: BigInt(d.compatibility_flags as number), name: d.name }); break;
        case 'TRACKER_COLLECT': {
          expect(decodeCount(out)).toBe(d.countAfter);
          const n = r.ret === 0 && markers(r.in).length ? decodeCount(out) : 0;
          const items = decodeCbtInfoArray(buffer('cbt_info_array'), n).map((i) => ({
            dev_id: `${i.devId.major}:${i.devId.minor}`, blk_size: i.blkSizeBytes, device_capacity: i.deviceCapacityBytes,
            blk_count: i.blkCount, generation_id: i.generationIdHex, snap_number: i.snapNumber,
          }));
          expect(items).toEqual(d.items);
          break;
        }
        case 'TRACKER_READ_CBT_MAP':
          if (r.ret > 0) {
            expect(r.ret).toBe(r.label.includes('straddles') ? 4 : decodeCount(out, 12));
            const first = out.readUInt32LE(8);
            expect(first).toBe(d.firstBlock);
            expect(nonZeroRuns(buffer('buff').subarray(0, r.ret), first)).toEqual(d.nonZeroRuns);
          }
          break;
        case 'SNAPSHOT_CREATE': if (r.ret === 0) expect(decodeSnapshotCreateId(out).replace(/-/g, '')).toBe(d.id); break;
        case 'SNAPSHOT_COLLECT': {
          expect(decodeCount(out)).toBe(d.countAfter);
          if (markers(r.in).length && r.ret === 0) expect(decodeIds(buffer('ids'), decodeCount(out))).toHaveLength(d.countAfter as number);
          break;
        }
        case 'SNAPSHOT_COLLECT_IMAGES': {
          expect(decodeCollectImagesCount(out)).toBe(d.countAfter);
          if (r.ret === 0 && d.orig) {
            const [img] = decodeImageInfos(buffer('image_info_array'), 1);
            expect(`${img?.orig.major}:${img?.orig.minor}`).toBe(d.orig);
            expect(`${img?.image.major}:${img?.image.minor}`).toBe(d.image);
            expect(`/dev/${imageName('6.1+', img?.image.minor ?? -1)}`).toBe(d.imagePathUsed);
          }
          break;
        }
        case 'SNAPSHOT_WAIT_EVENT': {
          if (r.ret !== 0) break;
          const ev = decodeEvent(out);
          expect(ev.code).toBe(d.code);
          expect(ev.kind).toBe(d.codeName);
          expect(ev.timeLabelNs).toBe(String(d.time_label));
          if (ev.kind === 'low_free_space') expect(ev.requestedSectors).toBe(d.requested_nr_sect);
          if (ev.kind === 'corrupted') {
            expect(`${ev.device.major}:${ev.device.minor}`).toBe(d.orig_dev_id);
            expect(ev.errCode).toBe(d.err_code);
          }
          break;
        }
        default: break;
      }
    });
  }
});
