// The file-backed emulator of the blksnap module (spec §1–3, flavours §4–6, differences §9):
// the module interface (BlksnapControl) and the emulator's extras. All file I/O is synchronous
// inside each call, so every operation is atomic with respect to the others and the write order
// that crash safety depends on is the order of the code. State and shared helpers: core.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { appError, errnoError } from '../../../shared/errors';
import type {
  BackendInfo, BlockDevice, CbtInfo, DiffStorageUsage, ModuleParameters, ModuleVersion, SectorRange,
  SnapshotCreateRequest, SnapshotDeviceInfo, SnapshotEvent,
} from '../../../shared/schemas';
import type { EmulatorControl, WaitOptions } from '../types';
import { EmulatorCore, type EmulatorFault } from './core';
import { createDevice, removeDevice, resizeDevice, type CreateDeviceOptions } from './emulated-devices';
import { FLAVOURS, type Flavour } from './flavours';
import { ioTarget, readImage, writeImage, writeOriginal } from './io';
import { applyLoadFixups, defaultParameters, parameterProblem } from './parameters';
import { restore } from './restore';
import { addDevice, createV1, createV2 } from './snapshot-create';
import { takeSnapshot } from './snapshot-take';
import { openAppendTarget, rangeProblem } from './storage-open';
import { readStateFile } from './state-file';
import { acquireStateLock } from './state-lock';
import { rawCtl, type CtlRequest, type CtlResult } from './filter-ctl';
import { attachTracker, cbtInfoOf, detachTracker, markDirty, readCbtMap, snapshotInfoOf } from './tracker';

export type { EmulatorFault } from './core';
export type { CreateDeviceOptions } from './emulated-devices';
export type { CtlRequest, CtlResult } from './filter-ctl';

export interface EmulatorOptions {
  stateDir: string;
  flavour?: Flavour;
  hz?: number;
  parameters?: Partial<ModuleParameters>;
  /**
   * Refuse what the kernel client refuses before any ioctl (EGUARD), so both backends answer
   * alike: a second v1 snapshot, a v1 TAKE without storage, count-0 and past-the-end CBTDIRTY
   * ranges. Off by default: the emulator then behaves as the module does (spec §9).
   */
  clientGuards?: boolean;
}

export interface ImageInfo {
  path: string;
  name: string;
  /** The original device's path. */
  device: string;
  snapshotId: string;
  /** 0 or the negative errno of the corrupted area. */
  errorCode: number;
  capacitySectors: number;
}

export class Emulator extends EmulatorCore implements EmulatorControl {
  info: BackendInfo = this.makeInfo('');

