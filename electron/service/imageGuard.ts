// Which listed devices are snapshot images, from SNAPSHOTINFO of the tracked devices (each
// names its image, spec §2 SNAPSHOTINFO row; node /dev/<image>). Used for the device list's
// `imageOf` and, read afresh, for the refusal of attach / create / add on an image (shared/imageOf.ts).
import { stat } from 'node:fs/promises';
import type { ImageOf } from '../../shared/imageOf';
import type { SnapshotDeviceInfo } from '../../shared/schemas';

/** One image the module reports: its node and the device it is the image of. */
export interface KnownImage {
  path: string;
  original: string;
}

/** The images named by SNAPSHOTINFO, per original device path. */
export function knownImages(infos: Iterable<[string, SnapshotDeviceInfo | null]>): KnownImage[] {
  const images: KnownImage[] = [];
  for (const [original, info] of infos) if (info && info.image !== '') images.push({ path: `/dev/${info.image}`, original });
  return images;
}

/**
 * The image `device` is, by path; on the host (kernel backend) also by device number, so a
 * symlink (/dev/disk/by-…, /dev/block/M:m) to an image is caught too.
 */
export async function imageNamed(device: string, images: readonly KnownImage[], hostPaths: boolean): Promise<KnownImage | null> {
  const exact = images.find((i) => i.path === device);
  if (exact || !hostPaths || images.length === 0) return exact ?? null;
  const rdev = await blockRdev(device);
  if (rdev === null) return null;
  for (const image of images) if ((await blockRdev(image.path)) === rdev) return image;
  return null;
}

async function blockRdev(path: string): Promise<bigint | null> {
  try {
    const st = await stat(path, { bigint: true });
    return st.isBlockDevice() ? st.rdev : null;
  } catch {
    return null;
  }
}

export function imageOf(image: KnownImage, holderOf: (path: string) => { id: string } | undefined): ImageOf {
  return { original: image.original, snapshotId: holderOf(image.original)?.id ?? null };
}
