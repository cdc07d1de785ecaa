// What each errno means for each v2 call (spec §2, §5.2, §10). Dialects override entries
// where their module answers differently (e.g. a foreign filter name: v6 ENOENT, v7 EINVAL).
import type { Meanings } from '../../errno';
import type { V2Operation } from './dialect';

const CTL_COMMON: Meanings = {
  ENOENT: 'the device is not tracked (no blksnap filter attached to it)',
  ENODEV: 'the device is gone',
  EINVAL: 'a filter of another name is attached to the device, or optlen is below the minimum',
  ENOTTY: 'the module does not know this CTL command',
  ENODATA: 'the module could not copy the command payload',
};

export const V2_MEANINGS: Record<V2Operation, Meanings> = {
  VERSION: { ENODATA: 'the module could not copy its version out' },
  SNAPSHOT_CREATE: {
    EFAULT: 'the difference storage path could not be read by the module',
    EINVAL: 'the difference storage is not a regular file, directory or block device, its path is too long, or its filesystem has no O_DIRECT',
    ENOENT: 'the difference storage path does not exist',
    EBUSY: 'the difference storage block device is in use',
    ENOSPC: 'the difference storage is larger than the limit allows or could not be preallocated',
    EOPNOTSUPP: 'the difference storage filesystem cannot preallocate (fallocate)',
    ENODATA: 'the module could not copy the request',
  },
  SNAPSHOT_DESTROY: { ENODEV: 'no snapshot with this id (already destroyed?)', ENODATA: 'the module could not copy the id' },
  SNAPSHOT_TAKE: {
    ESRCH: 'no snapshot with this id',
    EALREADY: 'the snapshot is already taken (or a failed take left it marked taken: destroy it)',
    ENODEV: 'no device was added to the snapshot',
    EFAULT: 'a device\'s difference area was corrupted right after the switch; destroy the snapshot',
  },
  SNAPSHOT_COLLECT: { ENODATA: 'the id array was too small (the list changed meanwhile)' },
  SNAPSHOT_WAIT_EVENT: {
    ESRCH: 'no snapshot with this id (destroyed?)',
    EINVAL: 'the module could not copy the event struct',
  },
  ATTACH: {
    ENOENT: 'no filter named "blksnap" is registered: the blksnap module is not loaded',
    ENODEV: 'the device is gone',
    EALREADY: 'the device is already tracked',
    EBUSY: 'another filter is attached to the device',
    ENOMEM: 'the kernel could not allocate the CBT map',
  },
  DETACH: {
    ENOENT: 'the device is not tracked',
    ENODEV: 'the device is gone',
    EINVAL: 'a filter of another name is attached to the device',
  },
  CTL: CTL_COMMON,
  CBTINFO: { ESRCH: 'the device has no CBT map' },
  CBTMAP: {

    EFAULT: 'the device\'s CBT map is corrupted (the device grew while tracked); detach and attach again',
    ENODATA: 'the requested blocks lie past the end of the CBT map',
    EINVAL: 'the module could not write the map into the buffer',
  },
  CBTDIRTY: {

    EINVAL: 'a range lies past the end of the device or the CBT map is corrupted; earlier ranges are marked already',
    ENODATA: 'the module could not read the ranges',
  },
  SNAPSHOTADD: {

    ESRCH: 'no snapshot with this id',
    EALREADY: 'the device is already in this snapshot',
    EBUSY: 'the device is in another snapshot (until that one is released)',
    EPERM: 'the device has integrity metadata or inline encryption, which blksnap cannot snapshot',
  },
  SNAPSHOTINFO: { EINVAL: 'optlen is below the size of blksnap_snapshotinfo' },
  MOD: { ENODATA: 'the module could not copy its description out' },
  SETLOG: { EINVAL: 'the log file path size is 0', ENOTTY: 'this build of the module has no file logging' },
  SNAPSHOT_APPEND_STORAGE: {
    ESRCH: 'no snapshot with this id',
    ENOENT: 'the storage device path does not exist',
    ENODATA: 'the module could not read the ranges',
  },
  OPEN_DEVICE: {
    ENOENT: 'no such device node',
    ENXIO: 'the device is gone',
    ENODEV: 'the device is gone',
    EACCES: 'permission denied on the device node: run as root',
    ENOTBLK: 'not a block device',
  },
  OPEN_STORAGE: {
    ENOENT: 'the difference storage path does not exist',
    EACCES: 'permission denied on the difference storage: run as root',
    EISDIR: 'the difference storage is a directory whose filesystem has no O_TMPFILE',
    EOPNOTSUPP: 'the directory\'s filesystem does not support unnamed (O_TMPFILE) files',
  },
};

/** Upstream filter ioctls go to the block device itself: ENOTTY there says more than "unknown request". */
export const UPSTREAM_FILTER_MEANINGS: Partial<Record<V2Operation, Meanings>> = {
  ATTACH: { ENOTTY: 'the path does not take blkfilter ioctls: not a block device, or this kernel lacks this dialect\'s blkfilter numbers' },
  DETACH: { ENOTTY: 'the path does not take blkfilter ioctls: not a block device, or this kernel lacks this dialect\'s blkfilter numbers' },
  CTL: { ENOTTY: 'the module does not know this CTL command, or the path is not a block device' },
};

/** bdevfilter opens the path first: its errors come before the filter's (spec §5.2). */
export const STANDALONE_PATH_MEANINGS: Meanings = {
  EFAULT: 'the device path could not be read by the module',
  ENOTBLK: 'the path is not a block device',
  ENAMETOOLONG: 'the device path is too long',
  EACCES: 'permission denied: run blksnap Manager as root',
};

export const STANDALONE_MEANINGS: Partial<Record<V2Operation, Meanings>> = {
  ATTACH: { ...STANDALONE_PATH_MEANINGS, ENOENT: 'the blksnap filter is not registered with bdevfilter (veeamblksnap not loaded), or the device path does not exist' },
  DETACH: { ...STANDALONE_PATH_MEANINGS, ENOENT: 'the device is not tracked (or its path does not exist)' },
  CTL: {
    ...STANDALONE_PATH_MEANINGS,
    ENOENT: 'the device is not tracked (no blksnap filter on it, or its path does not exist)',
    EINVAL: 'optlen is below the minimum for this command, or the device path is invalid',
  },
  SNAPSHOTINFO: { EINVAL: 'optlen is below the size of blksnap_snapshotinfo' },
};