  static async open(opts: EmulatorOptions): Promise<Emulator> {
    const stateDir = path.resolve(opts.stateDir);
    fs.mkdirSync(stateDir, { recursive: true });
    for (const sub of ['devices', 'cbt', 'snapshots']) fs.mkdirSync(path.join(stateDir, sub), { recursive: true });
    const lock = acquireStateLock(stateDir);
    try {
      const saved = readStateFile(stateDir);
      const flavour = opts.flavour ?? saved?.flavour ?? 'upstream';
      if (!FLAVOURS.includes(flavour)) throw appError('EBADARG', `unknown emulator flavour "${String(flavour)}" (use ${FLAVOURS.join(', ')})`);
      if (saved && saved.flavour !== flavour && saved.snapshots.length > 0) {
        throw appError('EBADARG', `${stateDir} holds ${saved.flavour} snapshots; it cannot be opened as the ${flavour} flavour until they are destroyed`, {
          stateDir, savedFlavour: saved.flavour, flavour,
        });
      }
      const hz = opts.hz ?? saved?.hz ?? 250;
      if (!Number.isInteger(hz) || hz < 1 || hz > 10_000) throw appError('EBADARG', `hz must be a whole number from 1 to 10000, got ${hz}`);
      const base = saved && saved.flavour === flavour ? saved.parameters : defaultParameters(flavour);
      const update = opts.parameters ?? {};
      const problem = parameterProblem(base, update);
      if (problem) throw appError('EBADARG', problem);
      const params = applyLoadFixups({ ...base, ...(update as ModuleParameters) });
      const emu = new Emulator(stateDir, flavour, hz, params, lock, opts.clientGuards ?? false);
      if (lock.reclaimedFrom) {
        emu.recoveryNotes.push(`the previous owner (pid ${lock.reclaimedFrom.pid}) ended without closing; its lock was reclaimed`);
      }
      if (saved) restore(emu, saved);
      emu.info = emu.makeInfo(emu.recoveryNotes.join('; '));
      emu.saveState(false);
      return emu;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  private makeInfo(notes: string): BackendInfo {
    const r = this.rules;
    const reason = `file-backed emulator of ${r.dialectLabel.replace(' (emulated)', '')} in ${this.stateDir}`
      + (notes ? `; reopened after repair: ${notes}` : '');
    return {
      kind: 'emulator', dialect: r.dialect, dialectLabel: r.dialectLabel, verified: r.verified, reason,
      version: { ...r.version }, controlNode: null, capabilities: structuredClone(r.capabilities), stateDir: this.stateDir,
    };
  }

  async version(): Promise<ModuleVersion> {
    this.ensureOpen();
    return { ...this.rules.version };
  }

  async parameters(): Promise<ModuleParameters> {
    this.ensureOpen();
    return { ...this.params };
  }

  async listDevices(): Promise<BlockDevice[]> {
    this.ensureOpen();
    return [...this.devices.values()].map((d) => this.blockDevice(d));
  }

  /** `filterName`: what a raw client may send instead of "blksnap" (the module interface never does). */
  async attach(devicePath: string, filterName?: string): Promise<void> {
    this.ensureOpen();
    attachTracker(this, devicePath, filterName);
  }

  async detach(devicePath: string, filterName?: string): Promise<void> {
    this.ensureOpen();
    detachTracker(this, devicePath, filterName);
  }

  async cbtInfo(devicePath: string): Promise<CbtInfo> {
    this.ensureOpen();
    return cbtInfoOf(this, devicePath);
  }

  async pendingChange(devicePath: string): Promise<{ blocks: number; bytes: number }> {
    this.ensureOpen();
    const map = this.trackerOf(this.rules.op.cbtInfo, devicePath);
    const blocks = map.pendingBlocks();
    return { blocks, bytes: blocks * map.blockSizeBytes };
  }

  async cbtMap(devicePath: string, offsetBlocks: number, lengthBlocks: number): Promise<Uint8Array> {
    this.ensureOpen();
    return readCbtMap(this, devicePath, offsetBlocks, lengthBlocks);
  }

  async cbtDirty(devicePath: string, ranges: SectorRange[]): Promise<void> {
    this.ensureOpen();
    markDirty(this, devicePath, ranges);
  }

  async snapshotCreate(request: SnapshotCreateRequest): Promise<string> {
    this.ensureOpen();
    const limit = request.diffStorageLimitSectors;
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw errnoError('ENODATA', 'SNAPSHOT_CREATE', `the limit ${String(limit)} is not an unsigned sector count`);
    }
    return this.flavour === 'v1' ? createV1(this, request) : createV2(this, request);
  }

  async snapshotAdd(id: string, devicePath: string): Promise<void> {
    this.ensureOpen();
    addDevice(this, id, devicePath);
  }

  async snapshotTake(id: string): Promise<void> {
    this.ensureOpen();
    takeSnapshot(this, id);
  }

  async snapshotCollect(): Promise<string[]> {
    this.ensureOpen();
    return [...this.snapshots.values()].filter((s) => s.state === 'listed').map((s) => s.id);
  }

  async snapshotDestroy(id: string): Promise<void> {
    this.ensureOpen();
    const snap = this.snapshots.get(id);
    if (!snap || snap.state !== 'listed') throw errnoError('ENODEV', 'SNAPSHOT_DESTROY', `no snapshot ${id} is listed`, { snapshotId: id });
    snap.state = 'releasing';
    // Released with its last reference: after every wait in progress on it returns.
    if (snap.events.waiting === 0) this.release(snap);
    else this.saveState();
  }

  async snapshotInfo(devicePath: string): Promise<SnapshotDeviceInfo> {
    this.ensureOpen();
    return snapshotInfoOf(this, devicePath);
  }

  /**
   * BLKFILTER_CTL as a raw client sends it: a filter name, a command number and optlen of its
   * choosing (the module interface names "blksnap" and sends each command's size). Answers as
   * the module does (filter-ctl.ts); commands that pass its checks run as through the interface.
   */
  async ctl(devicePath: string, request: CtlRequest): Promise<CtlResult> {
    this.ensureOpen();
    return rawCtl(this, devicePath, request);
  }

  async waitEvent(id: string, timeoutTicks: number, options?: WaitOptions): Promise<SnapshotEvent | null> {
    this.ensureOpen();
    const op = 'SNAPSHOT_WAIT_EVENT';
    if (!Number.isInteger(timeoutTicks) || timeoutTicks < 0 || timeoutTicks > 0xffffffff) {
      throw errnoError('EINVAL', op, `timeoutTicks must be an unsigned 32-bit number of ticks, got ${timeoutTicks}`, { snapshotId: id });
    }
    const snap = this.listed(op, id);
    const deadline = performance.now() + (timeoutTicks * 1000) / this.hz;
    try {
      for (;;) {
        const event = snap.events.shift();
        if (event) {
          this.saveState();
          return event;
        }
        const remaining = deadline - performance.now();
        if (remaining <= 0 || this.closed) return null;
        const reason = await snap.events.waitForPush(remaining, options?.signal);
        if (reason === 'abort') return null;
      }
    } finally {
      if (snap.state === 'releasing' && snap.events.waiting === 0 && this.snapshots.has(id) && !this.closed) this.release(snap);
    }
  }

  async appendStorage(id: string, devicePath: string, ranges: SectorRange[]): Promise<void> {
    this.ensureOpen();
    const op = 'SNAPSHOT_APPEND_STORAGE';
    if (!this.rules.capabilities.appendStorage) {
      throw appError('EUNSUPPORTED', `${this.rules.dialectLabel} has no SNAPSHOT_APPEND_STORAGE: the kernel grows the storage file itself`, { dialect: this.rules.dialect });
    }
    const snap = this.listed(op, id);
    const { handle, capacitySectors } = openAppendTarget(this, op, devicePath);
    const problem = rangeProblem(this, snap, devicePath, capacitySectors, ranges);
    if (problem) {
      handle.owned?.close();
      throw appError('EBADARG', `${op}: ${problem} (the module would accept it unchecked; the emulator refuses)`, { snapshotId: id, device: devicePath });
    }
    if (snap.storage.mode !== 'ranges') {
      handle.owned?.close();
      return; // a path-mode snapshot answers 0 and does not use the ranges (measured on VAL-7.0)
    }
    snap.storage.append(devicePath, handle, ranges);
    this.saveState();
  }

  async diffStorageUsage(id: string): Promise<DiffStorageUsage> {
    this.ensureOpen();
    const s = this.listed('diffStorageUsage', id).storage.state;
    return {
      filledSectors: s.filled, requestedSectors: s.requested, capacitySectors: s.capacity,
      limitSectors: this.flavour === 'v1' ? null : s.limit, overflowed: s.overflow,
      source: `emulator (${s.mode} storage${s.path ? ` ${s.path}` : ''})`,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.saveState(true);
    this.closed = true;
    for (const snap of this.snapshots.values()) {
      snap.events.abortAll();
      snap.log?.close();
      snap.storage.close();
    }
    for (const dev of this.devices.values()) {
      dev.tracker?.close();
      dev.close();
    }
    this.lock.release();
  }

  async createDevice(name: string, capacityBytes: number, options: CreateDeviceOptions = {}): Promise<BlockDevice> {
    this.ensureOpen();
    return createDevice(this, name, capacityBytes, options);
  }

  async removeDevice(name: string): Promise<void> {
    this.ensureOpen();
    removeDevice(this, name);
  }

  /** Changes an emulated device's capacity (a resize while tracked corrupts or resets its CBT). */
  async resizeDevice(name: string, capacityBytes: number): Promise<BlockDevice> {
    this.ensureOpen();
    return resizeDevice(this, name, capacityBytes);
  }

  async setParameters(update: ModuleParameters): Promise<ModuleParameters> {
    this.ensureOpen();
    const problem = parameterProblem(this.params, update);
    if (problem) throw appError('EBADARG', problem);
    this.params = applyLoadFixups({ ...this.params, ...update });
    this.saveState();
    return { ...this.params };
  }

  injectFault(fault: EmulatorFault): void {
    this.faults.add(fault);
  }

  /** Snapshot images that exist now (taken snapshots, including v1's unreachable ones). */
  listImages(): ImageInfo[] {
    return [...this.snapshots.values()].flatMap((s) => s.areas.map((a) => ({
      path: `/dev/${a.imageName}`, name: a.imageName, device: `/dev/${a.device}`, snapshotId: s.id, errorCode: a.errorCode,
      capacitySectors: a.capacitySectors,
    })));
  }

  /** v1: what unloading the module does to snapshots a newer create made unreachable. */
  async releaseUnreachable(): Promise<string[]> {
    this.ensureOpen();
    const gone = [...this.snapshots.values()].filter((s) => s.state === 'unreachable');
    for (const s of gone) this.release(s);
    return gone.map((s) => s.id);
  }

  async write(p: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    this.ensureOpen();
    const loc = ioTarget(this, 'write', p, offsetBytes, data.length);
    if (data.length === 0) return;
    if (loc.kind === 'device') writeOriginal(this, loc.device, offsetBytes, data);
    else writeImage(this, loc.snapshot, loc.area, offsetBytes, data);
  }

  async read(p: string, offsetBytes: number, lengthBytes: number): Promise<Uint8Array> {
    this.ensureOpen();
    const loc = ioTarget(this, 'read', p, offsetBytes, lengthBytes);
    const out = new Uint8Array(lengthBytes);
    if (lengthBytes === 0) return out;
    if (loc.kind === 'device') loc.device.readInto(out, offsetBytes);
    else readImage(this, loc.snapshot, loc.area, offsetBytes, out);
    return out;
  }
}
