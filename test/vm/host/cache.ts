// The VM harness's cache: everything slow (Debian's kernel image, built modules, patched
// kernels) lives outside the clone, in a directory keyed by hashes of what went into it, so a
// change to a source tarball, patch set, config or recipe rebuilds exactly what it affects.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CACHE_DIR = process.env.BLKSNAP_VM_CACHE ?? '/var/cache/blksnap-manager-vm';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A short key for a list of parts (names, versions, file hashes). */
export function keyOf(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16);
}

/**
 * `dir` when it was completed before; otherwise runs `build` in a scratch directory and moves
 * it into place only on success, so an interrupted build never looks finished.
 */
export async function cached(dir: string, build: (scratch: string) => Promise<void>): Promise<{ dir: string; built: boolean }> {
  if (existsSync(join(dir, '.done'))) return { dir, built: false };
  const scratch = `${dir}.tmp-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    await build(scratch);
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true });
    throw err;
  }
  writeFileSync(join(scratch, '.done'), `${new Date().toISOString()}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(scratch, dir);
  return { dir, built: true };
}
