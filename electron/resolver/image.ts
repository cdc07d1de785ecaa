// Giving the tools a file they can read. The kernel's snapshot image is a block device they
// open read-only as is; the emulator's image exists only through its read call, so it is
// copied (holes kept sparse) into a private temporary file first. A partition of a whole
// disk is cut out the same way when a tool cannot open at an offset (xfs_db).
import { closeSync, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errnoError } from '../../shared/errors';

const PIECE_BYTES = 4 * 2 ** 20;
const ZERO_CHECK_BYTES = 64 * 1024;

export interface ReadableImage {
  /** A path debugfs/xfs_db/blkid/sfdisk can open read-only. */
  path: string;
  capacityBytes: number;
  close(): void;
}

export type ReadAt = (offsetBytes: number, lengthBytes: number) => Promise<Uint8Array>;

export function scratchDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'blksnap-resolver-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Copies [0, capacity) read through `read` into `dest`, leaving all-zero pieces as holes. */
export async function copyToSparseFile(read: ReadAt, capacityBytes: number, dest: string, signal: AbortSignal, progress: (done: number) => void): Promise<void> {
  const fd = openSync(dest, 'w', 0o600);
  try {
    ftruncateSync(fd, capacityBytes);
    for (let at = 0; at < capacityBytes; at += PIECE_BYTES) {
      if (signal.aborted) throw errnoError('ECANCELED', 'copy image', 'cancelled');
      const data = await read(at, Math.min(PIECE_BYTES, capacityBytes - at));
      writeNonZero(fd, data, at);
      progress(at + data.length);
    }
  } finally {
    closeSync(fd);
  }
}

/** Cuts [start, start+length) of a readable file out into `dest` (sparse). */
export function extractRegion(source: string, start: number, length: number, dest: string): void {
  const src = openSync(source, 'r');
  const out = openSync(dest, 'w', 0o600);
  try {
    ftruncateSync(out, length);
    const buf = Buffer.alloc(PIECE_BYTES);
    for (let at = 0; at < length; at += PIECE_BYTES) {
      const n = readSync(src, buf, 0, Math.min(PIECE_BYTES, length - at), start + at);
      if (n <= 0) break;
      writeNonZero(out, buf.subarray(0, n), at);
    }
  } finally {
    closeSync(src);
    closeSync(out);
  }
}

function writeNonZero(fd: number, data: Uint8Array, at: number): void {
  for (let o = 0; o < data.length; o += ZERO_CHECK_BYTES) {
    const piece = data.subarray(o, Math.min(o + ZERO_CHECK_BYTES, data.length));
    if (!isZero(piece)) writeSync(fd, piece, 0, piece.length, at + o);
  }
}

function isZero(b: Uint8Array): boolean {
  const words = b.byteOffset % 4 === 0 && b.length % 4 === 0 ? new Uint32Array(b.buffer, b.byteOffset, b.length / 4) : null;
  if (words) {
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
    return true;
  }
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}
