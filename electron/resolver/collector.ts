// What a resolution run has found so far: the changed files with their changed pieces (device
// byte offsets), free pieces, and per-region accounting so that files + metadata + free +
// unresolved always add up to the incremental size. Pages, directory roll-ups and the owner
// of a device range are computed from here, on demand.
import type { ChangedDirectory, ChangedFile, ChangedFileOwner, ChangedFilesSort, ChangedFilesTotals } from '../../shared/changedFiles';
import { unionBytes, type ChangedSet } from './ranges';

export interface FileRecord extends ChangedFile {
  /** Changed pieces of this file, device bytes, flat [start, length, ...]. */
  pieces: number[];
}

interface RegionAccount { fileBytes: number; freeBytes: number; metadataBytes: number }

/** Pages up to this far into the order are selected from the files rather than sorted. */
const TOP_SELECTION_MAX = 5000;
const DIRECTORIES_KEPT = 1000;

export class Collector {
  readonly files = new Map<string, FileRecord>();
  filesSeen = 0;
  /** Sum of the files' changed bytes (shared pieces counted per file until a region finishes). */
  private fileBytesSum = 0;
  private readonly freePieces: number[] = [];
  private outsideBytes = 0;
  private readonly finished: RegionAccount[] = [];
  private version = 0;
  private sorted: { key: string; version: number; atMs: number; list: FileRecord[] } | null = null;
  private readonly byDir = new Map<string, ChangedDirectory>();
  private dirs: { version: number; atMs: number; list: ChangedDirectory[] } | null = null;
  private owners: { version: number; starts: Float64Array; lengths: Float64Array; index: Int32Array; records: FileRecord[] } | null = null;

  constructor(readonly changed: ChangedSet) {}

  /** A file's changed pieces (already intersected), device bytes; merged into an existing record of the same path. */
  addFile(file: Omit<ChangedFile, 'changedBytes'>, pieces: number[]): void {
    if (pieces.length === 0) return;
    let bytes = 0;
    for (let i = 1; i < pieces.length; i += 2) bytes += pieces[i]!;
    this.fileBytesSum += bytes;
    const known = this.files.get(file.path);
    this.rollUp(file.path, bytes, known || file.kind === 'directory' ? 0 : 1);
    if (known) {
      known.changedBytes += bytes;
      known.pieces.push(...pieces);
    } else {
      this.files.set(file.path, { ...file, changedBytes: bytes, pieces });
    }
    this.version++;
  }

  updateFile(path: string, update: Partial<Pick<ChangedFile, 'sizeBytes' | 'mtimeMs' | 'kind'>>): void {
    const rec = this.files.get(path);
    if (!rec) return;
    Object.assign(rec, update);
    this.version++;
  }

  addFree(start: number, length: number): void {
    this.freePieces.push(start, length);
  }

  /** Changed bytes outside every filesystem and partition: unowned. */
  addOutside(bytes: number): void {
    this.outsideBytes += bytes;
    this.version++;
  }

  /**
   * A region's scan is complete: what its files and free space do not cover is metadata, or,
   * where the source cannot tell metadata from free space, left unresolved.
   */
  finishRegion(start: number, end: number, remainderIsMetadata = true): void {
    const inRegion = (flat: number[]) => {
      const out: number[] = [];
      for (let i = 0; i < flat.length; i += 2) if (flat[i]! >= start && flat[i]! < end) out.push(flat[i]!, flat[i + 1]!);
      return out;
    };
    const filePieces: number[] = [];
    for (const f of this.files.values()) filePieces.push(...inRegion(f.pieces));
    const free = inRegion(this.freePieces);
    const changedBytes = this.changed.overlap(start, end - start);
    const fileBytes = filePieces.length ? unionBytes(filePieces) : 0;
    const all = filePieces.length + free.length ? unionBytes([...filePieces, ...free]) : 0;
    this.finished.push({ fileBytes, freeBytes: all - fileBytes, metadataBytes: remainderIsMetadata ? Math.max(0, changedBytes - all) : 0 });
    this.version++;
  }

  totals(): ChangedFilesTotals {
    const incrementalBytes = this.changed.totalBytes;
    let fileBytes = 0;
    let freeBytes = this.outsideBytes;
    let metadataBytes = 0;
    for (const r of this.finished) {
      fileBytes += r.fileBytes;
      freeBytes += r.freeBytes;
      metadataBytes += r.metadataBytes;
    }
    if (this.finished.length === 0) fileBytes = this.fileBytesSum;
    fileBytes = Math.min(fileBytes, incrementalBytes - freeBytes - metadataBytes);
    const unresolvedBytes = Math.max(0, incrementalBytes - fileBytes - freeBytes - metadataBytes);
    return { incrementalBytes, fileBytes, metadataBytes, freeBytes, unresolvedBytes };
  }

  get fileCount(): number {
    return this.files.size;
  }

