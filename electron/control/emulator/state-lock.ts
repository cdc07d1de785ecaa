// One owner process per state directory: a lock file holding the owner's pid. A lock left by
// a dead process (SIGKILL, crash) is reclaimed; a live owner's lock gets a clear error naming it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { errnoError } from '../../../shared/errors';
import { checkStateDir } from '../../app/stateFiles';

export const LOCK_FILE = 'owner.lock';

export interface StateOwner {
  pid: number;
  hostname: string;
  /** ISO time the owner opened the directory. */
  startedAt: string;
}

function parseOwner(text: string): StateOwner | null {
  try {
    const v = JSON.parse(text) as Partial<StateOwner>;
    if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0) return null;
    return { pid: v.pid, hostname: String(v.hostname ?? ''), startedAt: String(v.startedAt ?? '') };
  } catch {
    return null;
  }
}

/** A pid on another host (a shared state directory) cannot be checked: count it as alive. */
function ownerAlive(owner: StateOwner): boolean {
  if (owner.hostname && owner.hostname !== os.hostname()) return true;
  return processAlive(owner.pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(lockPath: string): StateOwner | null | 'missing' {
  try {
    return parseOwner(fs.readFileSync(lockPath, 'utf8'));
  } catch {
    return 'missing';
  }
}

/** Who owns a state directory now: a live process's pid, or null when nobody does. */
export function readStateOwner(stateDir: string): StateOwner | null {
  const owner = readLock(path.join(stateDir, LOCK_FILE));
  if (owner === 'missing' || owner === null) return null;
  return ownerAlive(owner) ? owner : null;
}

export interface StateLock {
  /** The dead owner whose lock was reclaimed (its process ended without closing), if any. */
  reclaimedFrom: StateOwner | null;
  release(): void;
}

export function acquireStateLock(stateDir: string): StateLock {
  checkStateDir(stateDir);
  const lockPath = path.join(stateDir, LOCK_FILE);
  const me: StateOwner = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
  let reclaimedFrom: StateOwner | null = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx', 0o600);
      fs.writeSync(fd, JSON.stringify(me));
      fs.closeSync(fd);
      return {
        reclaimedFrom,
        release: () => {
          const now = readLock(lockPath);
          if (now !== 'missing' && now?.pid === process.pid) fs.rmSync(lockPath, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readLock(lockPath);
    if (owner === 'missing') continue;
    if (owner && ownerAlive(owner)) {
      const who = owner.pid === process.pid ? 'this process'
        : owner.hostname !== os.hostname() ? `process ${owner.pid} on host ${owner.hostname}` : `process ${owner.pid}`;
      throw errnoError('EBUSY', 'open emulator state', `${stateDir} is owned by ${who} (pid ${owner.pid}, since ${owner.startedAt}); talk to that process instead or stop it`, {
        stateDir, ownerPid: owner.pid, ownerStartedAt: owner.startedAt,
      });
    }
    // Stale (dead owner) or unreadable: reclaim it.
    reclaimedFrom = owner ?? { pid: 0, hostname: '', startedAt: '' };
    fs.rmSync(lockPath, { force: true });
  }
  throw errnoError('EBUSY', 'open emulator state', `could not take the lock ${lockPath}: other processes keep racing for it`, { stateDir });
}
