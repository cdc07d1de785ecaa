// statfs(2) f_type values of the file systems the project tells apart, with their names, so the
// emulator (which calls it trusts with SEEK_DATA and copy_file_range) and the v1 storage service
// (which address FIEMAP in device sectors) read one table.
export const EXT4_MAGIC = 0xEF53;
export const XFS_MAGIC = 0x58465342;
export const BTRFS_MAGIC = 0x9123683E;
export const TMPFS_MAGIC = 0x01021994;

export const FS_MAGIC: Readonly<Record<number, string>> = {
  [EXT4_MAGIC]: 'ext4', [XFS_MAGIC]: 'xfs', [BTRFS_MAGIC]: 'btrfs', [TMPFS_MAGIC]: 'tmpfs', 0x794C7630: 'overlayfs',
  0x2FC12FC1: 'zfs', 0x6969: 'nfs', 0xF2F52010: 'f2fs', 0x4D44: 'vfat', 0x5346544E: 'ntfs',
};
