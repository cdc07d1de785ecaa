// Does a block device hold data? The on-disk magic numbers of partition tables, filesystems and
// volume managers that libblkid probes first, read from the device's first 68 KiB. Good enough to
// stop storage from landing on a disk in use; a wiped (zeroed) device has none of them.
export const SIGNATURE_BYTES = 68 * 1024;

interface Magic {
  name: string;
  offset: number;
  bytes: readonly number[];
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

const MAGICS: readonly Magic[] = [
  { name: 'a GPT partition table', offset: 512, bytes: ascii('EFI PART') },
  { name: 'a GPT partition table', offset: 4096, bytes: ascii('EFI PART') },
  { name: 'an ext2/3/4 filesystem', offset: 1080, bytes: [0x53, 0xef] },
  { name: 'an XFS filesystem', offset: 0, bytes: ascii('XFSB') },
  { name: 'a Btrfs filesystem', offset: 65600, bytes: ascii('_BHRfS_M') },
  { name: 'an NTFS filesystem', offset: 3, bytes: ascii('NTFS    ') },
  { name: 'an F2FS filesystem', offset: 1024, bytes: [0x10, 0x20, 0xf5, 0xf2] },
  { name: 'a squashfs image', offset: 0, bytes: ascii('hsqs') },
  { name: 'an ISO 9660 filesystem', offset: 32769, bytes: ascii('CD001') },
  { name: 'a LUKS encrypted volume', offset: 0, bytes: [...ascii('LUKS'), 0xba, 0xbe] },
  { name: 'an LVM physical volume', offset: 512, bytes: ascii('LABELONE') },
  { name: 'an LVM physical volume', offset: 0, bytes: ascii('LABELONE') },
  { name: 'Linux swap', offset: 4086, bytes: ascii('SWAPSPACE2') },
  { name: 'Linux swap', offset: 4086, bytes: ascii('SWAP-SPACE') },
  { name: 'an md RAID member', offset: 4096, bytes: [0xfc, 0x4e, 0x2b, 0xa9] },
  { name: 'an md RAID member', offset: 0, bytes: [0xfc, 0x4e, 0x2b, 0xa9] },
  // The boot-sector signature closes MBR partition tables and FAT/exFAT boot sectors alike.
  { name: 'an MBR partition table or a FAT boot sector', offset: 510, bytes: [0x55, 0xaa] },
];

/** What the first bytes of a device hold ("an ext2/3/4 filesystem"), or null when none is found. */
export function dataSignature(head: Uint8Array): string | null {
  for (const magic of MAGICS) {
    if (magic.bytes.length === 0 || magic.offset + magic.bytes.length > head.byteLength) continue;
    if (magic.bytes.every((b, i) => head[magic.offset + i] === b)) return magic.name;
  }
  return null;
}
