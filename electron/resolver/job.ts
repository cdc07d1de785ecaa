// One resolution run: changed ranges since N → the device's layout → per filesystem the
// scanner of its kind (debugfs, xfs_db or the FIEMAP walk) → the collector. It records its
// progress and can be cancelled; the resolver (resolver.ts) serves its pages meanwhile.
import { randomUUID } from 'node:crypto';
import type { ChangedFilesSource, ChangedFilesState } from '../../shared/changedFiles';
import { changedRanges } from '../../shared/cbt';
import { toErrorInfo } from '../../shared/errors';
import type { CbtInfo } from '../../shared/schemas';
import { Collector } from './collector';
import { scanExt } from './ext';
import { extractRegion, scratchDir } from './image';
import { readLayout, type Region } from './layout';
import { scanMounted, type WalkLimits } from './mounted';
import { ChangedSet } from './ranges';
import type { FsSink, ScanResult } from './sink';
import { scanXfs } from './xfs';

export interface ImageSource { label: string; path: string; capacityBytes: number }
/** A taken image that cannot be read, and why (its area is corrupted: every read fails with EIO). */
export interface UnreadableImage { unreadable: string }

/** What the resolver needs from the rest of the main process (host.ts builds it from a control backend). */
export interface ResolverHost {
  cbtInfo(device: string): Promise<CbtInfo>;
  readMap(device: string, info: CbtInfo): Promise<Uint8Array>;
  /** The device's taken snapshot image as a path the tools can read (copied into `scratch` if need be); null when none; why not when it cannot be read. */
  image(device: string, scratch: string, signal: AbortSignal, progress: (done: number, total: number) => void): Promise<ImageSource | UnreadableImage | null>;
  /** Where the filesystem on the device itself is mounted; null when it is not. */
  mountPoint(device: string): Promise<string | null>;
}

export type SourceChoice = 'auto' | 'image' | 'mounted';

const EXT_TYPES = new Set(['ext2', 'ext3', 'ext4', 'ext4dev']);
const UNSUPPORTED: Record<string, string> = {
  btrfs: 'btrfs is not supported: FIEMAP gives btrfs logical addresses, not device offsets, and Debian has no read-only block-to-file tool for it, so an answer would be wrong',
  swap: 'swap space: no files',
  crypto_LUKS: 'LUKS-encrypted: the filesystem is inside the encrypted container',
  LVM2_member: 'an LVM physical volume: the filesystems are inside its logical volumes',
};

export class ResolveJob {
  readonly id = randomUUID();
  readonly startedAtMs = Date.now();
  state: ChangedFilesState = 'running';
  reason: string | null = null;
  readonly notes: string[] = [];
  source: ChangedFilesSource | null = null;
  progress = { phase: 'reading the CBT map', done: 0, total: null as number | null, filesSeen: 0 };
  endedAtMs: number | null = null;
  /** How many starts this job answered (more than one: from the cache). */
  starts = 1;
  collector: Collector = new Collector(new ChangedSet([], []));
  private readonly abort = new AbortController();
  readonly done: Promise<void>;

  constructor(
    readonly device: string,
    readonly sinceChangeNumber: number,
    readonly info: CbtInfo,
    host: ResolverHost,
    choice: SourceChoice,
    limits: WalkLimits,
  ) {
    this.done = this.run(host, choice, limits).catch((err: unknown) => {
      if (this.abort.signal.aborted) {
        this.state = 'cancelled';
        this.reason = 'cancelled';
      } else {
        this.state = 'failed';
        this.reason = toErrorInfo(err).message;
      }
    }).finally(() => {
      this.endedAtMs = Date.now();
    });
  }

  cancel(): void {
    if (this.state === 'running') this.abort.abort();
  }

  get elapsedMs(): number {
    return (this.endedAtMs ?? Date.now()) - this.startedAtMs;
  }

  private async run(host: ResolverHost, choice: SourceChoice, limits: WalkLimits): Promise<void> {
    const map = await host.readMap(this.device, this.info);
    const ranges = changedRanges(map, this.info.blockSizeBytes, this.sinceChangeNumber, this.info.deviceCapacityBytes);
    this.collector = new Collector(ChangedSet.fromSectorRanges(ranges));
    if (this.collector.changed.totalBytes === 0) return this.finish('done', null);
    const scratch = scratchDir();
    let noImage = '';
    try {
      if (choice !== 'mounted') {
        this.progress = { ...this.progress, phase: 'opening the snapshot image' };
        const image = await host.image(this.device, scratch.dir, this.abort.signal, (done, total) => {
          this.progress = { ...this.progress, phase: 'copying the emulated snapshot image', done, total };
        });
        if (image && !('unreadable' in image)) return await this.resolveImage(image, scratch.dir);
        noImage = image?.unreadable ?? `${this.device} has no taken snapshot image`;
        if (choice === 'image') return this.finish('unresolvable', `cannot resolve: ${noImage}`);
      }
      const mount = await host.mountPoint(this.device);
      if (mount) return await this.resolveMounted(mount, limits);
      return this.finish('unresolvable', choice === 'mounted'
        ? `cannot resolve: the filesystem of ${this.device} is not mounted`
        : `cannot resolve: ${noImage} and its filesystem is not mounted`);
    } finally {
      scratch.remove();
    }
  }

