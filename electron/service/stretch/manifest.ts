// The stretch directory's manifests, one per snapshot (`.blksnap-stretch-<id>.json`): which
// storage files belong to the snapshot and the limit asked at create, written before each file
// is created. A later process (another blksnapctl run, an app restart) resumes from it with the
// same limit; files left by a crash are found and deleted, but never while the module may still
// write into their sectors. Several snapshots' files may share a directory: one leftover does
// not block the next snapshot.
import { readdir, readFile, rm, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { writeStateFile } from '../../app/stateFiles';
import { clearImmutable } from './fiemap';

const PREFIX = '.blksnap-stretch-';
/** The single manifest of earlier versions; read as a leftover, never written. */
export const LEGACY_MANIFEST_NAME = '.blksnap-stretch.json';
const FILE_NAME = /^diff_storage#\d+$/;

export interface StretchManifest {
  version: 1;
  snapshotId: string;
  /** /proc/sys/kernel/random/boot_id when written: after a reboot no module holds the files. */
  bootId: string | null;
  createdAtMs: number;
  /** The stretch limit asked at create (null in manifests of earlier versions). */
  limitBytes: number | null;
  /** Storage files (absolute paths), each listed before it is created. */
  files: string[];
}

export function manifestName(snapshotId: string): string {
  return `${PREFIX}${snapshotId}.json`;
}

export function manifestPath(directory: string, snapshotId: string): string {
  return join(directory, manifestName(snapshotId));
}

async function readOne(path: string): Promise<StretchManifest | null> {
  try {
    const data = JSON.parse(await readFile(path, 'utf8')) as Partial<StretchManifest>;
    if (data.version !== 1 || typeof data.snapshotId !== 'string' || !Array.isArray(data.files)) return null;
    const limit = typeof data.limitBytes === 'number' && Number.isSafeInteger(data.limitBytes) && data.limitBytes >= 0 ? data.limitBytes : null;
    return {
      version: 1, snapshotId: data.snapshotId, bootId: data.bootId ?? null, createdAtMs: Number(data.createdAtMs ?? 0),
      limitBytes: limit, files: data.files.filter((f) => typeof f === 'string'),
    };
  } catch {
    return null;
  }
}

/** Every manifest in `directory` (the legacy one too), with the file it was read from. */
export async function listManifests(directory: string): Promise<{ path: string; manifest: StretchManifest }[]> {
  const names = await readdir(directory).catch(() => [] as string[]);
  const out: { path: string; manifest: StretchManifest }[] = [];
  for (const name of names.sort()) {
    if (name !== LEGACY_MANIFEST_NAME && !(name.startsWith(PREFIX) && name.endsWith('.json'))) continue;
    const manifest = await readOne(join(directory, name));
    if (manifest) out.push({ path: join(directory, name), manifest });
  }
  return out;
}

/** The manifest of `snapshotId` in `directory`, if any. */
export async function readManifest(directory: string, snapshotId: string): Promise<StretchManifest | null> {
  const own = await readOne(manifestPath(directory, snapshotId));
  if (own?.snapshotId === snapshotId) return own;
  const legacy = await readOne(join(directory, LEGACY_MANIFEST_NAME));
  return legacy?.snapshotId === snapshotId ? legacy : null;
}

/** Written to a temporary name and renamed: a crash leaves the old or the new manifest. */
export async function writeManifest(directory: string, manifest: StretchManifest): Promise<void> {
  await writeStateFile(manifestPath(directory, manifest.snapshotId), `${JSON.stringify(manifest, null, 1)}\n`);
  // A legacy manifest of the same snapshot is superseded.
  const legacy = await readOne(join(directory, LEGACY_MANIFEST_NAME));
  if (legacy?.snapshotId === manifest.snapshotId) await rm(join(directory, LEGACY_MANIFEST_NAME), { force: true });
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

/** Removes the manifest of `snapshotId` (and the legacy one if it is that snapshot's). */
export async function removeManifest(directory: string, snapshotId: string): Promise<void> {
  await rm(manifestPath(directory, snapshotId), { force: true });
  const legacy = await readOne(join(directory, LEGACY_MANIFEST_NAME));
  if (legacy?.snapshotId === snapshotId) await rm(join(directory, LEGACY_MANIFEST_NAME), { force: true });
}
