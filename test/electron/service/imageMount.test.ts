// The mount commands the image section offers (shared/imageMount.ts) against real file systems on
// loop devices, and the kernel path of the probe (electron/service/imageProbe.ts) on a real block
// device. Every dialect's image accepts writes (spec §3.5): a plain `mount -o ro` replays an ext4
// journal into it; on a read-only device ext4 and xfs refuse a dirty journal/log, and xfs refuses
// a second file system with the original's UUID. Needs root and loop devices: skipped with the
// reason elsewhere, required in CI.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImageFileSystem } from '../../../shared/contract';
import type { SnapshotDeviceInfo } from '../../../shared/schemas';
import { mountCommand } from '../../../shared/imageMount';
import { ImageProbe } from '../../../electron/service/imageProbe';
import { tempDir } from '../control/emulator/helpers';
import { toolMissing } from '../resolver/fsFixture';
import { skipBecause } from '../../skip';
import { FakeControl } from './fakeControl';

const MiB = 2 ** 20;
const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };

function problem(): string | null {
  const tool = toolMissing('mkfs.ext4', 'debugfs', 'mkfs.xfs', 'xfs_io', 'losetup', 'mount', 'umount', 'blkid', 'mknod');
  if (tool) return tool;
  if (process.getuid?.() !== 0) return 'loop devices and mounts need root (CI runs as root)';
  if (!fs.existsSync('/dev/loop-control')) return 'no /dev/loop-control: loop devices are not available here';
  const probe = spawnSync('losetup', ['--find'], { env, encoding: 'utf8' });
  if (probe.status !== 0) return `losetup --find failed here: ${probe.stderr.trim()}`;
  return null;
}
const why = problem();
if (why && process.env.CI) throw new Error(why);

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const undo of cleanups.splice(0).reverse()) {
    try {
      undo();
    } catch { /* already gone */ }
  }
});

function loop(file: string, readOnly: boolean): string {
  const dev = execFileSync('losetup', ['--find', '--show', ...(readOnly ? ['--read-only'] : []), file], { env, encoding: 'utf8' }).trim();
  cleanups.push(() => execFileSync('losetup', ['-d', dev], { env, stdio: 'ignore' }));
  return dev;
}

/** mount's exit code; a successful mount is undone after the test. */
function mount(options: string, dev: string, at: string): number {
  fs.mkdirSync(at, { recursive: true });
  const r = spawnSync('mount', ['-o', options, dev, at], { env, stdio: 'ignore' });
  if (r.status === 0) cleanups.push(() => execFileSync('umount', [at], { env, stdio: 'ignore' }));
  return r.status ?? -1;
}

function umount(at: string): void {
  execFileSync('umount', [at], { env, stdio: 'ignore' });
  cleanups.pop();
}

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** The -o options of the offered mount command. */
function offeredOptions(found: ImageFileSystem): string {
  const command = mountCommand(found, found.image).command ?? '';
  const m = / mount -o (\S+) /.exec(command);
  if (!m?.[1]) throw new Error(`no mount command offered: ${command}`);
  return m[1];
}

/** The kernel backend as the probe sees it: SNAPSHOTINFO names the image device (here a loop device). */
class KernelWithImage extends FakeControl {
  constructor(private readonly imageName: string) {
    super('kernel');
  }

  override async snapshotInfo(): Promise<SnapshotDeviceInfo> {
    return { errorCode: 0, image: this.imageName };
  }
}

function ext4NeedingRecovery(dir: string): string {
  const file = path.join(dir, 'ext4.img');
  fs.writeFileSync(file, '');
  fs.truncateSync(file, 64 * MiB);
  execFileSync('mkfs.ext4', ['-q', '-F', file], { env, stdio: 'pipe' });
  execFileSync('debugfs', ['-w', '-R', 'feature needs_recovery', file], { env, stdio: 'pipe' });
  return file;
}

