// upstream lk6.15 onto BlksnapControl: the generic v2 control with this table.
import { v2KernelDialect } from '../v2-family/factory';
import type { V2Dialect } from '../v2-family/dialect';
import { UPSTREAM_FILTER_MEANINGS } from '../v2-family/meanings';
import { blkfilter_attach, blkfilter_detach, events, requests, structs } from './layout';
import { blkfilter_ctl } from '../v2-family/structs';

export const lk615: V2Dialect = {
  id: 'lk6.15', label: 'upstream lk6.15', verified: true,
  verifiedBy: 'spec §1–3 + gcc layout check + fake module (no trace of a real module exists)',
  family: 'upstream', versionMajor: 2, controlNode: '/dev/blksnap-control', filterNode: null, moduleName: 'blksnap',
  requests, structs, filter: { attach: blkfilter_attach, detach: blkfilter_detach, ctl: blkfilter_ctl },
  create: { struct: structs.blksnap_snapshot_create, storage: 'path' }, rangeMode: false, events,
  meanings: UPSTREAM_FILTER_MEANINGS,
  capabilities: {
    explicitAttach: true, addAfterCreate: true, appendStorage: false, cbtMapNeedsTakenSnapshot: false, maxSnapshots: null,
    storageModes: ['file', 'directory', 'block'], eventCodes: { 0: 'corrupted', 1: 'no_space' }, needsStretchService: false,
  },
};

export const dialect = v2KernelDialect(lk615);
