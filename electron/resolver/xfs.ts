// XFS through xfs_db, read-only (-r): the superblock's geometry, `freesp -d` for free extents,
// `blockget -n` + `ncheck` for every inode's names, then per inode `bmap` (data fork extents),
// size, mode and mtime, fed on stdin in one run. Never a parser of the on-disk format.
import type { ChangedFile } from '../../shared/changedFiles';
import type { FsSink, ScanResult } from './sink';
import { runTool } from './tools';

interface Geometry { blockSize: number; agBlocks: number; dataBlocks: number }

export async function scanXfs(source: string, sink: FsSink): Promise<ScanResult> {
  const geo = await readGeometry(source, sink);
  await readFree(source, geo, sink);
  let names: Map<number, string>;
  try {
    names = await readNames(source, sink);
  } catch (err) {
    // blockget refuses a filesystem whose log needs replaying (an image taken without a freeze):
    // walk the directories instead, which shows the files as the checkpointed metadata has them.
    if (!/log|blockget/i.test(String((err as Error).message))) throw err;
    sink.note('the xfs log was not clean (names read by walking directories with xfs_db ls; changes only in the log are not seen)');
    names = await walkNames(source, sink);
  }
  await mapInodes(source, geo, names, sink);
  return { fsBytes: geo.dataBlocks * geo.blockSize, tool: 'xfs_db' };
}

async function readGeometry(source: string, sink: FsSink): Promise<Geometry> {
  const v = new Map<string, number>();
  await runTool('xfs_db', {
    args: ['-r', '-c', 'sb 0', '-c', 'p blocksize agblocks dblocks rootino', source], signal: sink.signal,
    onLine: (line) => {
      const m = /^(\w+) = (\d+)$/.exec(line.trim());
      if (m) v.set(m[1]!, Number(m[2]));
    },
  });
  const blockSize = v.get('blocksize') ?? 0;
  const agBlocks = v.get('agblocks') ?? 0;
  const dataBlocks = v.get('dblocks') ?? 0;
  if (!(blockSize > 0 && agBlocks > 0 && dataBlocks > 0)) throw new Error(`xfs_db ${source} gave no geometry`);
  return { blockSize, agBlocks, dataBlocks };
}

async function readFree(source: string, geo: Geometry, sink: FsSink): Promise<void> {
  sink.progress('reading free space (xfs_db freesp)', 0, null);
  await runTool('xfs_db', {
    args: ['-r', '-c', 'freesp -d', source], signal: sink.signal,
    onLine: (line) => {
      const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
      if (m) sink.free((Number(m[1]) * geo.agBlocks + Number(m[2])) * geo.blockSize, Number(m[3]) * geo.blockSize);
    },
  });
}

/** inode → its first name ("/dir/file"); the root directory is "/". */
async function readNames(source: string, sink: FsSink): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  sink.progress('reading names (xfs_db blockget -n, ncheck)', 0, null);
  await runTool('xfs_db', {
    args: ['-r', '-c', 'sb 0', '-c', 'p rootino', '-c', 'blockget -n', '-c', 'ncheck', source], signal: sink.signal,
    onLine: (line) => {
      const root = /^rootino = (\d+)$/.exec(line);
      if (root) {
        names.set(Number(root[1]), '/');
        return;
      }
      const m = /^\s*(\d+) (.+)$/.exec(line);
      if (!m) return;
      const ino = Number(m[1]);
      if (names.has(ino)) return;
      names.set(ino, `/${m[2]!.replace(/\/\.$/, '')}`);
    },
  });
  return names;
}

const LS_RE = /^\d+\s+(\d+)\s+(\w+)\s+0x[0-9a-f]+\s+(\d+) /;

/**
 * Breadth-first `path DIR` + `ls` over every directory, one xfs_db run per level; each listing
 * starts with its "." entry, in the order the directories were asked for. Directories whose
 * path xfs_db cannot take as one argument (spaces) are left out, and said so.
 */
async function walkNames(source: string, sink: FsSink): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  let level: string[] = ['/'];
  let skipped = 0;
  while (level.length > 0) {
    const asked = level.filter((d) => !/\s/.test(d));
    skipped += level.length - asked.length;
    const next: string[] = [];
    let index = -1;
    await runTool('xfs_db', {
      args: ['-r', source], signal: sink.signal,
      stdin: (function* () {
        for (const d of asked) yield `path ${d}\nls\n`;
      })(),
      onLine: (line) => {
        const m = LS_RE.exec(line);
        if (!m) return;
        const ino = Number(m[1]);
        const name = line.slice(m[0].length, m[0].length + Number(m[3]));
        if (name === '.') {
          index++;
          if (asked[index] === '/') names.set(ino, '/');
          return;
        }
        const dir = asked[index];
        if (name === '..' || dir === undefined || names.has(ino)) return;
        const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
        names.set(ino, path);
        if (m[2] === 'directory') next.push(path);
      },
    });
    level = next;
  }
  if (skipped > 0) sink.note(`${skipped} directories with spaces in their path were not walked`);
  return names;
}

async function mapInodes(source: string, geo: Geometry, names: Map<number, string>, sink: FsSink): Promise<void> {
  const inodes = [...names.keys()];
  const phase = 'mapping files (xfs_db bmap)';
  let index = -1;
  let size: number | null = null;
  let mode = 0;
  let mtimeMs: number | null = null;
  let extents: number[] = [];
  const flush = () => {
    if (index < 0) return;
    const path = names.get(inodes[index]!)!;
    sink.file(path, kindOf(mode), size, mtimeMs, extents);
    if ((index & 0x3fff) === 0) sink.progress(phase, index, inodes.length);
  };
  sink.progress(phase, 0, inodes.length);
  await runTool('xfs_db', {
    args: ['-r', source], signal: sink.signal,
    stdin: (function* () {
      for (const ino of inodes) yield `inode ${ino}\np core.size core.mode core.mtime.sec\nbmap\n`;
    })(),
    onLine: (line) => {
      if (line.startsWith('core.size = ')) {
        flush();
        index++;
        size = Number(line.slice(12));
        mode = 0;
        mtimeMs = null;
        extents = [];
      } else if (line.startsWith('core.mode = ')) {
        mode = parseInt(line.slice(12), 8);
      } else if (line.startsWith('core.mtime.sec = ')) {
        const t = Date.parse(`${line.slice(17).replace(/\s+/g, ' ')} UTC`);
        mtimeMs = Number.isNaN(t) ? null : t;
      } else {
        const m = /^data offset \d+ startblock \d+ \((\d+)\/(\d+)\) count (\d+)/.exec(line);
        if (m) extents.push((Number(m[1]) * geo.agBlocks + Number(m[2])) * geo.blockSize, Number(m[3]) * geo.blockSize);
      }
    },
  });
  flush();
  sink.progress(phase, inodes.length, inodes.length);
}

function kindOf(mode: number): ChangedFile['kind'] {
  const type = mode & 0o170000;
  if (type === 0o040000) return 'directory';
  if (type === 0o100000) return 'file';
  return 'other';
}
