// v2-family snapshot calls that are more than one request: create (storage by path, by fd or
// none), take/destroy by id, and SNAPSHOT_COLLECT with its count protocol.
import { appError, type BlksnapError } from '../../../../../shared/errors';
import type { SnapshotCreateRequest } from '../../../../../shared/schemas';
import { cString, NativeMemory, O_CLOEXEC, O_LARGEFILE, O_RDWR, O_TMPFILE } from '../../native';
import { StructView } from '../../struct';
import { uuidFromBytes, uuidToBytes } from '../../../uuid';
import type { V2Calls } from './calls';
import { statOrNull } from './storage';
import { blksnap_snapshot_collect, blksnap_uuid } from './structs';

const COLLECT_RETRIES = 8;

/** SNAPSHOT_CREATE; returns the new id. */
export function snapshotCreate(calls: V2Calls, request: SnapshotCreateRequest): string {
  const { struct: layout, storage: storageKind } = calls.dialect.create;
  const limit = request.diffStorageLimitSectors;
  if (!Number.isSafeInteger(limit) || limit < 0) throw appError('EBADARG', `diffStorageLimitSectors ${limit} is not a whole number of sectors`);
  const view = new StructView(layout).setU64('diff_storage_limit_sect', limit);
  const path = request.diffStoragePath;
  if (path === null && !calls.dialect.rangeMode) {
    throw appError('EUNSUPPORTED', `${calls.dialect.label} needs a difference storage ${storageKind === 'fd' ? 'file or block device' : 'path'}; range mode (no path) exists only in the standalone modules`, { dialect: calls.dialect.id });
  }
  const mem = new NativeMemory(layout.size);
  const pathMem = storageKind === 'path' && path !== null ? new NativeMemory(Buffer.byteLength(path) + 1) : null;
  let storageFd: number | null = null;
  try {
    if (pathMem && path !== null) {
      pathMem.write(cString(path));
      view.setU64('diff_storage_filename', pathMem.address);
    }
    if (storageKind === 'fd' && path !== null) {
      storageFd = openStorage(calls, path);
      view.setU32('diff_storage_fd', storageFd);
    }
    mem.write(view.buf);
    calls.ioctl('SNAPSHOT_CREATE', calls.controlFd, calls.dialect.requests.SNAPSHOT_CREATE, mem, { path, limitSectors: limit });
    return uuidFromBytes(new StructView(layout, mem.read()).bytes('id'));
  } finally {
    // v6: the module keeps its own reference to the file (spec §4), so ours is closed.
    if (storageFd !== null) calls.env.sys.close(storageFd);
    pathMem?.free();
    mem.free();
  }
}

/** v6: the storage is an fd; a directory gets an unnamed O_TMPFILE file. */
function openStorage(calls: V2Calls, path: string): number {
  const isDir = statOrNull(path)?.isDirectory() ?? false;
  const flags = isDir ? O_TMPFILE | O_RDWR | O_CLOEXEC : O_RDWR | O_LARGEFILE | O_CLOEXEC;
  const r = calls.env.sys.open(path, flags, 0o600);
  if (r.ret < 0) throw calls.fail('OPEN_STORAGE', r, { path });
  return r.ret;
}

export function idCall(calls: V2Calls, op: 'SNAPSHOT_TAKE' | 'SNAPSHOT_DESTROY', request: number, id: string): void {
  const mem = new NativeMemory(blksnap_uuid.size);
  try {
    mem.write(uuidToBytes(id));
    calls.ioctl(op, calls.controlFd, request, mem, { id });
  } finally {
    mem.free();
  }
}

/**
 * One SNAPSHOT_COLLECT: `capacity` ids (null = the size query with ids = 0). Returns the
 * count written back and the ids; on ENODATA the count is yours, not the number needed.
 */
export function collectOnce(calls: V2Calls, capacity: number | null, countIn = capacity ?? 0): { count: number; ids: string[] } {
  const mem = new NativeMemory(blksnap_snapshot_collect.size);
  const ids = capacity ? new NativeMemory(capacity * 16) : null;
  try {
    mem.write(new StructView(blksnap_snapshot_collect).setU32('count', countIn).setU64('ids', ids?.address ?? 0).buf);
    calls.ioctl('SNAPSHOT_COLLECT', calls.controlFd, calls.dialect.requests.SNAPSHOT_COLLECT, mem, { capacity });
    const count = new StructView(blksnap_snapshot_collect, mem.read()).u32('count');
    const list: string[] = [];
    if (ids) {
      const bytes = ids.read(Math.min(count, capacity ?? 0) * 16);
      for (let i = 0; i < bytes.length; i += 16) list.push(uuidFromBytes(bytes.subarray(i, i + 16)));
    }
    return { count, ids: list };
  } finally {
    ids?.free();
    mem.free();
  }
}

export function snapshotCollect(calls: V2Calls): string[] {
  let capacity = collectOnce(calls, null).count;
  for (let attempt = 0; attempt < COLLECT_RETRIES; attempt++) {
    if (capacity === 0) return [];
    const slack = capacity + 4;
    try {
      return collectOnce(calls, slack).ids;
    } catch (err) {
      // ENODATA: snapshots were created since the query; the count is ours, so grow and retry.
      if ((err as BlksnapError).code !== 'ENODATA') throw err;
      capacity = slack * 2;
    }
  }
  throw appError('EINTERNAL', 'SNAPSHOT_COLLECT: the snapshot list kept growing; try again');
}
