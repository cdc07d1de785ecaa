// The VM harness's cache: everything slow (Debian's kernel image, built modules, patched
// kernels) lives outside the clone, in a directory keyed by hashes of what went into it, so a
// change to a source tarball, patch set, config or recipe rebuilds exactly what it affects.
import { createHash, randomUUID } from 'node:crypto';
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

/** Test seams: `beforeTakeover` runs after a waiter decided the builder is dead, before it acts on it. */
export interface LockHooks {
  beforeTakeover?: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readLock(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Takes `<dir>.lock` (it holds the builder's pid and a token of this hold). When another live
 * process holds it (e.g. the kernels building in the background while the Veeam guests run, or
 * `--prepare` started by .ci/run), waits for it to finish instead of building the same thing
 * twice; a builder that died is taken over (takeOver).
 */
/** The tokens of the locks this process holds now: a lock with our pid and another token is a dead run's (pids repeat). */
const HELD_TOKENS = new Set<string>();

async function lock(dir: string, onWait?: (pid: number) => void, hooks?: LockHooks): Promise<{ path: string; token: string }> {
  const path = `${dir}.lock`;
  const token = randomUUID();
  const mine = `${process.pid} ${token}\n`;
  mkdirSync(dirname(path), { recursive: true });
  let told = false;
  for (;;) {
    try {
      writeFileSync(path, mine, { flag: 'wx' });
      HELD_TOKENS.add(token);
      return { path, token };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const seen = readLock(path);
    if (seen === null) continue; // released since: try again
    const [pidText, seenToken] = seen.trim().split(/\s+/);
    const pid = Number(pidText);
    // Our own pid is alive only for a lock this process holds (another build of the same
    // directory in this process); with another token it was left by a killed run that had it.
    if (pid > 0 && (pid === process.pid ? HELD_TOKENS.has(seenToken ?? '') : alive(pid))) {
      if (!told) onWait?.(pid);
      told = true;
      await sleep(2000);
    } else if (pid > 0 || Date.now() - mtimeMs(path) > 10_000) {
      await hooks?.beforeTakeover?.();
      if (!takeOver(path, seen)) await sleep(200);
    } else {
      await sleep(200); // just created, pid not written yet
    }
  }
}

/**
 * Removes a dead builder's lock, but only if it still holds what this waiter saw: two waiters
 * can see the same dead builder, and the later one must not remove the lock the earlier one has
 * taken since (both would build). The check and the removal run under `<lock>.takeover`, held
 * for a few synchronous calls only. False when another waiter holds that guard.
 */
function takeOver(path: string, seen: string): boolean {
  const guard = `${path}.takeover`;
  try {
    writeFileSync(guard, `${process.pid}\n`, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (Date.now() - mtimeMs(guard) > 10_000) rmSync(guard, { force: true }); // its holder was killed in those few calls
    return false;
  }
  try {
    if (readLock(path) === seen) rmSync(path, { force: true });
    return true;
  } finally {
    rmSync(guard, { force: true });
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
export async function cached(dir: string, build: (scratch: string) => Promise<void>, onWait?: (pid: number) => void, hooks?: LockHooks): Promise<{ dir: string; built: boolean }> {
  if (existsSync(join(dir, '.done'))) return { dir, built: false };
  const held = await lock(dir, onWait, hooks);
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
    HELD_TOKENS.delete(held.token);
    rmSync(held.path, { force: true });
  }
}
