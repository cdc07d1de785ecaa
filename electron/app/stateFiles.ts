// Files of a state directory (runtime.json with the token, the emulator's state.json, the
// service registry, persistent tokens): the app runs as root, so a symlink planted in the
// directory must never redirect a write, and nothing in it may be readable by other users.
// Every write goes to a fresh temporary file (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600) that is
// then renamed over the name: rename replaces a symlink itself, never its target. A state
// directory others can write to (or that another user owns) is refused with how to fix it.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { appError } from '../../shared/errors';

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY, O_RDONLY } = fs.constants;
const TEMP_FLAGS = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
export const STATE_FILE_MODE = 0o600;
export const STATE_DIR_MODE = 0o700;

/** Why `dir` is not a safe state directory, with how to fix it; null when it is. */
export function stateDirProblem(dir: string, uid: number | null = currentUid()): string | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    return `the state directory ${dir} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  if (!st.isDirectory()) return `the state directory ${dir} is not a directory`;
  if (uid !== null && st.uid !== uid) {
    return `the state directory ${dir} is owned by uid ${st.uid}, not by this user (uid ${uid}): another user could replace its files. Fix: chown ${uid} ${shellQuote(dir)}, or choose a directory of your own with --emulator-dir`;
  }
  if ((st.mode & 0o022) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    return `the state directory ${dir} is writable by ${st.mode & 0o002 ? 'every user' : 'its group'} (mode ${mode}): another user could plant files in it. Fix: chmod 700 ${shellQuote(dir)}`;
  }
  return null;
}

/** Throws EPERM naming the problem and the fix when `dir` is not a safe state directory. */
export function checkStateDir(dir: string): void {
  const problem = stateDirProblem(dir);
  if (problem) throw appError('EGUARD', `refusing to use ${problem}`, { stateDir: dir });
}

/** Creates `dir` (mode 0700) where missing, then checks it. */
export function ensureStateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
  checkStateDir(dir);
}

/**
 * Replaces `file` atomically with `data`, mode 0600: written to a new temporary file beside it
 * (never an existing one, never through a symlink), flushed, then renamed over `file`.
 * `durable: false` skips the flush (fsync), for a file that only describes this running process
 * (runtime.json): after a crash or a power loss it names a process that is gone either way, while
 * the flush cost a start 4 ms before its URL, 12-24 ms at times (p50, p90-max at load 7; 56 ms in
 * one profile at load 9). Readers still never see half a file: the rename makes it appear.
 */
export function writeStateFileSync(file: string, data: string | Uint8Array, { durable = true }: { durable?: boolean } = {}): void {
  const tmp = tempName(file);
  let fd: number;
  try {
    fd = fs.openSync(tmp, TEMP_FLAGS, STATE_FILE_MODE);
  } catch (err) {
    // A leftover of a crashed run of this pid, or something planted: unlink removes the name
    // itself (a symlink, not its target), then the exclusive open is tried once more.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' && (err as NodeJS.ErrnoException).code !== 'ELOOP') throw err;
    fs.rmSync(tmp, { force: true });
    fd = fs.openSync(tmp, TEMP_FLAGS, STATE_FILE_MODE);
  }
  try {
    fs.fchmodSync(fd, STATE_FILE_MODE);
    fs.writeFileSync(fd, data);
    if (durable) fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** The asynchronous twin of writeStateFileSync. */
export async function writeStateFile(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempName(file);
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(tmp, TEMP_FLAGS, STATE_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' && (err as NodeJS.ErrnoException).code !== 'ELOOP') throw err;
    await fsp.rm(tmp, { force: true });
    handle = await fsp.open(tmp, TEMP_FLAGS, STATE_FILE_MODE);
  }
  try {
    await handle.chmod(STATE_FILE_MODE);
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/** Reads a state file without following a symlink at its name (ELOOP then) and only a regular file. */
export function readStateFileSync(file: string): string {
  const fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW);
  try {
    if (!fs.fstatSync(fd).isFile()) throw appError('EGUARD', `${file} is not a regular file`, { path: file });
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** Per process, so two processes writing the same name never share a temporary file. */
function tempName(file: string): string {
  return `${file}.${process.pid}.tmp`;
}

function currentUid(): number | null {
  return typeof process.getuid === 'function' ? process.getuid() : null;
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