  private async resolveImage(image: ImageSource, scratch: string): Promise<void> {
    this.source = { kind: 'image', label: `snapshot image ${image.label}`, consistent: true, readAtMs: Date.now() };
    this.progress = { ...this.progress, phase: 'reading the partition table and filesystems (sfdisk, blkid)', done: 0, total: null };
    const layout = await readLayout(image.path, image.capacityBytes, this.abort.signal);
    if (layout.partitionTable) this.notes.push(`${layout.partitionTable} partition table with ${layout.regions.length} partitions`);
    const tools = new Set<string>();
    let covered = 0;
    for (const region of layout.regions) {
      covered += this.collector.changed.overlap(region.startBytes, region.lengthBytes);
      const tool = await this.resolveRegion(region, image.path, scratch);
      if (tool) tools.add(tool);
    }
    this.collector.addOutside(this.collector.changed.totalBytes - covered);
    if (tools.size) this.source = { ...this.source, label: `${this.source.label} (${[...tools].join(', ')})` };
    this.finish('done', null);
  }

  private async resolveRegion(region: Region, file: string, scratch: string): Promise<string | null> {
    const changed = this.collector.changed.window(region.startBytes, region.startBytes + region.lengthBytes);
    const name = region.label ? `partition ${region.label}` : this.device;
    if (changed.totalBytes === 0) return null;
    let scan: (sink: FsSink) => Promise<ScanResult>;
    if (region.fsType && EXT_TYPES.has(region.fsType)) {
      const source = region.startBytes > 0 ? `${file}?offset=${region.startBytes}` : file;
      scan = (sink) => scanExt(source, sink);
    } else if (region.fsType === 'xfs') {
      let source = file;
      if (region.startBytes > 0) {
        source = `${scratch}/${region.label}.img`;
        extractRegion(file, region.startBytes, region.lengthBytes, source);
      }
      scan = (sink) => scanXfs(source, sink);
    } else {
      const why = region.fsType ? UNSUPPORTED[region.fsType] ?? `${region.fsType} is not supported (ext2/3/4 and xfs are)` : 'no filesystem recognised (blkid)';
      this.notes.push(`${name}: cannot resolve: ${why}`);
      return null;
    }
    const sink = this.sink(region, changed);
    const result = await scan(sink);
    if (result.fsBytes < region.lengthBytes) sink.free(result.fsBytes, region.lengthBytes - result.fsBytes);
    this.collector.finishRegion(region.startBytes, region.startBytes + region.lengthBytes);
    return result.tool;
  }

  private async resolveMounted(mountPoint: string, limits: WalkLimits): Promise<void> {
    this.source = { kind: 'mounted', label: `mounted at ${mountPoint} (FIEMAP; live, may race with writes)`, consistent: false, readAtMs: Date.now() };
    const region: Region = { label: '', startBytes: 0, lengthBytes: this.info.deviceCapacityBytes, fsType: null };
    const sink = this.sink(region, this.collector.changed);
    const walk = await scanMounted(mountPoint, sink, limits);
    if (this.abort.signal.aborted) throw new Error('cancelled');
    this.notes.push('the mounted source cannot tell metadata from free space: changed bytes no file owns are left unresolved');
    this.collector.finishRegion(0, region.lengthBytes, false);
    if (walk.stoppedBecause) this.notes.push(`the walk ${walk.stoppedBecause}: files not reached are unresolved`);
    this.finish('done', null);
  }

  private sink(region: Region, changed: ChangedSet): FsSink {
    const prefix = region.label ? `${region.label}:` : '';
    const base = region.startBytes;
    const collector = this.collector;
    return {
      changed,
      signal: this.abort.signal,
      file: (path, kind, sizeBytes, mtimeMs, extents) => {
        collector.filesSeen++;
        this.progress.filesSeen = collector.filesSeen;
        let pieces: number[] | null = null;
        let bytes = 0;
        for (let i = 0; i < extents.length; i += 2) {
          bytes += changed.overlap(extents[i]!, extents[i + 1]!, (s, len) => (pieces ??= []).push(base + s, len));
        }
        if (pieces) collector.addFile({ path: prefix + path, kind, sizeBytes, mtimeMs }, pieces);
        return bytes;
      },
      update: (path, update) => collector.updateFile(prefix + path, update),
      free: (start, length) => changed.overlap(start, length, (s, len) => collector.addFree(base + s, len)),
      progress: (phase, done, total) => {
        this.progress = { phase: region.label ? `${region.label}: ${phase}` : phase, done, total, filesSeen: collector.filesSeen };
      },
      note: (text) => this.notes.push(region.label ? `${region.label}: ${text}` : text),
    };
  }

  private finish(state: ChangedFilesState, reason: string | null): void {
    this.state = state;
    this.reason = reason;
    this.progress = { ...this.progress, phase: state };
  }
}
