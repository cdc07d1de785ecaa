// Shared fixtures: fresh temp state directories, small module parameters, data patterns.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach } from 'vitest';
import { BlksnapError } from '../../../../shared/errors';
import { createEmulator, type Emulator, type EmulatorOptions, type Flavour } from '../../../../electron/control/emulator';

const dirs: string[] = [];
const open: Emulator[] = [];

afterEach(async () => {
  for (const e of open.splice(0)) await e.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'blksnap-emu-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** 4 KiB tracking blocks and chunks, 4 MiB storage portions: small devices exercise every rule. */
export const SMALL = {
  tracking_block_minimum_shift: 12,
  chunk_minimum_shift: 12,
  diff_storage_minimum: 8192,
};

export async function emulator(flavour: Flavour = 'upstream', extra: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  const emu = await createEmulator({ stateDir: extra.stateDir ?? tempDir(), flavour, parameters: SMALL, ...extra });
  open.push(emu);
  return emu;
}

/** Opens without registering for cleanup (the test closes it). */
export function track(emu: Emulator): Emulator {
  open.push(emu);
  return emu;
}

export function untrack(emu: Emulator): void {
  const i = open.indexOf(emu);
  if (i >= 0) open.splice(i, 1);
}

export const MiB = 2 ** 20;

/** Every byte of the buffer set to `tag` (fast to build, easy to compare). */
export function fill(bytes: number, tag: number): Uint8Array {
  return new Uint8Array(bytes).fill(tag);
}

/** Self-describing pattern: u32 at each 4 bytes = (absolute offset / 4) ^ (tag << 24). */
export function pattern(offsetBytes: number, bytes: number, tag: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  for (let i = 0; i < bytes; i += 4) view.setUint32(i, (((offsetBytes + i) / 4) ^ (tag << 24)) >>> 0, true);
  return out;
}

/** The BlksnapError a promise rejects with, or 'resolved'; any other rejection is rethrown. */
export async function failure(p: Promise<unknown>): Promise<BlksnapError | 'resolved'> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BlksnapError) return err;
    throw err;
  }
  return 'resolved';
}

/** The errno/app code a promise rejects with, or 'resolved'. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  const r = await failure(p);
  return r === 'resolved' ? r : r.code;
}

export async function errorOf(p: Promise<unknown>): Promise<BlksnapError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BlksnapError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

/** Drains the snapshot's queued events (timeout 0 = poll). */
export async function drain(emu: Emulator, id: string): Promise<{ kind: string; code: number; requestedSectors: number | null; errCode: number | null; minor: number | null }[]> {
  const out = [];
  for (;;) {
    const e = await emu.waitEvent(id, 0);
    if (!e) return out;
    out.push({ kind: e.kind, code: e.code, requestedSectors: e.requestedSectors, errCode: e.errCode, minor: e.device?.minor ?? null });
  }
}

/** A device with a tracker (v2 flavours). */
export async function trackedDevice(emu: Emulator, name: string, bytes: number): Promise<string> {
  await emu.createDevice(name, bytes);
  await emu.attach(`/dev/${name}`);
  return `/dev/${name}`;
}

/** upstream: a taken snapshot of the device with directory storage of the given limit. */
export async function takenSnapshot(emu: Emulator, device: string, limitSectors = 65536, dir = tempDir()): Promise<string> {
  const id = await emu.snapshotCreate({ diffStoragePath: dir, diffStorageLimitSectors: limitSectors, devices: [] });
  await emu.snapshotAdd(id, device);
  await emu.snapshotTake(id);
  return id;
}
