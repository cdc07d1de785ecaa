// Veeam standalone VAL-7.0 onto BlksnapControl. Meanings follow the recorded module (spec §10).
import { v2KernelDialect } from '../v2-family/factory';
import type { V2Dialect } from '../v2-family/dialect';
import { STANDALONE_MEANINGS } from '../v2-family/meanings';
import { events, requests, structs } from './layout';

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
    // The app uses path mode here (the kernel grows the file); range mode would need the
    // stretch service, which the app runs for v1 only, as the emulator's flavour says.
    needsStretchService: false,
  },
};

export const dialect = v2KernelDialect(val70);
