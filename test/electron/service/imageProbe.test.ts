// The snapshot image's file system, probed read-only and time-limited (electron/service/imageProbe.ts).
// On the emulator, real file systems (mke2fs, mkfs.xfs, sfdisk) loaded into an emulated device:
// its image answers as blkid answers on the same bytes (what the module's image device would),
// from the take's content, and the probe writes nothing. A blkid that hangs is stopped in time.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageProbe } from '../../../electron/service/imageProbe';
import { emulator, tempDir } from '../control/emulator/helpers';
import { buildExt4, buildXfs, loadImage, makeTree, takeSnapshot, toolMissing } from '../resolver/fsFixture';
import { skipBecause } from '../../skip';

const MiB = 2 ** 20;
const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };
const missing = toolMissing('mke2fs', 'debugfs', 'mkfs.xfs', 'blkid', 'sfdisk');

/** blkid -p on the file itself: what the module's image device of the same bytes answers. */
function blkidOf(file: string): Record<string, string> {
  // Exit 2 means nothing found: stdout is what there is either way.
  const out = spawnSync('blkid', ['-p', '-o', 'export', file], { env, encoding: 'utf8' }).stdout;
  return Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

async function emulatedImage(file: string, sizeBytes: number) {
  const emu = await emulator();
  const device = (await emu.createDevice('disk0', sizeBytes)).path;
  await loadImage(emu, device, fs.readFileSync(file));
  await emu.attach(device);
  await takeSnapshot(emu, device);
  return { emu, device };
}

describe.skipIf(skipBecause('the image file-system probe on real file systems', missing, 'where e2fsprogs, xfsprogs, fdisk and util-linux are installed, and always in CI'))('ImageProbe on the emulator', () => {
  it('finds ext4 (journal needing recovery) on the image as it was at the take, and writes nothing', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'ext4.img');
    makeTree(path.join(dir, 'src'), [{ path: 'a.bin', bytes: 100_000 }], 1);
    buildExt4(path.join(dir, 'src'), file, 64 * MiB);
    execFileSync('debugfs', ['-w', '-R', 'feature needs_recovery', file], { env, stdio: 'pipe' });
    const { emu, device } = await emulatedImage(file, 64 * MiB);
    const imagePath = `/dev/${(await emu.snapshotInfo(device)).image}`;
    // The original's superblock goes after the take: the image keeps the old one (copy-on-write).
    await emu.write(device, 0, new Uint8Array(MiB));
    const before = { original: Buffer.from(await emu.read(device, 0, 4 * MiB)), image: Buffer.from(await emu.read(imagePath, 0, 4 * MiB)), cbt: await emu.cbtMap(device, 0, 16) };

    const found = await new ImageProbe(emu).probe({ device });
    expect(found).toEqual({ image: imagePath, type: 'ext4', usage: 'filesystem', partitionTable: null, problem: null });
    expect(blkidOf(file)).toMatchObject({ TYPE: found.type, USAGE: found.usage });
    expect(Buffer.from(await emu.read(device, 0, 4 * MiB)).equals(before.original)).toBe(true);
    expect(Buffer.from(await emu.read(imagePath, 0, 4 * MiB)).equals(before.image)).toBe(true);
    expect(await emu.cbtMap(device, 0, 16)).toEqual(before.cbt);
  });

  it('finds xfs, a partition table, and says when nothing is recognised, each as blkid does on the same bytes', async () => {
    const dir = tempDir();
    const xfs = path.join(dir, 'xfs.img');
    makeTree(path.join(dir, 'src'), [{ path: 'b.bin', bytes: 10_000 }], 2);
    buildXfs(path.join(dir, 'src'), xfs, 320 * MiB);
    const a = await emulatedImage(xfs, 320 * MiB);
    expect(await new ImageProbe(a.emu).probe({ device: a.device })).toMatchObject({ type: 'xfs', usage: 'filesystem', problem: null });
    expect(blkidOf(xfs)).toMatchObject({ TYPE: 'xfs' });

    const disk = path.join(dir, 'disk.img');
    fs.writeFileSync(disk, '');
    fs.truncateSync(disk, 32 * MiB);
    execFileSync('sfdisk', ['-q', disk], { env, input: 'label: gpt\n,16M\n,\n', stdio: ['pipe', 'pipe', 'pipe'] });
    const emu = await emulator();
    for (const [name, file] of [['gpt', disk], ['blank', null]] as const) {
      const device = (await emu.createDevice(name, 32 * MiB)).path;
      if (file) await loadImage(emu, device, fs.readFileSync(file));
      await emu.attach(device);
      await takeSnapshot(emu, device);
    }
    expect(await new ImageProbe(emu).probe({ device: '/dev/gpt' })).toMatchObject({ type: null, partitionTable: 'gpt', problem: null });
    expect(blkidOf(disk)).toMatchObject({ PTTYPE: 'gpt' });
    expect(await new ImageProbe(emu).probe({ device: '/dev/blank' })).toMatchObject({ type: null, partitionTable: null, problem: 'blkid recognised no file system on it' });
  });
});

