// Reproduction 1 of issue 13: any host file was accepted as difference storage (/etc/passwd was
// extended at create and overwritten from 2 MiB on after take), and so were /dev/../etc/passwd,
// /proc/self/mem, /dev/, /dev/.. and a device in a taken snapshot. Now the service's storage
// policy refuses each with the rule it breaks, for the emulator and the kernel backend alike.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type BlksnapService } from '../../electron/service';
import { createEmulator } from '../../electron/control/emulator';
import type { EmulatorControl } from '../../electron/control/types';
import { BlksnapError } from '../../shared/errors';
import { FakeControl } from '../electron/service/fakeControl';

const MiB = 2 ** 20;
let root: string;
let emu: EmulatorControl;
let service: BlksnapService;
let storage: string;

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function refusal(promise: Promise<unknown>): Promise<BlksnapError> {
  const outcome = await promise.then(() => null, (e: unknown) => e);
  if (!(outcome instanceof BlksnapError)) throw new Error(`expected a refusal, got ${JSON.stringify(outcome)}`);
  return outcome;
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'blksnap-repro1-'));
  storage = path.join(root, 'storage');
  fs.mkdirSync(storage);
  emu = await createEmulator({ stateDir: path.join(root, 'state'), hz: 1000, parameters: { diff_storage_minimum: 8192 } });
  service = createService(emu, { pollIntervalMs: 1000, fillSampleIntervalMs: 1000, dataDir: path.join(root, 'state') });
  await emu.createDevice('disk0', 8 * MiB);
  await emu.attach('/dev/disk0');
});
afterAll(async () => {
  await service.close();
  await emu.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const create = (diffStoragePath: string, extra: Record<string, unknown> = {}) =>
  service.snapshotCreate({ diffStoragePath, diffStorageLimitSectors: 16 * 2048, devices: ['/dev/disk0'], ...extra });

describe('reproduction: any host file as difference storage', () => {
  it('a file with data (a copy of /etc/passwd, also reached as dev/../etc/passwd) is refused by rule existing-file and left as it was', async () => {
    // A copy: on the old code the emulator extended the file it was given at create.
    const passwd = path.join(root, 'etc', 'passwd');
    fs.mkdirSync(path.join(root, 'etc'));
    fs.mkdirSync(path.join(root, 'dev'));
    fs.copyFileSync('/etc/passwd', passwd);
    const before = sha(passwd);
    const size = fs.statSync(passwd).size;
    for (const p of [passwd, path.join(root, 'dev') + '/../etc/passwd', path.join(root, 'etc') + '/./passwd']) {
      const err = await refusal(create(p));
      expect(err.code).toBe('EGUARD');
      expect(err.details).toMatchObject({ rule: 'existing-file', realPath: passwd });
      expect(err.message).toMatch(/rule existing-file/);
    }
    expect(sha(passwd)).toBe(before);
    expect(fs.statSync(passwd).size).toBe(size);
    expect(await emu.snapshotCollect()).toEqual([]);
  });

  it('/proc/self/mem, /sys, /dev/, /dev/.. (= /) are refused by rule system-path', async () => {
    for (const p of ['/proc/self/mem', '/proc/self/', '/sys/kernel', '/dev/', '/dev/..', '/', '/dev/shm/../']) {
      const err = await refusal(create(p));
      expect(err.details, p).toMatchObject({ rule: 'system-path' });
    }
  });

  it('a device in a taken snapshot is refused (it is tracked and in the snapshot)', async () => {
    await emu.createDevice('disk1', 8 * MiB);
    await emu.attach('/dev/disk1');
    const { id } = await service.snapshotCreate({ diffStoragePath: storage, diffStorageLimitSectors: 16 * 2048, devices: ['/dev/disk1'] });
    await service.snapshotTake({ id });
    const err = await refusal(service.snapshotCreate({ diffStoragePath: '/dev/disk1', diffStorageLimitSectors: 16 * 2048, devices: [] }));
    expect(err.details?.rule).toMatch(/^device-(tracked|in-snapshot)$/);
    await service.snapshotDestroy({ id });
  });

  it('a symlink to a file with data is judged by its real path; a dangling symlink is never created through', async () => {
    const victim = path.join(root, 'victim');
    fs.writeFileSync(victim, 'precious data\n');
    fs.symlinkSync(victim, path.join(root, 'link'));
    expect((await refusal(create(path.join(root, 'link')))).details).toMatchObject({ rule: 'existing-file', realPath: victim });
    fs.symlinkSync(path.join(root, 'nowhere'), path.join(root, 'dangling'));
    expect((await refusal(create(path.join(root, 'dangling')))).details).toMatchObject({ rule: 'resolvable-path' });
    expect(fs.existsSync(path.join(root, 'nowhere'))).toBe(false);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious data\n');
  });

  it('character devices, FIFOs and sockets are refused by rule special-file', async () => {
    const fifo = path.join(root, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const sock = path.join(root, 'sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    for (const p of ['/dev/null', '/dev/zero', fifo, sock]) expect((await refusal(create(p))).details, p).toMatchObject({ rule: 'special-file' });
    server.close();
  });

  it('a relative path is refused by rule absolute-path', async () => {
    expect((await refusal(create('etc/passwd'))).details).toMatchObject({ rule: 'absolute-path' });
  });

  it('a new file is created 0600 (O_EXCL), used, and as ours may be used again once it holds data', async () => {
    const file = path.join(storage, 'diff1');
    const { id } = await create(file);
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
    await service.snapshotTake({ id });
    await emu.write('/dev/disk0', 0, new Uint8Array(MiB).fill(1));
    await service.snapshotDestroy({ id });
    expect(fs.statSync(file).size).toBeGreaterThan(0);
    const again = await create(file);
    await service.snapshotDestroy({ id: again.id });
    // An empty file the user made is fine too; a directory gets the unnamed file inside.
    fs.writeFileSync(path.join(storage, 'empty'), '');
    await service.snapshotDestroy(await create(path.join(storage, 'empty')));
    await service.snapshotDestroy(await create(storage));
  });

  it('a block device with a filesystem signature is refused unless forceStorageDevice is given', async () => {
    await emu.createDevice('fsdisk', 8 * MiB);
    const superblock = new Uint8Array(4096);
    superblock[1080 - 1024 + 0] = 0x53;
    superblock[1080 - 1024 + 1] = 0xef;
    await emu.write('/dev/fsdisk', 1024, superblock.subarray(0, 1024));
    const err = await refusal(service.snapshotCreate({ diffStoragePath: '/dev/fsdisk', diffStorageLimitSectors: 16 * 2048, devices: [] }));
    expect(err.details).toMatchObject({ rule: 'device-has-data', signature: 'an ext2/3/4 filesystem' });
    expect(err.message).toMatch(/forceStorageDevice/);
    const { id } = await service.snapshotCreate({ diffStoragePath: '/dev/fsdisk', diffStorageLimitSectors: 16 * 2048, devices: [], forceStorageDevice: true });
    await service.snapshotDestroy({ id });
    await emu.createDevice('blank', 8 * MiB);
    await service.snapshotDestroy(await service.snapshotCreate({ diffStoragePath: '/dev/blank', diffStorageLimitSectors: 16 * 2048, devices: [] }));
  });

  it('the kernel backend is protected too: the module is never handed a refused path', async () => {
    const control = new FakeControl('kernel');
    control.addDevice('vda', 64 * MiB, true);
    const kernelService = createService(control, { pollIntervalMs: 1000, fillSampleIntervalMs: 1000, dataDir: null });
    try {
      const before = sha('/etc/passwd');
      for (const p of ['/etc/passwd', '/dev/../etc/passwd', '/proc/self/mem', '/dev/', '/dev/..', '/dev/null']) {
        expect((await refusal(kernelService.snapshotCreate({ diffStoragePath: p, diffStorageLimitSectors: 2048, devices: ['/dev/vda'] }))).code).toBe('EGUARD');
      }
      expect(control.snapshots.size).toBe(0);
      expect(sha('/etc/passwd')).toBe(before);
    } finally {
      await kernelService.close();
    }
  });
});
