// The "stretch" service (spec §6.4): for a snapshot whose module asks user space for storage
// (v1; VAL-7.0 range mode), answer each low_free_space event with the next storage file
// `<dir>/diff_storage#<k>`, up to a user limit: a request beyond the limit is capped at what is
// left (the v1 tool allocates up to its limit; refusing the first request makes TAKE fail and
// the module destroy the snapshot, measured), warning when the limit is reached. The event pump
// forwards events to onEvent(); every step is an app event. Its state (files, limit) lives in
// the directory's manifest of the snapshot, so a later process resumes it as it was.
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { appError, toErrorInfo } from '../../../shared/errors';
import type { SnapshotEvent } from '../../../shared/schemas';
import { formatBytes } from '../../../shared/units';
import type { BlksnapControl } from '../../control/types';
import {
  currentBootId, listManifests, readManifest, removeFiles, removeManifest, writeManifest, type StretchManifest,
} from './manifest';
import type { RangeAllocator, StretchAppEvent } from './types';

export interface StretchServiceOptions {
  /** APPEND_STORAGE and SNAPSHOT_COLLECT: the service's (it remembers what was appended) or a backend's. */
  control: Pick<BlksnapControl, 'appendStorage' | 'snapshotCollect'>;
  snapshotId: string;
  /** Directory the storage files go to (ext4/xfs for the kernel allocator). */
  directory: string;
  /**
   * The most this service allocates in total; a request beyond it is capped at what is left.
   * A manifest of the snapshot (a later process resuming) keeps the limit asked at create, which
   * wins; null: only resume from such a manifest.
   */
  limitBytes: number | null;
  allocator: RangeAllocator;
  onAppEvent: (event: StretchAppEvent) => void;
  /** Prefix for /proc (boot id) in tests. */
  root?: string;
}

export interface StretchFile {
  path: string;
  sizeBytes: number;
  device: string;
  ranges: number;
}

export interface StretchStatus {
  state: 'idle' | 'running' | 'lost' | 'stopped';
  files: StretchFile[];
  /** Appended capacity ("allocated" in the fill gauge). */
  allocatedBytes: number;
  limitBytes: number;
  limitReached: boolean;
  /** low_free_space requests that were not answered (limit reached or failure). */
  unansweredRequests: number;
}

/** Storage is handed over in whole pages: the v1 module refuses ranges that are not page-aligned. */
export const STORAGE_PAGE_BYTES = 4096;

export interface CleanupResult {
  deleted: string[];
  /** Files left in place, and why (their snapshot may still be writing into them). */
  kept: string[];
  reason: string | null;
}

export class StretchService {
  private readonly opts: StretchServiceOptions;
  private state: StretchStatus['state'] = 'idle';
  private limitBytes: number;
  private readonly files: StretchFile[] = [];
  private allocatedBytes = 0;
  private limitWarned = false;
  private unanswered = 0;
  private manifest: StretchManifest | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly early: SnapshotEvent[] = [];

  constructor(opts: StretchServiceOptions) {
    if (opts.limitBytes !== null && (!Number.isSafeInteger(opts.limitBytes) || opts.limitBytes < 0)) {
      throw appError('EBADARG', `stretch limit ${opts.limitBytes} is not a whole number of bytes`);
    }
    this.opts = opts;
    this.limitBytes = opts.limitBytes ?? 0;
  }

  status(): StretchStatus {
    return {
      state: this.state, files: this.files.map((f) => ({ ...f })), allocatedBytes: this.allocatedBytes,
      limitBytes: this.limitBytes, limitReached: this.limitWarned, unansweredRequests: this.unanswered,
    };
  }

  private emit(level: StretchAppEvent['level'], message: string, device: string | null = null): void {
    this.opts.onAppEvent({ timeMs: Date.now(), source: 'app', level, kind: 'stretch', snapshotId: this.opts.snapshotId, device, message, module: null });
  }

