// Crash safety: a child process doing copy-on-write writes is SIGKILLed at random points; the
// reopened state must be consistent, the original's data intact and the image = take time.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../../../electron/control/emulator';
import { SMALL, tempDir } from './helpers';

const DEVICE = 2 * 2 ** 20;
const CHILD = path.join(__dirname, 'crash-child.ts');

function pattern(offset: number, bytes: number, tag: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  for (let i = 0; i < bytes; i += 4) view.setUint32(i, (((offset + i) / 4) ^ (tag << 24)) >>> 0, true);
  return out;
}

/** Every 32-bit word encodes its own offset (any tag): no zeros, no garbage, no misplaced data. */
function firstBadWord(bytes: Uint8Array, offset = 0): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < bytes.length; i += 4) {
    const tag = (view.getUint32(i, true) ^ ((offset + i) / 4)) >>> 0;
    if ((tag & 0x00ffffff) !== 0 || tag === 0) return offset + i;
  }
  return -1;
}

function runAndKill(stateDir: string, mode: string, seed: number, storeDir: string, killAfterMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, stateDir, mode, String(seed), storeDir], {
      cwd: path.resolve(__dirname, '../../../..'), stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child ended without being killed: ${stderr}`))));
  });
}

async function setUp(stateDir: string, storeDir: string): Promise<void> {
  const emu = await createEmulator({ stateDir, parameters: SMALL });
  await emu.createDevice('vda', DEVICE);
  await emu.write('/dev/vda', 0, pattern(0, DEVICE, 1));
  await emu.attach('/dev/vda');
  const id = await emu.snapshotCreate({ diffStoragePath: storeDir, diffStorageLimitSectors: 65536, devices: [] });
  await emu.snapshotAdd(id, '/dev/vda');
  await emu.snapshotTake(id);
  await emu.close();
}

async function reopen(stateDir: string): Promise<Emulator> {
  const emu = await createEmulator({ stateDir });
  expect(emu.info.reason).toContain('not closed cleanly');
  const original = await emu.read('/dev/vda', 0, DEVICE);
  expect(firstBadWord(original)).toBe(-1);
  return emu;
}

describe('crash safety (SIGKILL during copy-on-write)', () => {
  it('keeps the original intact and the image equal to take time across repeated kills', async () => {
    const stateDir = tempDir();
    const storeDir = tempDir();
    await setUp(stateDir, storeDir);
    const takeTime = pattern(0, DEVICE, 1);
    for (let round = 0; round < 6; round++) {
      await runAndKill(stateDir, 'cow', 100 + round, storeDir, 20 + ((round * 37) % 150));
      const emu = await reopen(stateDir);
      const [id] = await emu.snapshotCollect();
      expect(id).toBeDefined();
      const image = await emu.read('/dev/blksnap-252-0', 0, DEVICE);
      expect(Buffer.from(image).equals(Buffer.from(takeTime))).toBe(true);
      const usage = await emu.diffStorageUsage(id as string);
      expect(usage.overflowed).toBe(false);
      await emu.close();
    }
    // CBT marked every block whose data changed (a crash may over-report, never under-report).
    const emu = await createEmulator({ stateDir });
    const original = await emu.read('/dev/vda', 0, DEVICE);
    for (const id of await emu.snapshotCollect()) await emu.snapshotDestroy(id);
    const id = await emu.snapshotCreate({ diffStoragePath: storeDir, diffStorageLimitSectors: 65536, devices: [] });
    await emu.snapshotAdd(id, '/dev/vda');
    await emu.snapshotTake(id);
    const map = await emu.cbtMap('/dev/vda', 0, DEVICE / 4096);
    const view = new DataView(original.buffer);
    for (let b = 0; b < DEVICE / 4096; b++) {
      const changed = (view.getUint32(b * 4096, true) ^ ((b * 4096) / 4)) >>> 24 !== 1;
      if (changed) expect(map[b], `block ${b}`).toBe(2);
    }
    await emu.close();
  }, 180_000); // five or six tsx children: a minute and more on a loaded machine

  it('reopens a consistent state after kills during create, take and destroy', async () => {
    const stateDir = tempDir();
    const storeDir = tempDir();
    await setUp(stateDir, storeDir);
    for (let round = 0; round < 5; round++) {
      await runAndKill(stateDir, 'cycle', 200 + round, storeDir, 30 + ((round * 53) % 200));
      const emu = await reopen(stateDir);
      for (const img of emu.listImages()) {
        expect(firstBadWord(await emu.read(img.path, 0, DEVICE))).toBe(-1);
      }
      const ids = await emu.snapshotCollect();
      expect(ids.length).toBeLessThanOrEqual(2);
      await emu.close();
    }
    // Files of snapshots a kill lost half-way (create or release) are swept at reopen.
    const emu = await createEmulator({ stateDir });
    expect(fs.readdirSync(storeDir).length).toBe((await emu.snapshotCollect()).length);
    await emu.close();
  }, 180_000); // five or six tsx children: a minute and more on a loaded machine
});
