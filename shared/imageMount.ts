// What to run to read a snapshot image, by the file system `blkid -p` found on it (the service's
// imageFileSystem). Every dialect's image accepts writes (spec §3.5; v1's snapimage.c too): a
// write goes to the difference storage and marks both CBT maps (§3.3), so a plain `mount -o ro`
// that replays an ext3/ext4 journal or an xfs log writes into the image. The options below keep
// the mount from writing, and are also what those file systems need on a read-only device.
import type { ImageFileSystem } from './contract';

export interface ImageCommand {
  label: string;
  /** null while the file system is being checked, or where there is nothing to run. */
  command: string | null;
}

/** Read-only mount options per blkid TYPE that keep the mount from writing; types not listed mount with plain `ro`. */
const MOUNT_OPTIONS: Readonly<Record<string, { options: string; why: string }>> = {
  ext3: { options: 'ro,noload', why: 'noload: its journal is not replayed into the image' },
  ext4: { options: 'ro,noload', why: 'noload: its journal is not replayed into the image' },
  xfs: { options: 'ro,norecovery,nouuid', why: 'norecovery: its log is not replayed into the image; nouuid: the original has the same UUID' },
  // Each of these also writes at a plain ro mount of a writable device: btrfs replays its log tree
  // (open_ctree), f2fs rolls fsynced data forward and writes a checkpoint, nilfs2 recovers.
  btrfs: { options: 'ro,nologreplay', why: 'nologreplay: its log tree is not replayed into the image' },
  f2fs: { options: 'ro,norecovery', why: 'norecovery: its fsynced data is not rolled forward into the image' },
  nilfs2: { options: 'ro,norecovery', why: 'norecovery: it is not recovered into the image' },
};

/** partclone's tool per blkid TYPE (partclone.<tool>). */
const PARTCLONE: Readonly<Record<string, string>> = {
  ext2: 'ext2', ext3: 'ext3', ext4: 'ext4', xfs: 'xfs', btrfs: 'btrfs', vfat: 'fat', exfat: 'exfat', ntfs: 'ntfs', f2fs: 'f2fs', hfsplus: 'hfsp',
};

export function mountPointFor(image: string): string {
  return `/mnt/${image.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
}

/** The command that mounts the image read-only without writing to it, or what to do instead. */
export function mountCommand(fs: ImageFileSystem | null, image: string): ImageCommand {
  const mountPoint = mountPointFor(image);
  const mount = (options: string) => `sudo mkdir -p ${mountPoint} && sudo mount -o ${options} ${image} ${mountPoint}`;
  if (!fs) return { label: 'Mount it read-only (checking its file system\u2026)', command: null };
  if (fs.type === null && fs.partitionTable !== null) {
    return {
      label: `It is a whole disk with a ${fs.partitionTable} partition table, and the image has no partition scan: attach it read-only with its partitions, then mount the /dev/loopNpM that holds the file system`,
      command: `sudo losetup --find --show --read-only --partscan ${image}`,
    };
  }
  if (fs.type === null) {
    return {
      label: `Mount it read-only. Its file system type is unknown (${fs.problem ?? 'nothing recognised'}): for ext3/ext4 add noload, for xfs norecovery,nouuid, for btrfs nologreplay, for f2fs and nilfs2 norecovery, so nothing is written to the image`,
      command: mount('ro'),
    };
  }
  if (fs.usage !== null && fs.usage !== 'filesystem') {
    if (fs.type === 'crypto_LUKS') {
      return { label: 'It holds a LUKS volume: open it read-only, then mount /dev/mapper/<name> with the options for the file system inside', command: `sudo cryptsetup open --readonly ${image} ${mountPoint.slice('/mnt/'.length)}` };
    }
    return { label: `It holds ${fs.type} (${fs.usage}), not a file system to mount`, command: null };
  }
  const special = MOUNT_OPTIONS[fs.type];
  if (special) return { label: `Mount its ${fs.type} file system read-only (${special.why})`, command: mount(special.options) };
  return { label: `Mount its ${fs.type} file system read-only`, command: mount('ro') };
}

/** partclone for the image's file system; null where the type is unknown or partclone has no tool for it. */
export function partcloneCommand(fs: ImageFileSystem | null, image: string): ImageCommand | null {
  const tool = fs?.type ? PARTCLONE[fs.type] : undefined;
  if (!tool) return null;
  return { label: `Copy only the used blocks of its ${fs?.type ?? ''} file system (partclone)`, command: `sudo partclone.${tool} -c -s ${image} -o backup.pc` };
}
