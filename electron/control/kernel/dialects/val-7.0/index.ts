// Veeam standalone VAL-7.0 onto BlksnapControl. Meanings follow the recorded module (spec §10).
import { v2KernelDialect } from '../../v2/factory';
import type { V2Dialect } from '../../v2/dialect';
import type { Meanings } from '../../errno';
import { events, requests, structs } from './layout';

/** bdevfilter opens the path first: its errors come before the filter's (spec §5.2). */
export const STANDALONE_PATH_MEANINGS: Meanings = {
  EFAULT: 'the device path could not be read by the module',
  ENOTBLK: 'the path is not a block device',
  ENAMETOOLONG: 'the device path is too long',
  EACCES: 'permission denied: run blksnap Manager as root',
};

export const STANDALONE_MEANINGS: V2Dialect['meanings'] = {
  ATTACH: { ...STANDALONE_PATH_MEANINGS, ENOENT: 'the blksnap filter is not registered with bdevfilter (veeamblksnap not loaded), or the device path does not exist' },
  DETACH: { ...STANDALONE_PATH_MEANINGS, ENOENT: 'the device is not tracked (or its path does not exist)' },
  CTL: {
    ...STANDALONE_PATH_MEANINGS,
    ENOENT: 'the device is not tracked (no blksnap filter on it, or its path does not exist)',
    EINVAL: 'optlen is below the minimum for this command, or the device path is invalid',
  },
  SNAPSHOTINFO: { EINVAL: 'optlen is below the size of blksnap_snapshotinfo' },
};

export const val70: V2Dialect = {
  id: 'val-7.0', label: 'Veeam standalone VAL-7.0', verified: true,
  verifiedBy: 'spec §5 + gcc layout check + conformance traces of the real 7.0.0.0 module + fake module',
  family: 'standalone', versionMajor: 7, controlNode: '/dev/veeamblksnap', filterNode: '/dev/bdevfilter', moduleName: 'veeamblksnap',
  requests, structs, filter: { attach: structs.bdevfilter_name, detach: structs.bdevfilter_name, ctl: structs.bdevfilter_ctl },
  create: { struct: structs.blksnap_snapshot_create, storage: 'path' }, rangeMode: true, events,
  meanings: STANDALONE_MEANINGS,
  capabilities: {
    explicitAttach: true, addAfterCreate: true, appendStorage: true, cbtMapNeedsTakenSnapshot: false, maxSnapshots: null,
    storageModes: ['file', 'directory', 'block', 'ranges'], eventCodes: { 0: 'corrupted', 1: 'low_free_space' },
    // Only range mode (no storage path) needs the service to answer low_free_space.
    needsStretchService: true,
  },
};

export const dialect = v2KernelDialect(val70);
