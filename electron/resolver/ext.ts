// ext2/3/4 through e2fsprogs, read-only: dumpe2fs for the geometry and free blocks, one
// `debugfs -c -R "filefrag -vr /"` for every file's extents, then debugfs `stat` for the
// mtime of the files that hold changed bytes. Never a parser of the on-disk format.
import type { FsSink, ScanResult } from './sink';
import { runTool } from './tools';

/** mtimes are read for at most this many changed files, those with the most changed bytes (debugfs stat costs ~0.2 ms each). */
const MTIME_LIMIT = 2_000;

interface Geometry { blockSize: number; blockCount: number; usedInodes: number | null }

/** `source` is a file or device debugfs can open, possibly "file?offset=N". */
export async function scanExt(source: string, sink: FsSink): Promise<ScanResult> {
  const geo = await readGeometryAndFree(source, sink);
  const hits = await walkFiles(source, geo, sink);
  await readMtimes(source, hits, sink);
  return { fsBytes: geo.blockCount * geo.blockSize, tool: 'debugfs' };
}

async function readGeometryAndFree(source: string, sink: FsSink): Promise<Geometry> {
  let blockSize = 0;
  let blockCount = 0;
  let inodes: number | null = null;
  let freeInodes: number | null = null;
  const pending: string[] = [];
  sink.progress('reading free blocks (dumpe2fs)', 0, null);
  await runTool('dumpe2fs', {
    args: [source], signal: sink.signal,
    onLine: (line) => {
      if (line.startsWith('Block size:')) blockSize = Number(line.slice(11).trim());
      else if (line.startsWith('Block count:')) blockCount = Number(line.slice(12).trim());
      else if (line.startsWith('Inode count:')) inodes = Number(line.slice(12).trim());
      else if (line.startsWith('Free inodes:')) freeInodes = Number(line.slice(12).trim());
      else if (/^\s+Free blocks: /.test(line)) pending.push(line.slice(line.indexOf(':') + 1));
    },
  });
  if (!(blockSize > 0) || !(blockCount > 0)) throw new Error(`dumpe2fs ${source} gave no block size or count`);
  for (const list of pending) {
    for (const item of list.split(',')) {
      const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(item);
      if (!m) continue;
      const first = Number(m[1]);
      const last = m[2] === undefined ? first : Number(m[2]);
      sink.free(first * blockSize, (last - first + 1) * blockSize);
    }
  }
  return { blockSize, blockCount, usedInodes: inodes !== null && freeInodes !== null ? inodes - freeInodes : null };
}

const SIZE_MARK = ', i_size is ';
const FILE_TAIL = ' contiguous extents';
const DIR_TAIL = ' contiguous extents (dir)';

interface Hit { path: string; name: string; bytes: number }

async function walkFiles(source: string, geo: Geometry, sink: FsSink): Promise<Hit[]> {
  const hits: Hit[] = [];
  const seenFirstBlocks = new Set<number>();
  let name: string | null = null;
  let size = 0;
  let extents: number[] = [];
  let seen = 0;
  const phase = 'mapping files (debugfs filefrag)';
  sink.progress(phase, 0, geo.usedInodes);
  await runTool('debugfs', {
    args: ['-c', '-R', 'filefrag -vr /', source], signal: sink.signal,
    onLine: (line) => {
      // Cheap tests first: a million files make five million lines.
      const first = line.charCodeAt(0);
      if (name !== null && first === 32) {
        const ext = extentOf(line);
        if (ext) extents.push(ext[0] * geo.blockSize, ext[1] * geo.blockSize);
        return;
      }
      const isDir = line.endsWith(DIR_TAIL);
      if (name !== null && (isDir || line.endsWith(FILE_TAIL)) && line.startsWith(name) && line.charCodeAt(name.length) === 58) {
        seen++;
        // A second name of a hard-linked file has the same first block: count its bytes once.
        const firstBlock = extents[0];
        const duplicate = firstBlock !== undefined && seenFirstBlocks.has(firstBlock);
        if (firstBlock !== undefined) seenFirstBlocks.add(firstBlock);
        if (!duplicate) {
          const path = normalise(name);
          const bytes = sink.file(path, isDir ? 'directory' : 'file', size, null, extents);
          if (bytes > 0) hits.push({ path, name, bytes });
        }
        name = null;
        if ((seen & 0x3fff) === 0) sink.progress(phase, seen, geo.usedInodes);
        return;
      }
      // "<name> has <n> block(s), i_size is <size>"
      const sizeAt = line.lastIndexOf(SIZE_MARK);
      const hasAt = sizeAt > 0 ? line.lastIndexOf(' has ', sizeAt) : -1;
      if (hasAt > 0 && line.startsWith(' block(s)', line.indexOf(' ', hasAt + 5))) {
        name = line.slice(0, hasAt);
        size = Number(line.slice(sizeAt + SIZE_MARK.length));
        extents = [];
      }
    },
  });
  sink.progress(phase, seen, geo.usedInodes);
  return hits;
}

/** "   0   logical   physical  [expected]  length" → [physical, length]; null for the column header. */
function extentOf(line: string): [number, number] | null {
  const f: number[] = [];
  let i = 0;
  while (i < line.length && f.length < 6) {
    while (line.charCodeAt(i) === 32) i++;
    if (i >= line.length) break;
    let value = 0;
    const start = i;
    for (let c = line.charCodeAt(i); c >= 48 && c <= 57; c = line.charCodeAt(++i)) value = value * 10 + (c - 48);
    if (i === start || (i < line.length && line.charCodeAt(i) !== 32)) return null;
    f.push(value);
  }
  if (f.length < 4 || f.length > 5) return null;
  return [f[2]!, f[f.length - 1]!];
}

/** filefrag names children of "/" as "//name". */
function normalise(name: string): string {
  let i = 0;
  while (name.charCodeAt(i) === 47) i++;
  return `/${name.slice(i)}`;
}

async function readMtimes(source: string, hits: Hit[], sink: FsSink): Promise<void> {
  const wanted = hits.filter((h) => !/["\n\\]/.test(h.name)).sort((a, b) => b.bytes - a.bytes).slice(0, MTIME_LIMIT);
  if (wanted.length < hits.length) sink.note(`modification times read for the ${wanted.length} of ${hits.length} changed files with the most changed bytes`);
  if (wanted.length === 0) return;
  const byName = new Map(wanted.map((h) => [normalise(h.name), h.path]));
  let current: string | null = null;
  let done = 0;
  const phase = 'reading modification times (debugfs stat)';
  await runTool('debugfs', {
    args: ['-c', '-f', '-', source], signal: sink.signal,
    stdin: (function* () {
      for (const h of wanted) yield `stat "${normalise(h.name)}"\n`;
    })(),
    onLine: (line) => {
      const cmd = /^debugfs: stat "(.*)"$/.exec(line);
      if (cmd) {
        current = byName.get(cmd[1]!) ?? null;
        if ((++done & 0x3ff) === 0) sink.progress(phase, done, wanted.length);
        return;
      }
      const m = /^\s*mtime: 0x([0-9a-f]+)(?::([0-9a-f]+))?/.exec(line);
      if (m && current) {
        // The extra field's upper 30 bits are nanoseconds, the low 2 extend the epoch.
        const extra = m[2] ? parseInt(m[2], 16) : 0;
        const seconds = parseInt(m[1]!, 16) | 0;
        const epochBits = extra & 3;
        const ns = extra >>> 2;
        sink.update(current, { mtimeMs: (seconds + epochBits * 2 ** 32) * 1000 + Math.floor(ns / 1e6) });
        current = null;
      }
    },
  });
}
