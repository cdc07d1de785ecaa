// The image section's commands by the file system the probe found (shared/imageMount.ts).
import { describe, expect, it } from 'vitest';
import type { ImageFileSystem } from '../../shared/contract';
import { mountCommand, partcloneCommand } from '../../shared/imageMount';

const image = '/dev/blksnap-252-0';
const found = (type: string | null, more: Partial<ImageFileSystem> = {}): ImageFileSystem => ({
  image, type, usage: type ? 'filesystem' : null, partitionTable: null, problem: type ? null : 'blkid recognised no file system on it', ...more,
});
const mountWith = (options: string) => `sudo mkdir -p /mnt/_dev_blksnap-252-0 && sudo mount -o ${options} ${image} /mnt/_dev_blksnap-252-0`;

describe('mountCommand', () => {
  it('keeps ext3/ext4 journals and xfs logs out of the writable image, and needs nothing more for others', () => {
    expect(mountCommand(found('ext4'), image)).toEqual({ label: expect.stringMatching(/^Mount its ext4 file system read-only \(noload: its journal is not replayed into the image\)$/), command: mountWith('ro,noload') });
    expect(mountCommand(found('ext3'), image).command).toBe(mountWith('ro,noload'));
    expect(mountCommand(found('xfs'), image)).toEqual({ label: expect.stringMatching(/norecovery: .*; nouuid: the original has the same UUID/), command: mountWith('ro,norecovery,nouuid') });
    expect(mountCommand(found('ext2'), image).command).toBe(mountWith('ro'));
    // A plain ro mount of these writes too: btrfs replays its log tree, f2fs rolls forward fsynced data and writes a checkpoint, nilfs2 recovers.
    expect(mountCommand(found('btrfs'), image)).toEqual({ label: expect.stringMatching(/nologreplay: its log tree is not replayed into the image/), command: mountWith('ro,nologreplay') });
    expect(mountCommand(found('f2fs'), image).command).toBe(mountWith('ro,norecovery'));
    expect(mountCommand(found('nilfs2'), image).command).toBe(mountWith('ro,norecovery'));
    expect(mountCommand(found('vfat'), image)).toEqual({ label: 'Mount its vfat file system read-only', command: mountWith('ro') });
  });

  it('says when the type is unknown, and why, with the options to add by hand', () => {
    const unknown = mountCommand(found(null), image);
    expect(unknown.command).toBe(mountWith('ro'));
    expect(unknown.label).toBe('Mount it read-only. Its file system type is unknown (blkid recognised no file system on it): for ext3/ext4 add noload, for xfs norecovery,nouuid, for btrfs nologreplay, for f2fs and nilfs2 norecovery, so nothing is written to the image');
    expect(mountCommand(found(null, { problem: 'blkid did not answer within 5 s (ETIMEDOUT) and was stopped' }), image).label).toMatch(/unknown \(blkid did not answer within 5 s \(ETIMEDOUT\)/);
  });

  it('offers no mount while checking, or for what is not a file system; a partition table gets a read-only partscan loop', () => {
    expect(mountCommand(null, image)).toEqual({ label: 'Mount it read-only (checking its file system\u2026)', command: null });
    expect(mountCommand(found('swap', { usage: 'other' }), image)).toEqual({ label: 'It holds swap (other), not a file system to mount', command: null });
    expect(mountCommand(found('crypto_LUKS', { usage: 'crypto' }), image).command).toBe(`sudo cryptsetup open --readonly ${image} _dev_blksnap-252-0`);
    const disk = mountCommand(found(null, { partitionTable: 'gpt', problem: null }), image);
    expect(disk.command).toBe(`sudo losetup --find --show --read-only --partscan ${image}`);
    expect(disk.label).toMatch(/^It is a whole disk with a gpt partition table/);
  });
});

describe('partcloneCommand', () => {
  it('names partclone\'s tool for the type, and none where it is unknown', () => {
    expect(partcloneCommand(found('ext4'), image)?.command).toBe(`sudo partclone.ext4 -c -s ${image} -o backup.pc`);
    expect(partcloneCommand(found('xfs'), image)?.command).toBe(`sudo partclone.xfs -c -s ${image} -o backup.pc`);
    expect(partcloneCommand(found('vfat'), image)?.command).toBe(`sudo partclone.fat -c -s ${image} -o backup.pc`);
    expect(partcloneCommand(found(null), image)).toBeNull();
    expect(partcloneCommand(null, image)).toBeNull();
  });
});
