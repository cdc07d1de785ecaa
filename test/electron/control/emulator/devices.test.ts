import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEmulator } from '../../../../electron/control/emulator';
import { deviceNameOf } from '../../../../electron/control/emulator/core';
import { codeOf, emulator, fill, MiB, takenSnapshot, tempDir, trackedDevice } from './helpers';

const TiB = 2 ** 40;

describe('emulated devices', () => {
  it('names a device by /dev/<name> only: no empty name, no slash after it, nothing before /dev/', () => {
    expect(['/dev/vda', '/dev/blksnap-252-0', '/dev/a'].map(deviceNameOf)).toEqual(['vda', 'blksnap-252-0', 'a']);
    expect(['/dev/', '/dev/vda/', '/dev/vda/1', '/dev//vda', '/devvda', 'vda', '//dev/vda', ''].map(deviceNameOf)).toEqual(Array(8).fill(null));
  });

  it('creates sparse devices with /dev paths, a fixed major and minors allocated in order', async () => {
    const emu = await emulator();
    const a = await emu.createDevice('vda', MiB);
    const b = await emu.createDevice('vdb', 2 * MiB);
    expect(a).toMatchObject({ path: '/dev/vda', name: 'vda', devId: { major: 252, minor: 0 }, capacitySectors: 2048, tracked: false, discovery: 'emulator' });
    expect(b.devId.minor).toBe(1);
    expect((await emu.listDevices()).map((d) => d.name)).toEqual(['vda', 'vdb']);
    expect(fs.statSync(path.join(emu.stateDir, 'devices', 'vda.img')).size).toBe(MiB);
  });

  it('supports a 16 TiB device whose CBT map has 2,097,152 blocks of 8 MiB', async () => {
    const emu = await emulator('upstream', { parameters: {} });
    await emu.createDevice('huge', 16 * TiB);
    await emu.attach('/dev/huge');
    expect(await emu.cbtInfo('/dev/huge')).toMatchObject({ blockCount: 2_097_152, blockSizeBytes: 8 * MiB, deviceCapacityBytes: 16 * TiB });
    await emu.write('/dev/huge', 16 * TiB - 4096, fill(4096, 1));
    expect((await emu.read('/dev/huge', 16 * TiB - 512, 512))[0]).toBe(1);
    expect(fs.statSync(path.join(emu.stateDir, 'devices', 'huge.img')).blocks * 512).toBeLessThan(64 * MiB);
  });

  it('refuses bad names, duplicate names, capacities that are not whole sectors or exceed 16 TiB', async () => {
    const emu = await emulator();
    await emu.createDevice('vda', MiB);
    expect(await codeOf(emu.createDevice('vda', MiB))).toBe('EEXIST');
    expect(await codeOf(emu.createDevice('../x', MiB))).toBe('EBADARG');
    expect(await codeOf(emu.createDevice('blksnap-252-0', MiB))).toBe('EBADARG');
    expect(await codeOf(emu.createDevice('odd', 1000))).toBe('EBADARG');
    expect(await codeOf(emu.createDevice('big', 16 * TiB + 512))).toBe('EBADARG');
    expect(await codeOf(emu.createDevice('io', MiB, { minIoBytes: 3000 }))).toBe('EBADARG');
  });

  it('refuses to remove a tracked device or one in a snapshot (EBUSY), removes a free one with its file', async () => {
    const emu = await emulator();
    const dev = await trackedDevice(emu, 'vda', MiB);
    expect(await codeOf(emu.removeDevice('vda'))).toBe('EBUSY');
    const id = await takenSnapshot(emu, dev);
    await emu.detach(dev);
    expect(await codeOf(emu.removeDevice('vda'))).toBe('EBUSY');
    await emu.snapshotDestroy(id);
    await emu.removeDevice('vda');
    expect(await emu.listDevices()).toEqual([]);
    expect(fs.existsSync(path.join(emu.stateDir, 'devices', 'vda.img'))).toBe(false);
    expect(await codeOf(emu.removeDevice('vda'))).toBe('ENOENT');
  });

  it('reports the backend as an emulator with the flavour\'s dialect, version and state directory', async () => {
    const emu = await emulator();
    expect(emu.info).toMatchObject({ kind: 'emulator', dialect: 'lk6.15', version: { major: 2, minor: 0, revision: 0, build: 0 }, stateDir: emu.stateDir, controlNode: null });
    expect(emu.info.reason).toContain(emu.stateDir);
    expect(emu.info.capabilities).toMatchObject({ explicitAttach: true, appendStorage: false, eventCodes: { 0: 'corrupted', 1: 'no_space' } });
    expect(await emu.version()).toEqual({ major: 2, minor: 0, revision: 0, build: 0 });
    expect(await codeOf(emu.appendStorage('00000000-0000-4000-8000-000000000000', '/dev/vda', []))).toBe('EUNSUPPORTED');
  });

  it('refuses every call once closed', async () => {
    const emu = await emulator();
    await emu.close();
    expect(await codeOf(emu.listDevices())).toBe('EBACKEND');
  });
});

describe('opening options', () => {
  it('refuses an unknown flavour, a bad hz and unknown parameters with EBADARG', async () => {
    expect(await codeOf(createEmulator({ stateDir: tempDir(), flavour: 'v9' as never }))).toBe('EBADARG');
    expect(await codeOf(createEmulator({ stateDir: tempDir(), hz: 0 }))).toBe('EBADARG');
    expect(await codeOf(createEmulator({ stateDir: tempDir(), parameters: { bogus: 1 } }))).toBe('EBADARG');
  });
});
