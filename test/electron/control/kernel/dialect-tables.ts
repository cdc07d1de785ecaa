// The v2 dialect tables under test, and the spec's description of each request (direction,
// type, nr, argument struct) from which the hex literals are recomputed.
import { lk615 } from '../../../../electron/control/kernel/dialects/lk6.15';
import { v7 } from '../../../../electron/control/kernel/dialects/v7';
import { v6 } from '../../../../electron/control/kernel/dialects/v6';
import { val70 } from '../../../../electron/control/kernel/dialects/val-7.0';
import { val13 } from '../../../../electron/control/kernel/dialects/val-13';
import type { V2Dialect } from '../../../../electron/control/kernel/dialects/v2-family/dialect';

export const V2_DIALECTS: V2Dialect[] = [lk615, v7, v6, val70, val13];

type Dir = 'R' | 'W' | 'RW';
export type RequestSpec = [dir: Dir, type: number, nr: number, struct: string];

const V = 0x56;
const F = 0x46;
const CONTROL: Record<string, RequestSpec> = {
  VERSION: ['R', V, 0, 'blksnap_version'],
  SNAPSHOT_CREATE: ['RW', V, 1, 'blksnap_snapshot_create'],
  SNAPSHOT_DESTROY: ['W', V, 2, 'blksnap_uuid'],
  SNAPSHOT_TAKE: ['W', V, 3, 'blksnap_uuid'],
  SNAPSHOT_COLLECT: ['R', V, 4, 'blksnap_snapshot_collect'],
  SNAPSHOT_WAIT_EVENT: ['R', V, 5, 'blksnap_snapshot_event'],
};
const STANDALONE: Record<string, RequestSpec> = {
  MOD: ['R', V, 32, 'blksnap_mod'],
  SETLOG: ['W', V, 33, 'blksnap_setlog'],
  SNAPSHOT_APPEND_STORAGE: ['W', V, 34, 'blksnap_snapshot_append_storage'],
};

export const REQUEST_SPECS: Record<string, Record<string, RequestSpec>> = {
  'lk6.15': {
    ...CONTROL,
    FILTER_ATTACH: ['RW', 0x12, 142, 'blkfilter_attach'],
    FILTER_DETACH: ['RW', 0x12, 143, 'blkfilter_detach'],
    FILTER_CTL: ['RW', 0x12, 144, 'blkfilter_ctl'],
  },
  v7: {
    ...CONTROL,
    FILTER_ATTACH: ['RW', 0x12, 140, 'blkfilter_name'],
    FILTER_DETACH: ['RW', 0x12, 141, 'blkfilter_name'],
    FILTER_CTL: ['RW', 0x12, 142, 'blkfilter_ctl'],
  },
  v6: {
    ...CONTROL,
    FILTER_ATTACH: ['RW', 0x12, 140, 'blkfilter_name'],
    FILTER_DETACH: ['RW', 0x12, 141, 'blkfilter_name'],
    FILTER_CTL: ['RW', 0x12, 142, 'blkfilter_ctl'],
  },
  'val-7.0': {
    ...CONTROL, ...STANDALONE,
    FILTER_ATTACH: ['RW', F, 140, 'bdevfilter_name'],
    FILTER_DETACH: ['RW', F, 141, 'bdevfilter_name'],
    FILTER_CTL: ['RW', F, 142, 'bdevfilter_ctl'],
  },
  'val-13': {
    ...CONTROL, ...STANDALONE,
    FILTER_ATTACH: ['RW', F, 140, 'bdevfilter_attach'],
    FILTER_DETACH: ['RW', F, 141, 'bdevfilter_name'],
    FILTER_CTL: ['RW', F, 142, 'bdevfilter_ctl'],
    FILTER_SETLOG: ['W', F, 143, 'bdevfilter_setlog'],
  },
};
