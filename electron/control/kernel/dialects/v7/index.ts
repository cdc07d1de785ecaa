// upstream v7 / lk6.9 onto BlksnapControl.
import { v2KernelDialect } from '../v2-family/factory';
import type { V2Dialect } from '../v2-family/dialect';
import { UPSTREAM_FILTER_MEANINGS } from '../v2-family/meanings';
import { events, requests, structs } from './layout';

export const v7: V2Dialect = {
  id: 'v7', label: 'upstream v7 / lk6.9', verified: true,
  verifiedBy: 'spec §4 + gcc layout check + fake module (no trace of a real module exists)',
  family: 'upstream', versionMajor: 2, controlNode: '/dev/blksnap-control', filterNode: null, moduleName: 'blksnap',
  requests, structs, filter: { attach: structs.blkfilter_name, detach: structs.blkfilter_name, ctl: structs.blkfilter_ctl },
  create: { struct: structs.blksnap_snapshot_create, storage: 'path' }, rangeMode: false, events,
  meanings: UPSTREAM_FILTER_MEANINGS,
  capabilities: {
    explicitAttach: true, addAfterCreate: true, appendStorage: false, cbtMapNeedsTakenSnapshot: false, maxSnapshots: null,
    storageModes: ['file', 'directory', 'block'], eventCodes: { 0: 'corrupted' }, needsStretchService: false,
  },
};

export const dialect = v2KernelDialect(v7);
