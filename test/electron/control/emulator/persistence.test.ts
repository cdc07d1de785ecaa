import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEmulator, readStateOwner } from '../../../../electron/control/emulator';
import { EmulatorCore } from '../../../../electron/control/emulator/core';
import { codeOf, emulator, errorOf, fill, MiB, pattern, SMALL, takenSnapshot, tempDir, track, trackedDevice, untrack } from './helpers';

const IMG = '/dev/blksnap-252-0';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('persistence across restarts', () => {
  it('reopens devices, trackers with their maps and numbers, and a taken snapshot with its copies and events', async () => {
    const stateDir = tempDir();
    const emu = await emulator('upstream', { stateDir });
    const dev = await trackedDevice(emu, 'vda', MiB);
    await emu.write(dev, 0, pattern(0, MiB, 1));
    const id = await takenSnapshot(emu, dev, 0 + 65536);
    await emu.write(dev, 0, pattern(0, 256 * 1024, 2));
    await emu.cbtDirty(dev, [{ offsetSectors: 1000, countSectors: 8 }]);
    const info = await emu.cbtInfo(dev);
    const map = await emu.cbtMap(dev, 0, 256);
    const usage = await emu.diffStorageUsage(id);
    const pending = await emu.pendingChange(dev);
    expect(pending.blocks).toBeGreaterThan(0);
    untrack(emu);
    await emu.close();

    const again = track(await createEmulator({ stateDir }));
    expect(again.info.reason).not.toContain('repair');
    expect((await again.listDevices()).map((d) => [d.path, d.tracked])).toEqual([[dev, true]]);
    expect(await again.cbtInfo(dev)).toEqual(info);
    expect(await again.cbtMap(dev, 0, 256)).toEqual(map);
    expect(await again.pendingChange(dev)).toEqual(pending);
    expect(await again.snapshotCollect()).toEqual([id]);
    expect(await again.diffStorageUsage(id)).toEqual(usage);
    expect(Buffer.from(await again.read(IMG, 0, MiB)).equals(Buffer.from(pattern(0, MiB, 1)))).toBe(true);
    await again.write(dev, 512 * 1024, fill(4096, 3)); // COW goes on after the restart
    expect(Buffer.from(await again.read(IMG, 0, MiB)).equals(Buffer.from(pattern(0, MiB, 1)))).toBe(true);
    expect((await again.parameters()).diff_storage_minimum).toBe(SMALL.diff_storage_minimum);
  });

  it('after a crash that lost a journal record, a zero chunk reusing that storage slot reads as zeros, not the old copy', async () => {
    const stateDir = tempDir();
    const emu = await emulator('upstream', { stateDir });
    const dev = await trackedDevice(emu, 'vda', MiB);
    await emu.write(dev, 0, fill(4096, 0x11)); // chunk 0 holds data; chunk 64 (at 256 KiB) stays zeros
    const id = await takenSnapshot(emu, dev);
    const stateFile = path.join(stateDir, 'state.json');
    const beforeCopy = fs.readFileSync(stateFile, 'utf8'); // state.json as saved at take
    await emu.write(dev, 0, fill(4096, 0x22)); // copies chunk 0 (0x11) into the first storage slot
    untrack(emu);
    await emu.close();
    // The crash: the copy reached the storage, but neither its journal record nor the state did.
    fs.writeFileSync(stateFile, JSON.stringify({ ...(JSON.parse(beforeCopy) as object), cleanShutdown: false }));
    fs.truncateSync(path.join(stateDir, 'snapshots', `${id}.cow`), 0);

    const again = track(await createEmulator({ stateDir }));
    await again.write(dev, 256 * 1024, fill(4096, 0x33)); // copies the zero chunk into that same slot
    expect(Buffer.from(await again.read(IMG, 256 * 1024, 4096))).toEqual(Buffer.alloc(4096));
  });

  it('keeps queued events and a v1 snapshot\'s appended ranges across a restart', async () => {
    const stateDir = tempDir();
    const emu = await emulator('v1', { stateDir });
    await emu.createDevice('vda', MiB);
    await emu.createDevice('store', 8 * MiB);
    const id = await emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices: ['/dev/vda'] });
    await emu.appendStorage(id, '/dev/store', [{ offsetSectors: 0, countSectors: 8192 }]);
    untrack(emu);
    await emu.close();
    const again = track(await createEmulator({ stateDir }));
    expect(again.flavour).toBe('v1');
    expect((await again.waitEvent(id, 0))?.kind).toBe('low_free_space');
    expect((await again.diffStorageUsage(id)).capacitySectors).toBe(8192);
    await again.snapshotTake(id);
    await again.write('/dev/vda', 0, fill(4096, 1));
    expect((await again.read('/dev/veeamblksnapimg0', 0, 512))[0]).toBe(0);
  });

  it('refuses to reopen a directory holding snapshots as another flavour', async () => {
    const stateDir = tempDir();
    const emu = await emulator('v1', { stateDir });
    await emu.createDevice('vda', MiB);
    await emu.snapshotCreate({ diffStoragePath: null, diffStorageLimitSectors: 0, devices: ['/dev/vda'] });
    untrack(emu);
    await emu.close();
    const err = await errorOf(createEmulator({ stateDir, flavour: 'upstream' }));
    expect(err.code).toBe('EBADARG');
    expect(err.message).toContain('v1');
  });

  it('saves state.json at reopen only once every snapshot is back, even when one lost its storage', async () => {
    const stateDir = tempDir();
    const emu = await emulator('upstream', { stateDir });
    const vda = await trackedDevice(emu, 'vda', MiB);
    const vdb = await trackedDevice(emu, 'vdb', MiB);
    await emu.write(vda, 0, fill(MiB, 1));
    await emu.write(vdb, 0, fill(MiB, 2));
    const lostDir = tempDir();
    const lost = await takenSnapshot(emu, vda, 65536, lostDir);
    const kept = await takenSnapshot(emu, vdb);
    await emu.write(vda, 0, fill(4096, 3));
    await emu.write(vdb, 0, fill(4096, 4));
    untrack(emu);
    await emu.close();
    for (const f of fs.readdirSync(lostDir)) fs.rmSync(path.join(lostDir, f));
    // A save before the last snapshot is back would leave a state.json without it, were the
    // process killed then: the next reopen would sweep its journal and storage as a crash's leftovers.
    const savedWith: number[] = [];
    const save = EmulatorCore.prototype.saveState;
    vi.spyOn(EmulatorCore.prototype, 'saveState').mockImplementation(function (this: EmulatorCore, clean?: boolean) {
      savedWith.push(this.snapshots.size);
      save.call(this, clean);
    });
    const again = track(await createEmulator({ stateDir }));
    expect(savedWith.length).toBeGreaterThan(0);
    expect(savedWith.every((n) => n === 2)).toBe(true);
    expect(again.recoveryNotes.join(' ')).toContain(`snapshot ${lost}: its difference storage`);
    expect(await codeOf(again.read('/dev/blksnap-252-0', 0, 512))).toBe('EIO');
    expect((await again.read('/dev/blksnap-252-1', 0, 4096)).every((b) => b === 2)).toBe(true);
    expect((await again.snapshotCollect()).sort()).toEqual([lost, kept].sort());
  });

  it('resets an unreadable CBT map with a new generation and says so in the backend reason', async () => {
    const stateDir = tempDir();
    const emu = await emulator('upstream', { stateDir });
    const dev = await trackedDevice(emu, 'vda', MiB);
    const gen = (await emu.cbtInfo(dev)).generationId;
    untrack(emu);
    await emu.close();
    fs.writeFileSync(path.join(stateDir, 'cbt', 'vda.cbt'), 'garbage');
    const again = track(await createEmulator({ stateDir }));
    expect((await again.cbtInfo(dev)).generationId).not.toBe(gen);
    expect(again.info.reason).toContain('reset');
    expect(again.recoveryNotes.join(' ')).toContain('/dev/vda');
  });
});