describe('ImageProbe: bad input and failures', () => {
  it('stops a blkid that does not answer within the time limit and says so', async () => {
    const emu = await emulator();
    const device = (await emu.createDevice('disk0', 4 * MiB)).path;
    await emu.attach(device);
    await takeSnapshot(emu, device);
    const tool = path.join(tempDir(), 'blkid');
    fs.writeFileSync(tool, '#!/bin/sh\nexec sleep 60\n', { mode: 0o755 });
    const started = Date.now();
    const found = await new ImageProbe(emu, { timeoutMs: 300, tool }).probe({ device });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(found).toMatchObject({ type: null, problem: expect.stringMatching(/^blkid did not answer within 0\.3 s \(ETIMEDOUT\) and was stopped/) });
  });

  it('answers within the time limit even when the stopped blkid leaves its output open, and starts no second one meanwhile', async () => {
    // A blkid stuck in an uninterruptible read (D state) does not die at SIGKILL until the read
    // returns; a child holding its output open stands in for it here: the process 'close' waits.
    const emu = await emulator();
    const device = (await emu.createDevice('disk0', 4 * MiB)).path;
    await emu.attach(device);
    await takeSnapshot(emu, device);
    const dir = tempDir();
    const tool = path.join(dir, 'blkid');
    const runs = path.join(dir, 'runs');
    fs.writeFileSync(tool, `#!/bin/sh\necho run >> ${runs}\nsleep 6 &\nexec sleep 6\n`, { mode: 0o755 });
    const probe = new ImageProbe(emu, { timeoutMs: 300, tool });
    // The copy of the image's edges lives only in the probe's open file: none is left in the
    // temporary folder while that blkid lingers (nor after a crash of the process).
    const tmp = tempDir();
    const tmpBefore = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    const started = Date.now();
    let found;
    try {
      found = await probe.probe({ device });
    } finally {
      if (tmpBefore === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmpBefore;
    }
    expect(fs.readdirSync(tmp)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(found).toMatchObject({ type: null, problem: expect.stringMatching(/^blkid did not answer within 0\.3 s \(ETIMEDOUT\) and was stopped/) });
    expect((await probe.probe({ device })).problem).toMatch(/did not answer/);
    expect(fs.readFileSync(runs, 'utf8')).toBe('run\n');
  });

  it('says what failed when blkid is missing or cannot read the image, and refuses a device without an image or not tracked', async () => {
    const emu = await emulator();
    const device = (await emu.createDevice('disk0', 4 * MiB)).path;
    await emu.attach(device);
    await expect(new ImageProbe(emu).probe({ device })).rejects.toThrow(/ENODEV.*\/dev\/disk0 has no snapshot image: it is in no taken snapshot/);
    await expect(new ImageProbe(emu).probe({ device: '/dev/nothing' })).rejects.toThrow(/ENOENT/);
    await takeSnapshot(emu, device);
    const found = await new ImageProbe(emu, { tool: path.join(tempDir(), 'no-such-blkid') }).probe({ device });
    expect(found.problem).toMatch(/^the probe failed: .*no-such-blkid is not installed/);
    // blkid answers a device it cannot read with exit 2, as for "nothing found", and says why on stderr (measured: EACCES as uid 65534).
    const denied = path.join(tempDir(), 'blkid');
    fs.writeFileSync(denied, '#!/bin/sh\necho "blkid: error: $4: Permission denied" >&2\nexit 2\n', { mode: 0o755 });
    expect((await new ImageProbe(emu, { tool: denied }).probe({ device })).problem).toMatch(/^blkid could not read it: blkid: error: \/dev\/fd\/3: Permission denied$/);
  });
});
