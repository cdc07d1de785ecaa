// The guests the VM suite boots: each Veeam module on Debian's 6.1 kernel and each upstream
// patch set built into a tiny 6.12 kernel. `dialect` is what the module speaks; `forceDialect`
// is passed to the app where its probe is known to guess wrong (see the note).
export type KernelName = 'debian-6.1' | 'lk6.15' | 'v7' | 'v6';
export type GuestDialect = 'val-7.0' | 'v1' | 'lk6.15' | 'v7' | 'v6';

export interface GuestSpec {
  name: string;
  kernel: KernelName;
  dialect: GuestDialect;
  /** Veeam archive in ../shared/realmodule (out-of-tree modules); none for built-in upstream. */
  archive?: string;
  /** insmod order inside the guest (built file names). */
  modules?: string[];
  /** The module's name in /sys/module (its parameters live there). */
  moduleName: string;
  forceDialect?: boolean;
  note?: string;
  /**
   * Not yet passing reliably: left out of a plain `npm run test:vm` (reported as skipped with
   * this reason) and run only when named with --guest.
   */
  notReady?: string;
}

export const GUESTS: readonly GuestSpec[] = [
  { name: 'VAL-7.0', kernel: 'debian-6.1', dialect: 'val-7.0', archive: 'blksnap-VAL-7.0.tar.gz', modules: ['bdevfilter.ko', 'veeamblksnap.ko'], moduleName: 'veeamblksnap' },
  { name: 'VAL-6.3', kernel: 'debian-6.1', dialect: 'v1', archive: 'blksnap-VAL-6.3.tar.gz', modules: ['bdevfilter.ko', 'veeamblksnap.ko'], moduleName: 'veeamblksnap' },
  { name: 'VAL-6.0', kernel: 'debian-6.1', dialect: 'v1', archive: 'blksnap-VAL-6.0.tar.gz', modules: ['bdevfilter.ko', 'blksnap.ko'], moduleName: 'blksnap' },
  { name: 'lk6.15', kernel: 'lk6.15', dialect: 'lk6.15', moduleName: 'blksnap' },
  { name: 'v7', kernel: 'v7', dialect: 'v7', moduleName: 'blksnap' },
  { name: 'v6', kernel: 'v6', dialect: 'v6', moduleName: 'blksnap', forceDialect: true, note: 'with no device attached the probe can only guess v6 vs v7 (issue 19 item 14): the suite runs with --dialect v6; the probe cases run without it' },
];

/** The ready ports of the upstream patch sets to Debian's linux-source-6.12. */
export const UPSTREAM_PATCHES: Record<Exclude<KernelName, 'debian-6.1'>, string> = {
  'lk6.15': 'blksnap-lk6.15-on-linux-source-6.12.patch',
  v7: 'blksnap-v7-lk6.9-on-linux-source-6.12.patch',
  v6: 'blksnap-v6-lk6.7-rc1-v2-on-linux-source-6.12.patch',
};
