// The stretch directory's manifest: which snapshot its storage files belong to, written before
// each file is created, so files left by a crash are found and deleted at the next start, but
// never while the module may still write into their sectors.
import { readFile, rm, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeStateFile } from '../../app/stateFiles';
import { clearImmutable } from './fiemap';

export const MANIFEST_NAME = '.blksnap-stretch.json';
const FILE_NAME = /^diff_storage#\d+$/;

export interface StretchManifest {
  version: 1;
  snapshotId: string;
  /** /proc/sys/kernel/random/boot_id when written: after a reboot no module holds the files. */
  bootId: string | null;
  createdAtMs: number;
  /** Storage files (absolute paths), each listed before it is created. */
  files: string[];
}

export function manifestPath(directory: string): string {
  return join(directory, MANIFEST_NAME);
}

export async function readManifest(directory: string): Promise<StretchManifest | null> {
  try {
    const data = JSON.parse(await readFile(manifestPath(directory), 'utf8')) as Partial<StretchManifest>;
    if (data.version !== 1 || typeof data.snapshotId !== 'string' || !Array.isArray(data.files)) return null;
    return { version: 1, snapshotId: data.snapshotId, bootId: data.bootId ?? null, createdAtMs: Number(data.createdAtMs ?? 0), files: data.files.filter((f) => typeof f === 'string') };
  } catch {
    return null;
  }
}

/** Written to a temporary name and renamed: a crash leaves the old or the new manifest. */
export async function writeManifest(directory: string, manifest: StretchManifest): Promise<void> {
  await writeStateFile(manifestPath(directory), `${JSON.stringify(manifest, null, 1)}\n`);
}

export async function currentBootId(root = '/'): Promise<string | null> {
  return (await readFile(join(root, 'proc', 'sys', 'kernel', 'random', 'boot_id'), 'utf8').catch(() => '')).trim() || null;
}

/** Only our own names inside the directory are ever deleted. */
export function isOwnFile(directory: string, path: string): boolean {
  return path === join(directory, basename(path)) && FILE_NAME.test(basename(path));
}

export async function removeFiles(directory: string, files: string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const f of files.filter((x) => isOwnFile(directory, x))) {
    const existed = await unlink(f).then(() => true, async (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      if (err.code !== 'EPERM') throw err;
      // The kernel allocator made it immutable while the module could write into it.
      clearImmutable(f);
      await unlink(f);
      return true;
    });
    if (existed) removed.push(f);
  }
  return removed;
}

export async function removeManifest(directory: string): Promise<void> {
  await rm(manifestPath(directory), { force: true });
  await rm(`${manifestPath(directory)}.tmp`, { force: true });
}