describe.skipIf(skipBecause('the mount-command tests on loop devices', why, 'as root with loop devices, and always in CI'))('mount commands for a snapshot image', () => {
  it('ext4 with a journal needing recovery: the kernel probe finds ext4 on the block device, and the offered ro,noload mounts without writing', async () => {
    const dir = tempDir();
    const file = ext4NeedingRecovery(dir);
    const readOnly = loop(file, true);
    const found = await new ImageProbe(new KernelWithImage(path.basename(readOnly))).probe({ device: '/dev/original' });
    expect(found).toEqual({ image: readOnly, type: 'ext4', usage: 'filesystem', partitionTable: null, problem: null });
    expect(offeredOptions(found)).toBe('ro,noload');
    // A read-only device: ext4 refuses the journal without noload.
    expect(mount('ro', readOnly, path.join(dir, 'a'))).not.toBe(0);
    expect(mount(offeredOptions(found), readOnly, path.join(dir, 'a'))).toBe(0);
    umount(path.join(dir, 'a'));
    // A writable device, as every dialect's image is: plain ro replays the journal into it; ro,noload writes nothing.
    const writable = loop(file, false);
    const before = sha(file);
    expect(mount(offeredOptions(found), writable, path.join(dir, 'b'))).toBe(0);
    umount(path.join(dir, 'b'));
    expect(sha(file)).toBe(before);
    expect(mount('ro', writable, path.join(dir, 'b'))).toBe(0);
    umount(path.join(dir, 'b'));
    expect(sha(file)).not.toBe(before);
  });

  it('xfs with a dirty log beside its mounted original: only the offered ro,norecovery,nouuid mounts', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'xfs.img');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 320 * MiB);
    execFileSync('mkfs.xfs', ['-q', '-f', file], { env, stdio: 'pipe' });
    const live = loop(file, false);
    const mnt = path.join(dir, 'live');
    expect(mount('rw', live, mnt)).toBe(0);
    fs.writeFileSync(path.join(mnt, 'f'), 'written\n');
    execFileSync('xfs_io', ['-x', '-c', 'shutdown', mnt], { env, stdio: 'pipe' });
    umount(mnt);
    // The original (a copy, mounted: its log is replayed there) and the image (the dirty bytes, read-only).
    const original = path.join(dir, 'original.img');
    fs.copyFileSync(file, original);
    expect(mount('rw', loop(original, false), path.join(dir, 'original'))).toBe(0);
    const image = loop(file, true);
    const found = await new ImageProbe(new KernelWithImage(path.basename(image))).probe({ device: '/dev/original' });
    expect(found).toMatchObject({ type: 'xfs', problem: null });
    expect(offeredOptions(found)).toBe('ro,norecovery,nouuid');
    expect(mount('ro', image, path.join(dir, 'image'))).not.toBe(0);
    expect(mount('ro,norecovery', image, path.join(dir, 'image'))).not.toBe(0);
    expect(mount(offeredOptions(found), image, path.join(dir, 'image'))).toBe(0);
  });

  it('the kernel probe waits a moment for a node udev has not made yet (just after the take)', async () => {
    const dev = loop(ext4NeedingRecovery(tempDir()), true);
    const { rdev } = fs.statSync(dev);
    const name = `blksnap-probe-test-${process.pid}`;
    const node = `/dev/${name}`;
    cleanups.push(() => fs.rmSync(node, { force: true }));
    const later = setTimeout(() => execFileSync('mknod', [node, 'b', String((rdev >> 8) & 0xfff), String((rdev & 0xff) | ((rdev >> 12) & 0xfff00))], { env }), 400);
    cleanups.push(() => clearTimeout(later));
    expect(await new ImageProbe(new KernelWithImage(name)).probe({ device: '/dev/original' })).toMatchObject({ image: node, type: 'ext4', problem: null });
  });

  it('the kernel probe says what is wrong with an image node that is missing or not a block device', async () => {
    expect((await new ImageProbe(new KernelWithImage('blksnap-nosuch-0')).probe({ device: '/dev/original' })).problem)
      .toMatch(/ENOENT .*\/dev\/blksnap-nosuch-0 does not exist \(without udev, create it with mknod/);
    expect((await new ImageProbe(new KernelWithImage('null')).probe({ device: '/dev/original' })).problem).toMatch(/ENOTBLK .*\/dev\/null is not a block device/);
    await expect(new ImageProbe(new KernelWithImage('../etc/passwd')).probe({ device: '/dev/original' })).rejects.toThrow(/EINVAL.*not a device name/);
  });
});
