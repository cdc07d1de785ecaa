// The "stretch" service (spec §6.4): for a snapshot whose module asks user space for storage
// (v1; VAL-7.0 range mode), answer each low_free_space event with the next storage file
// `<dir>/diff_storage#<k>`, up to a user limit, warning when the limit is reached (before the
// overflow). The event pump forwards events to onEvent(); every step is an app event.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { appError, toErrorInfo } from '../../../shared/errors';
import type { SnapshotEvent } from '../../../shared/schemas';
import { formatBytes } from '../../../shared/units';
import type { BlksnapControl } from '../../control/types';
import {
  currentBootId, readManifest, removeFiles, removeManifest, writeManifest, type StretchManifest,
} from './manifest';
import type { RangeAllocator, StretchAppEvent } from './types';

export interface StretchServiceOptions {
  control: BlksnapControl;
  snapshotId: string;
  /** Directory the storage files go to (ext4/xfs for the kernel allocator). */
  directory: string;
  /** The most this service allocates in total; requests beyond it are not answered. */
  limitBytes: number;
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

export interface CleanupResult {
  deleted: string[];
  /** Files left in place, and why (their snapshot may still be writing into them). */
  kept: string[];
  reason: string | null;
}

export class StretchService {
  private readonly opts: StretchServiceOptions;
  private state: StretchStatus['state'] = 'idle';
  private readonly files: StretchFile[] = [];
  private allocatedBytes = 0;
  private limitWarned = false;
  private unanswered = 0;
  private manifest: StretchManifest | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly early: SnapshotEvent[] = [];

  constructor(opts: StretchServiceOptions) {
    if (!Number.isSafeInteger(opts.limitBytes) || opts.limitBytes < 0) throw appError('EBADARG', `stretch limit ${opts.limitBytes} is not a whole number of bytes`);
    this.opts = opts;
  }

  status(): StretchStatus {
    return {
      state: this.state, files: this.files.map((f) => ({ ...f })), allocatedBytes: this.allocatedBytes,
      limitBytes: this.opts.limitBytes, limitReached: this.limitWarned, unansweredRequests: this.unanswered,
    };
  }

  private emit(level: StretchAppEvent['level'], message: string, device: string | null = null): void {
    this.opts.onAppEvent({ timeMs: Date.now(), source: 'app', level, kind: 'stretch', snapshotId: this.opts.snapshotId, device, message, module: null });
  }

  /** Checks the directory, deletes leftovers of earlier runs, writes the manifest. */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw appError('EBADARG', `the stretch service for ${this.opts.snapshotId} was already started`);
    const { directory, allocator, control, snapshotId } = this.opts;
    await allocator.checkDirectory(directory);
    const previous = await readManifest(directory);
    if (previous && previous.snapshotId !== snapshotId) {
      const result = await StretchService.cleanupLeftovers(directory, { liveSnapshotIds: await control.snapshotCollect(), root: this.opts.root });
      if (result.kept.length || result.reason) {
        throw appError('EGUARD', `${directory} holds storage of snapshot ${previous.snapshotId}: ${result.reason ?? 'still in use'}`, { directory });
      }
      if (result.deleted.length) this.emit('info', `deleted ${result.deleted.length} leftover storage file(s) of snapshot ${previous.snapshotId} in ${directory}`);
    }
    this.manifest = previous?.snapshotId === snapshotId
      ? previous
      : { version: 1, snapshotId, bootId: await currentBootId(this.opts.root), createdAtMs: Date.now(), files: [] };
    await this.adopt(previous?.snapshotId === snapshotId ? previous.files : []);
    await writeManifest(directory, this.manifest);
    this.state = 'running';
    this.emit('info', `stretching ${snapshotId} in ${directory} with ${allocator.name} storage, limit ${formatBytes(this.opts.limitBytes)}`
      + (this.files.length ? ` (resumed with ${this.files.length} file(s), ${formatBytes(this.allocatedBytes)})` : ''));
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

  private async answer(sizeBytes: number): Promise<void> {
    const { limitBytes, allocator, control, snapshotId } = this.opts;
    if (this.allocatedBytes + sizeBytes > limitBytes) {
      this.unanswered += 1;
      this.limitWarned = true;
      this.emit('warning', `limit reached: ${formatBytes(this.allocatedBytes)} of ${formatBytes(limitBytes)} allocated; the module's request for `
        + `${formatBytes(sizeBytes)} more is not answered, so the snapshot overflows once its remaining free space is used`);
      return;
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
    if (!this.limitWarned && this.allocatedBytes + sizeBytes > limitBytes) {
      this.limitWarned = true;
      this.emit('warning', `limit reached: ${formatBytes(this.allocatedBytes)} of ${formatBytes(limitBytes)} allocated; the next request `
        + `(${formatBytes(sizeBytes)}) will not be answered and the snapshot will overflow when this storage is used up`);
    }
  }

  /** Next unused diff_storage#<k>, listed in the manifest before it exists. */
  private async nextPath(): Promise<string> {
    const manifest = this.manifest as StretchManifest;
    let k = manifest.files.length;
    let path = join(this.opts.directory, `diff_storage#${k}`);
    while (manifest.files.includes(path) || (await stat(path).then(() => true, () => false))) {
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
    await removeManifest(this.opts.directory);
    this.emit('info', `deleted ${deleted.length} storage file(s) of ${this.opts.snapshotId} from ${this.opts.directory}`);
  }

  /**
   * Deletes storage files a previous run left in `directory` (after a crash) once no module can
   * still be writing into them: after a reboot. Within the same boot they are kept even when the
   * module no longer lists the snapshot: a v1 snapshot that dropped out of the list (another
   * client created a newer one) keeps copying into its storage until the module is unloaded
   * (spec §6.3), and deleting those files would corrupt the filesystem.
   */
  static async cleanupLeftovers(directory: string, options: { liveSnapshotIds?: string[]; root?: string | undefined } = {}): Promise<CleanupResult> {
    const manifest = await readManifest(directory);
    if (!manifest) return { deleted: [], kept: [], reason: null };
    // Without a boot id to compare, assume the same boot.
    const bootNow = await currentBootId(options.root);
    const sameBoot = manifest.bootId === null || bootNow === null || manifest.bootId === bootNow;
    if (sameBoot) {
      const listed = (options.liveSnapshotIds ?? []).includes(manifest.snapshotId);
      return {
        deleted: [],
        kept: manifest.files,
        reason: listed
          ? `snapshot ${manifest.snapshotId} still exists; destroy it before its storage files can go`
          : `snapshot ${manifest.snapshotId} is not listed, but the module may still write into its files until it is unloaded or the machine reboots (spec §6.3); they are deleted after a reboot, or by hand (chattr -i) once you know it is released`,
      };
    }
    const deleted = await removeFiles(directory, manifest.files);
    await removeManifest(directory);
    return { deleted, kept: [], reason: null };
  }
}
