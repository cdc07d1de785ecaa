// The copy-on-write journal of a taken snapshot: one 32-byte record per copied chunk
// {magic, area index, chunk index, storage sector, checksum}. A record is appended only after
// the chunk's copy is in the storage and before the original is overwritten, so after a crash
// every record points at a complete copy. A torn or garbage tail is cut off on reopen.
import * as fs from 'node:fs';

const MAGIC = 0xc0e5b10c;
export const RECORD_BYTES = 32;

export interface CowRecord { area: number; chunk: number; storageSector: number }

function checksum(area: number, chunk: number, sector: number): number {
  return (Math.imul(area + 1, 0x9e3779b1) ^ Math.imul(chunk % 0x7fffffff, 0x85ebca6b) ^ Math.imul(sector % 0x7fffffff, 0xc2b2ae35)
    ^ Math.floor(chunk / 0x7fffffff) ^ Math.floor(sector / 0x7fffffff)) >>> 0;
}

export class CowLog {
  private constructor(private readonly fd: number, private endBytes: number) {}

  static create(path: string): CowLog {
    return new CowLog(fs.openSync(path, 'w+'), 0);
  }

  /** Reads every valid record, truncating a torn tail. */
  static open(path: string): { log: CowLog; records: CowRecord[]; cutBytes: number } {
    const fd = fs.openSync(path, fs.existsSync(path) ? 'r+' : 'w+');
    const bytes = fs.readFileSync(path);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const records: CowRecord[] = [];
    let at = 0;
    for (; at + RECORD_BYTES <= bytes.length; at += RECORD_BYTES) {
      if (view.getUint32(at, true) !== MAGIC) break;
      const area = view.getUint32(at + 4, true);
      const chunk = view.getFloat64(at + 8, true);
      const storageSector = view.getFloat64(at + 16, true);
      if (view.getUint32(at + 24, true) !== checksum(area, chunk, storageSector)) break;
      records.push({ area, chunk, storageSector });
    }
    const cutBytes = bytes.length - at;
    if (cutBytes > 0) fs.ftruncateSync(fd, at);
    return { log: new CowLog(fd, at), records, cutBytes };
  }

  /** Appends records with one write. */
  append(records: CowRecord[]): void {
    if (records.length === 0) return;
    const buf = Buffer.alloc(records.length * RECORD_BYTES);
    records.forEach((r, i) => {
      const at = i * RECORD_BYTES;
      buf.writeUInt32LE(MAGIC, at);
      buf.writeUInt32LE(r.area, at + 4);
      buf.writeDoubleLE(r.chunk, at + 8);
      buf.writeDoubleLE(r.storageSector, at + 16);
      buf.writeUInt32LE(checksum(r.area, r.chunk, r.storageSector), at + 24);
    });
    let done = 0;
    while (done < buf.length) done += fs.writeSync(this.fd, buf, done, buf.length - done, this.endBytes + done);
    this.endBytes += buf.length;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
