// Which listed devices are snapshot images, from SNAPSHOTINFO of the tracked devices (each
// names its image, spec §2 SNAPSHOTINFO row; node /dev/<image>). Used for the device list's
// `imageOf` and, read afresh, for the refusal of attach / create / add on an image (shared/imageOf.ts).
import { stat } from 'node:fs/promises';
import type { ImageOf } from '../../shared/imageOf';
import type { BlockDevice, SnapshotDeviceInfo } from '../../shared/schemas';

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

/**
 * An image told by its name alone, for when SNAPSHOTINFO cannot name it: its original was
 * detached (by force: spec §2 DETACH row, the image stays) and CTL finds no filter there. Only the
 * module makes these names (spec §0.2); v2 names carry the original's numbers, v1's the image's minor.
 */
export function imageByName(device: string, listed: readonly BlockDevice[]): KnownImage | null {
  const name = device.startsWith('/dev/') ? device.slice('/dev/'.length) : null;
  if (name === null) return null;
  if (V1_IMAGE_NAME.test(name)) return { path: device, original: 'a device the v1 module does not name' };
  for (const re of V2_IMAGE_NAMES) {
    const m = re.exec(name);
    if (!m) continue;
    const [major, minor] = [Number(m[1]), Number(m[2])];
    const original = listed.find((d) => d.devId.major === major && d.devId.minor === minor)?.path;
    return { path: device, original: original ?? `device ${major}:${minor}` };
  }
  return null;
}

/** lk6.15 blksnap-M-m, v6/v7 blksnap-image_M:m, VAL-7.0 veeamblksnapimg_M:m, VAL-13 vbsnap-M-m (spec §0.2). */
const V2_IMAGE_NAMES = [/^blksnap-(\d+)-(\d+)$/, /^blksnap-image_(\d+):(\d+)$/, /^veeamblksnapimg_(\d+):(\d+)$/, /^vbsnap-(\d+)-(\d+)$/];
/** v1: veeamblksnapimg<N>, blksnap-image<N> (6.0). */
const V1_IMAGE_NAME = /^(?:veeamblksnapimg|blksnap-image)\d+$/;
