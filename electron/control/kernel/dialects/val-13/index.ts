// Veeam standalone VAL-13 onto BlksnapControl. Inferred from a fork and third-party clients
// (spec §0.1): the backend works, but BackendInfo says "unverified".
import { v2KernelDialect } from '../v2-family/factory';
import type { V2Dialect } from '../v2-family/dialect';
import { STANDALONE_MEANINGS } from '../v2-family/meanings';
import { events, requests, structs } from './layout';

export const val13: V2Dialect = {
  id: 'val-13', label: 'Veeam standalone VAL-13 (unverified dialect)', verified: false,
  verifiedBy: 'spec §5 [inferred] + gcc layout check + fake module only: no trace of a real module',
  family: 'standalone', versionMajor: 7, controlNode: '/dev/veeamblksnap', filterNode: '/dev/bdevfilter', moduleName: 'veeamblksnap',
  requests, structs, filter: { attach: structs.bdevfilter_attach, detach: structs.bdevfilter_name, ctl: structs.bdevfilter_ctl },
  create: { struct: structs.blksnap_snapshot_create, storage: 'path' }, rangeMode: true, events,
  meanings: STANDALONE_MEANINGS,
  capabilities: {
    explicitAttach: true, addAfterCreate: true, appendStorage: true, cbtMapNeedsTakenSnapshot: false, maxSnapshots: null,
    storageModes: ['file', 'directory', 'block', 'ranges'], eventCodes: { 0: 'corrupted', 1: 'no_space', 2: 'low_free_space' },

    // The app uses path mode here (the kernel grows the file); range mode would need the

    // stretch service, which the app runs for v1 only, as the emulator's flavour says.

    needsStretchService: false,
  },
};

export const dialect = v2KernelDialect(val13);
