// Names that differ between VAL-6.0 (`blksnap`) and VAL-6.1+ (`veeamblksnap`) (spec §6.1).

export type V1Variant = '6.0' | '6.1+';

export interface V1Names {
  /** Module name: /sys/module/<module>/parameters, class /sys/class/<module>. */
  module: string;
  controlNode: string;
  /** Block major name of the images; disks are <prefix><minor>. */
  imagePrefix: string;
  label: string;
}

export const V1_NAMES: Record<V1Variant, V1Names> = {
  '6.0': { module: 'blksnap', controlNode: '/dev/blksnap', imagePrefix: 'blksnap-image', label: 'Veeam Agent for Linux 6.0 (v1, blksnap)' },
  '6.1+': { module: 'veeamblksnap', controlNode: '/dev/veeamblksnap', imagePrefix: 'veeamblksnapimg', label: 'Veeam Agent for Linux 6.1–6.3 (v1, veeamblksnap)' },
};

/** Image disk name from the image's minor: veeamblksnapimg0, blksnap-image0. */
export function imageName(variant: V1Variant, minor: number): string {
  return `${V1_NAMES[variant].imagePrefix}${minor}`;
}