  /**
   * One page of the files in the order asked for. `maxStaleMs`: while a run goes on, an order
   * computed that recently is served again rather than recomputed for every poll.
   */
  page(offset: number, limit: number, sort: ChangedFilesSort, descending: boolean, maxStaleMs = 0): ChangedFile[] {
    const key = `${sort}:${descending}`;
    const want = offset + limit;
    const cached = this.sorted;
    const fresh = cached && cached.key === key && cached.list.length >= Math.min(want, this.files.size)
      && (cached.version === this.version || Date.now() - cached.atMs < maxStaleMs);
    if (!fresh) {
      const compare = comparator(sort, descending);
      // The usual question (the biggest first, one screenful) needs a selection, not a sort.
      const list = want <= TOP_SELECTION_MAX ? selectTop(this.files.values(), want, compare) : [...this.files.values()].sort(compare);
      this.sorted = { key, version: this.version, atMs: Date.now(), list };
    }
    return this.sorted!.list.slice(offset, want).map(({ pieces: _pieces, ...file }) => file);
  }

  /** Directories by changed bytes of everything below them (filesystem roots left out: they hold everything). */
  directories(limit: number, maxStaleMs = 0): ChangedDirectory[] {
    if (!this.dirs || (this.dirs.version !== this.version && Date.now() - this.dirs.atMs >= maxStaleMs)) {
      const list = selectTop(this.byDir.values(), DIRECTORIES_KEPT, (a, b) => b.changedBytes - a.changedBytes || compareText(a.path, b.path));
      this.dirs = { version: this.version, atMs: Date.now(), list: list.map((d) => ({ ...d })) };
    }
    return this.dirs.list.slice(0, limit);
  }

  /** Adds a file's bytes to every directory above it, as it arrives (polls then only select). */
  private rollUp(path: string, bytes: number, files: number): void {
    const root = path.indexOf(':/') + 2 || 1;
    for (let cut = path.lastIndexOf('/'); cut >= root; cut = path.lastIndexOf('/', cut - 1)) {
      const dir = path.slice(0, cut);
      let d = this.byDir.get(dir);
      if (!d) this.byDir.set(dir, (d = { path: dir, changedBytes: 0, files: 0 }));
      d.changedBytes += bytes;
      d.files += files;
    }
  }

  /** The changed pieces of one file, device bytes. */
  piecesOf(path: string): number[] | null {
    return this.files.get(path)?.pieces ?? null;
  }

  /** Who owns the changed bytes of [start, start+length). */
  ownerOf(start: number, length: number): ChangedFileOwner {
    const idx = this.ownerIndex();
    const byFile = new Map<FileRecord, number>();
    const end = start + length;
    // Pieces are short next to a CBT block, so scanning back a bounded way from the first candidate is enough.
    let lo = 0;
    let hi = idx.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (idx.starts[mid]! < end) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0 && i >= lo - 4096; i--) {
      const s = Math.max(idx.starts[i]!, start);
      const e = Math.min(idx.starts[i]! + idx.lengths[i]!, end);
      if (e > s) {
        const rec = idx.records[idx.index[i]!]!;
        byFile.set(rec, (byFile.get(rec) ?? 0) + e - s);
      }
    }
    let freeBytes = 0;
    for (let i = 0; i < this.freePieces.length; i += 2) {
      const s = Math.max(this.freePieces[i]!, start);
      const e = Math.min(this.freePieces[i]! + this.freePieces[i + 1]!, end);
      if (e > s) freeBytes += e - s;
    }
    const files = [...byFile.entries()].map(([r, bytes]) => ({ path: r.path, bytes })).sort((a, b) => b.bytes - a.bytes);
    const changed = this.changed.overlap(start, length);
    const owned = files.reduce((n, f) => n + f.bytes, 0) + freeBytes;
    return { files: files.slice(0, 20), metadataBytes: Math.max(0, changed - owned), freeBytes };
  }

  private ownerIndex() {
    if (this.owners && this.owners.version === this.version) return this.owners;
    const records = [...this.files.values()];
    const entries: [number, number, number][] = [];
    records.forEach((r, i) => {
      for (let k = 0; k < r.pieces.length; k += 2) entries.push([r.pieces[k]!, r.pieces[k + 1]!, i]);
    });
    entries.sort((a, b) => a[0] - b[0]);
    this.owners = {
      version: this.version,
      starts: Float64Array.from(entries, (e) => e[0]),
      lengths: Float64Array.from(entries, (e) => e[1]),
      index: Int32Array.from(entries, (e) => e[2]),
      records,
    };
    return this.owners;
  }
}

/** Code-unit order: stable, and far cheaper than localeCompare over a million paths. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparator(sort: ChangedFilesSort, descending: boolean): (a: ChangedFile, b: ChangedFile) => number {
  const sign = descending ? -1 : 1;
  return (a, b) => {
    const x = a[sort];
    const y = b[sort];
    const c = typeof x === 'string' || typeof y === 'string' ? compareText(String(x), String(y)) : (x ?? -Infinity) - (y ?? -Infinity);
    return c !== 0 ? sign * c : compareText(a.path, b.path);
  };
}

/** The first `k` items in `compare` order, in that order, without sorting them all. */
export function selectTop<T>(items: Iterable<T>, k: number, compare: (a: T, b: T) => number): T[] {
  const top: T[] = [];
  if (k <= 0) return top;
  for (const item of items) {
    if (top.length === k && compare(item, top[k - 1]!) >= 0) continue;
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(top[mid]!, item) <= 0) lo = mid + 1;
      else hi = mid;
    }
    top.splice(lo, 0, item);
    if (top.length > k) top.pop();
  }
  return top;
}