  /**
   * Checks the directory, deletes other snapshots' leftovers once no module can write into them
   * (kept otherwise: they never block this snapshot), resumes this snapshot's manifest or writes one.
   */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw appError('EBADARG', `the stretch service for ${this.opts.snapshotId} was already started`);
    const { directory, allocator, control, snapshotId } = this.opts;
    await allocator.checkDirectory(directory);
    const previous = await readManifest(directory, snapshotId);
    // The limit asked at create wins over what a later process passes (it may not know it).
    const limit = previous?.limitBytes ?? this.opts.limitBytes;
    if (limit === null) {
      throw appError('EGUARD', `cannot resume stretching ${snapshotId}: its limit is not known (no manifest in ${directory} records it); destroy the snapshot or create it again`, { directory, snapshotId });
    }
    this.limitBytes = limit;
    const result = await StretchService.cleanupLeftovers(directory, { liveSnapshotIds: await control.snapshotCollect(), root: this.opts.root, except: snapshotId });
    if (result.deleted.length) this.emit('info', `deleted ${result.deleted.length} leftover storage file(s) of earlier snapshots in ${directory}`);
    if (result.kept.length) this.emit('info', `${result.kept.length} storage file(s) of other snapshots stay in ${directory} (${result.reason ?? 'still in use'}); ${snapshotId} uses new files beside them`);
    this.manifest = previous
      ? { ...previous, limitBytes: limit }
      : { version: 1, snapshotId, bootId: await currentBootId(this.opts.root), createdAtMs: Date.now(), limitBytes: limit, files: [] };
    await this.adopt(previous?.files ?? []);
    await writeManifest(directory, this.manifest);
    this.state = 'running';
    this.emit('info', `stretching ${snapshotId} in ${directory} with ${allocator.name} storage, limit ${formatBytes(limit)}`
      + (this.files.length ? ` (resumed with ${this.files.length} file(s), ${formatBytes(this.allocatedBytes)})` : ''));
    if (this.allocatedBytes + STORAGE_PAGE_BYTES > limit && this.files.length) this.limitWarned = true;
    for (const ev of this.early.splice(0)) void this.onEvent(ev);
  }

  /** After an app restart with the snapshot still alive: its files stay counted. */
  private async adopt(paths: string[]): Promise<void> {
    for (const path of paths) {
      const st = await stat(path).catch(() => null);
      if (!st) continue;
      this.files.push({ path, sizeBytes: st.size, device: '', ranges: 0 });
      this.allocatedBytes += st.size;
    }
  }

  /** Takes the snapshot's events; answers low_free_space, stops at corrupted. Serialised. */
  onEvent(event: SnapshotEvent): Promise<void> {
    if (event.snapshotId !== this.opts.snapshotId) return Promise.resolve();
    if (this.state === 'idle') {
      this.early.push(event);
      return Promise.resolve();
    }
    this.chain = this.chain.then(() => this.handle(event)).catch((err: unknown) => {
      this.unanswered += event.kind === 'low_free_space' ? 1 : 0;
      this.emit('error', `stretch step failed: ${toErrorInfo(err).message}`);
    });
    return this.chain;
  }

  private async handle(event: SnapshotEvent): Promise<void> {
    if (event.kind === 'corrupted') {
      if (this.state === 'running') this.state = 'lost';
      const dev = event.device ? `${event.device.major}:${event.device.minor}` : 'a device';
      this.emit('error', `snapshot ${event.snapshotId} is lost: ${dev} corrupted (errno ${event.errCode ?? '?'})`
        + `; stretching stopped with ${formatBytes(this.allocatedBytes)} allocated. Its files stay until the snapshot is destroyed.`, dev);
      return;
    }
    if (event.kind !== 'low_free_space' || event.requestedSectors === null) return;
    if (this.state !== 'running') {
      this.unanswered += 1;
      this.emit('warning', `low_free_space (${formatBytes(event.requestedSectors * 512)}) not answered: the stretch service is ${this.state}`);
      return;
    }
    await this.answer(event.requestedSectors * 512);
  }

  private async answer(requestedBytes: number): Promise<void> {
    const { allocator, control, snapshotId } = this.opts;
    const limitBytes = this.limitBytes;
    const room = Math.floor(Math.max(0, limitBytes - this.allocatedBytes) / STORAGE_PAGE_BYTES) * STORAGE_PAGE_BYTES;
    if (room === 0) {
      this.unanswered += 1;
      this.limitWarned = true;
      this.emit('warning', `limit reached: ${formatBytes(this.allocatedBytes)} of ${formatBytes(limitBytes)} allocated; the module's request for `
        + `${formatBytes(requestedBytes)} more is not answered, so the snapshot overflows once its remaining free space is used`);
      return;
    }
    const sizeBytes = Math.min(requestedBytes, room);
    if (sizeBytes < requestedBytes) {
      this.emit('warning', `the module asks for ${formatBytes(requestedBytes)}; ${formatBytes(sizeBytes)} allocated, the rest of the limit `
        + `(${formatBytes(limitBytes)}): the snapshot overflows once this storage is used up`);
    }
    const path = await this.nextPath();
    try {
      this.emit('info', `creating ${path} (${formatBytes(sizeBytes)})`);
      const storage = await allocator.allocate(path, sizeBytes);
      this.emit('info', `mapped ${path}: ${storage.extents} extent(s) → ${storage.ranges.length} range(s) on ${storage.device}`, storage.device);
      await control.appendStorage(snapshotId, storage.device, storage.ranges);
      this.files.push({ path, sizeBytes, device: storage.device, ranges: storage.ranges.length });
      this.allocatedBytes += sizeBytes;
      this.emit('info', `appended ${path}: ${storage.ranges.length} range(s) on ${storage.device}; ${formatBytes(this.allocatedBytes)} of ${formatBytes(limitBytes)} allocated`, storage.device);
      if (storage.immutable === false) this.emit('warning', `${path} could not be made immutable: do not move, defragment or delete it until the snapshot is destroyed`);
    } catch (err) {
      this.unanswered += 1;
      await this.forget(path);
      this.emit('error', `could not add ${path}: ${toErrorInfo(err).message}. The snapshot overflows unless storage is added.`);
      return;
    }
    if (!this.limitWarned && this.allocatedBytes + requestedBytes > limitBytes) {
      this.limitWarned = true;
      this.emit('warning', `limit reached: ${formatBytes(this.allocatedBytes)} of ${formatBytes(limitBytes)} allocated; the next request `
        + `will ${this.allocatedBytes + STORAGE_PAGE_BYTES > limitBytes ? 'not be answered' : 'get only the rest of the limit'} and the snapshot will overflow when this storage is used up`);
    }
  }

  /** Next diff_storage#<k> no manifest lists and no file has, listed in ours before it exists. */
  private async nextPath(): Promise<string> {
    const manifest = this.manifest as StretchManifest;
    const taken = new Set((await listManifests(this.opts.directory)).flatMap((m) => m.manifest.files));
    for (const f of manifest.files) taken.add(f);
    let k = manifest.files.length;
    let path = join(this.opts.directory, `diff_storage#${k}`);
    while (taken.has(path) || (await stat(path).then(() => true, () => false))) {
      k += 1;
      path = join(this.opts.directory, `diff_storage#${k}`);
    }
    manifest.files.push(path);
    await writeManifest(this.opts.directory, manifest);
    return path;
  }

  /** A file the module never received: delete it and drop it from the manifest. */
  private async forget(path: string): Promise<void> {
    await removeFiles(this.opts.directory, [path]).catch(() => []);
    const manifest = this.manifest as StretchManifest;
    manifest.files = manifest.files.filter((f) => f !== path);
    await writeManifest(this.opts.directory, manifest).catch(() => undefined);
  }

  /**
   * Stops answering. With deleteFiles, removes the storage files and the manifest, but only once
   * the module no longer lists the snapshot: it writes straight into those files' sectors.
   */
  async stop(options: { deleteFiles: boolean }): Promise<void> {
    await this.chain.catch(() => undefined);
    const wasRunning = this.state;
    this.state = 'stopped';
    if (!options.deleteFiles) {
      this.emit('info', `stretching stopped; ${this.files.length} file(s) kept in ${this.opts.directory}`);
      return;
    }
    const live = await this.opts.control.snapshotCollect();
    if (live.includes(this.opts.snapshotId)) {
      this.state = wasRunning;
      throw appError('EGUARD', `snapshot ${this.opts.snapshotId} still exists: its storage files are deleted only after it is destroyed (the module writes into their sectors)`, { snapshotId: this.opts.snapshotId });
    }
    const listed = this.manifest?.files ?? this.files.map((f) => f.path);
    const deleted = await removeFiles(this.opts.directory, listed);
    await removeManifest(this.opts.directory, this.opts.snapshotId);
    this.emit('info', `deleted ${deleted.length} storage file(s) of ${this.opts.snapshotId} from ${this.opts.directory}`);
  }

  /**
   * Deletes storage files earlier snapshots left in `directory` (after a crash, or a snapshot the
   * module destroyed) once no module can still be writing into them: after a reboot. Within the
   * same boot they are kept even when the module no longer lists the snapshot: a v1 snapshot that
   * dropped out of the list (another client created a newer one) keeps copying into its storage
   * until the module is unloaded (spec §6.3), and deleting those files would corrupt the
   * filesystem. `except`: the snapshot being started (its own files are not leftovers).
   */
  static async cleanupLeftovers(directory: string, options: { liveSnapshotIds?: string[]; root?: string | undefined; except?: string } = {}): Promise<CleanupResult> {
    const out: CleanupResult = { deleted: [], kept: [], reason: null };
    // Without a boot id to compare, assume the same boot.
    const bootNow = await currentBootId(options.root);
    const reasons: string[] = [];
    for (const { path, manifest } of await listManifests(directory)) {
      if (manifest.snapshotId === options.except) continue;
      const sameBoot = manifest.bootId === null || bootNow === null || manifest.bootId === bootNow;
      if (sameBoot) {
        out.kept.push(...manifest.files);
        const listed = (options.liveSnapshotIds ?? []).includes(manifest.snapshotId);
        reasons.push(listed
          ? `snapshot ${manifest.snapshotId} still exists; destroy it before its storage files can go`
          : `snapshot ${manifest.snapshotId} is not listed, but the module may still write into its files until it is unloaded or the machine reboots; they are deleted after a reboot, or by hand (chattr -i) once you know it is released`);
        continue;
      }
      out.deleted.push(...await removeFiles(directory, manifest.files));
      await rm(path, { force: true });
    }
    out.reason = reasons.length ? reasons.join('; ') : null;
    return out;
  }
}
