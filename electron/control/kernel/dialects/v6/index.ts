// upstream v6 onto BlksnapControl: storage handed over as an fd we open and close.
import { v2KernelDialect } from '../v2-family/factory';
import type { V2Dialect } from '../v2-family/dialect';
import { UPSTREAM_FILTER_MEANINGS } from '../v2-family/meanings';
import { events, requests, structs } from './layout';

export const v6: V2Dialect = {
  id: 'v6', label: 'upstream v6 (2023)', verified: true,
  verifiedBy: 'spec §4 + gcc layout check + fake module (no trace of a real module exists)',
  family: 'upstream', versionMajor: 2, controlNode: '/dev/blksnap-control', filterNode: null, moduleName: 'blksnap',
  requests, structs, filter: { attach: structs.blkfilter_name, detach: structs.blkfilter_name, ctl: structs.blkfilter_ctl },
  create: { struct: structs.blksnap_snapshot_create, storage: 'fd' }, rangeMode: false, events,
  meanings: {
    ...UPSTREAM_FILTER_MEANINGS,
    CTL: { ...UPSTREAM_FILTER_MEANINGS.CTL, ENOENT: 'the device is not tracked, or a filter of another name is attached', EINVAL: 'optlen is below the minimum' },
    CBTINFO: { ENOENT: 'the device is not tracked, or a filter of another name is attached' },
    SNAPSHOT_CREATE: { EINVAL: 'the difference storage fd is not a regular file or block device' },
  },
  capabilities: {
    explicitAttach: true, addAfterCreate: true, appendStorage: false, cbtMapNeedsTakenSnapshot: false, maxSnapshots: null,
    storageModes: ['file', 'directory', 'block'], eventCodes: { 0: 'corrupted' }, needsStretchService: false,
  },
};

export const dialect = v2KernelDialect(v6);
