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

export class Collector {
  readonly files = new Map<string, FileRecord>();
  filesSeen = 0;
  private readonly freePieces: number[] = [];
  private outsideBytes = 0;
  private readonly finished: RegionAccount[] = [];
  private version = 0;
  private sorted: { key: string; version: number; list: FileRecord[] } | null = null;
  private dirs: { version: number; list: ChangedDirectory[] } | null = null;
  private owners: { version: number; starts: Float64Array; lengths: Float64Array; index: Int32Array; records: FileRecord[] } | null = null;

  constructor(readonly changed: ChangedSet) {}

  /** A file's changed pieces (already intersected), device bytes; merged into an existing record of the same path. */
  addFile(file: Omit<ChangedFile, 'changedBytes'>, pieces: number[]): void {
    if (pieces.length === 0) return;
    let bytes = 0;
    for (let i = 1; i < pieces.length; i += 2) bytes += pieces[i]!;
    const known = this.files.get(file.path);
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
    if (this.finished.length === 0) for (const f of this.files.values()) fileBytes += f.changedBytes;
    fileBytes = Math.min(fileBytes, incrementalBytes - freeBytes - metadataBytes);
    const unresolvedBytes = Math.max(0, incrementalBytes - fileBytes - freeBytes - metadataBytes);
    return { incrementalBytes, fileBytes, metadataBytes, freeBytes, unresolvedBytes };
  }

  get fileCount(): number {
    return this.files.size;
  }

  page(offset: number, limit: number, sort: ChangedFilesSort, descending: boolean): ChangedFile[] {
    const key = `${sort}:${descending}`;
    if (!this.sorted || this.sorted.key !== key || this.sorted.version !== this.version) {
      const list = [...this.files.values()];
      const sign = descending ? -1 : 1;
      list.sort((a, b) => {
        const x = a[sort];
        const y = b[sort];
        const c = typeof x === 'string' || typeof y === 'string' ? String(x).localeCompare(String(y)) : (x ?? -Infinity) - (y ?? -Infinity);
        return c !== 0 ? sign * c : a.path.localeCompare(b.path);
      });
      this.sorted = { key, version: this.version, list };
    }
    return this.sorted.list.slice(offset, offset + limit).map(({ pieces: _pieces, ...file }) => file);
  }

  /** Directories by changed bytes of everything below them (filesystem roots left out: they hold everything). */
  directories(limit: number): ChangedDirectory[] {
    if (!this.dirs || this.dirs.version !== this.version) {
      const byDir = new Map<string, ChangedDirectory>();
      for (const f of this.files.values()) {
        for (const dir of ancestors(f.path)) {
          const d = byDir.get(dir) ?? { path: dir, changedBytes: 0, files: 0 };
          d.changedBytes += f.changedBytes;
          if (f.kind !== 'directory') d.files++;
          byDir.set(dir, d);
        }
      }
      const list = [...byDir.values()].sort((a, b) => b.changedBytes - a.changedBytes || a.path.localeCompare(b.path));
      this.dirs = { version: this.version, list };
    }
    return this.dirs.list.slice(0, limit);
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

/** "/a/b/c" → ["/a", "/a/b"]; "p1:/a/b" → ["p1:/a"]. */
export function ancestors(path: string): string[] {
  const colon = path.indexOf(':/');
  const prefix = colon >= 0 ? path.slice(0, colon + 1) : '';
  const parts = path.slice(prefix.length).split('/').filter(Boolean);
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(`${prefix}/${parts.slice(0, i).join('/')}`);
  return out;
}