describe('one owner per state directory', () => {
  it('treats an owner on another host as live, since its pid cannot be checked', async () => {
    const stateDir = tempDir();
    fs.writeFileSync(path.join(stateDir, 'owner.lock'), JSON.stringify({ pid: 999_999, hostname: 'elsewhere', startedAt: 'then' }));
    const err = await errorOf(createEmulator({ stateDir }));
    expect(err.message).toContain('on host elsewhere');
    expect(readStateOwner(stateDir)?.hostname).toBe('elsewhere');
  });

  it('refuses a second open while the first is live, naming the owner pid', async () => {
    const stateDir = tempDir();
    await emulator('upstream', { stateDir });
    const err = await errorOf(createEmulator({ stateDir }));
    expect(err.code).toBe('EBUSY');
    expect(err.message).toContain(String(process.pid));
    expect(readStateOwner(stateDir)?.pid).toBe(process.pid);
  });

  it('names another live process that owns the directory', async () => {
    const stateDir = tempDir();
    const child = spawn('sleep', ['30']);
    try {
      fs.writeFileSync(path.join(stateDir, 'owner.lock'), JSON.stringify({ pid: child.pid, hostname: os.hostname(), startedAt: 'then' }));
      const err = await errorOf(createEmulator({ stateDir }));
      expect(err.message).toContain(`pid ${child.pid}`);
      expect(readStateOwner(stateDir)?.pid).toBe(child.pid);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('reclaims the lock of a dead owner and notes the unclean shutdown', async () => {
    const stateDir = tempDir();
    const emu = await emulator('upstream', { stateDir });
    await emu.createDevice('vda', MiB);
    untrack(emu);
    await emu.close();
    fs.writeFileSync(path.join(stateDir, 'state.json'), fs.readFileSync(path.join(stateDir, 'state.json'), 'utf8').replace('"cleanShutdown":true', '"cleanShutdown":false'));
    const dead = spawnSync('true').pid as number;
    fs.writeFileSync(path.join(stateDir, 'owner.lock'), JSON.stringify({ pid: dead, hostname: os.hostname(), startedAt: 'then' }));
    expect(readStateOwner(stateDir)).toBeNull();
    const again = track(await createEmulator({ stateDir }));
    expect(again.info.reason).toContain(`pid ${dead}`);
    expect(again.info.reason).toContain('not closed cleanly');
    expect((await again.listDevices()).length).toBe(1);
    await again.close();
    expect(readStateOwner(stateDir)).toBeNull();
    expect(await codeOf(again.version())).toBe('EBACKEND');
  });
});
