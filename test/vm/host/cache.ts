// The VM harness's cache: everything slow (Debian's kernel image, built modules, patched
// kernels) lives outside the clone, in a directory keyed by hashes of what went into it, so a
// change to a source tarball, patch set, config or recipe rebuilds exactly what it affects.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
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

/** Is the process `pid` (on this machine) still running? */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<dir>.lock` (it holds the builder's pid). When another live process holds it (e.g. the
 * kernels building in the background while the Veeam guests run, or `--prepare` started by
 * .ci/run), waits for it to finish instead of building the same thing twice.
 */
async function lock(dir: string, onWait?: (pid: number) => void): Promise<string> {
  const path = `${dir}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  let told = false;
  for (;;) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (pid > 0 && pid !== process.pid && alive(pid)) {
      if (!told) onWait?.(pid);
      told = true;
      await new Promise((r) => setTimeout(r, 2000));
    } else if (pid > 0 || Date.now() - mtimeMs(path) > 10_000) {
      rmSync(path, { force: true }); // its builder died (or wrote no pid in 10 s): take over
    } else {
      await new Promise((r) => setTimeout(r, 200)); // just created, pid not written yet
    }
  }
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * `dir` when it was completed before; otherwise runs `build` in a scratch directory and moves
 * it into place only on success, so an interrupted build never looks finished. One builder at
 * a time per `dir` (see `lock`); `onWait` is told when this process waits for another.
 */
export async function cached(dir: string, build: (scratch: string) => Promise<void>, onWait?: (pid: number) => void): Promise<{ dir: string; built: boolean }> {
  if (existsSync(join(dir, '.done'))) return { dir, built: false };
  const held = await lock(dir, onWait);
  try {
    if (existsSync(join(dir, '.done'))) return { dir, built: false }; // the other builder finished it
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
  } finally {
    rmSync(held, { force: true });
  }
}
