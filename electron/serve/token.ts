// The service's persistent access token: <stateDir>/token, 64 hex digits, mode 0600, made on
// first start and kept, so the URL (and blksnapctl, and bookmarks) survive restarts.
// `blksnapctl token rotate` replaces it and tells the running service (SIGHUP) to reload it.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeStateFileSync } from '../app/stateFiles';

export const TOKEN_FILE = 'token';
const TOKEN_RE = /^[0-9a-f]{64}$/;

export function tokenPath(stateDir: string): string {
  return join(stateDir, TOKEN_FILE);
}

/** The stored token, or null when there is none yet. Refuses a file others can read or a symlink. */
export function readToken(stateDir: string): string | null {
  const file = tokenPath(stateDir);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new Error(`${file} is a symbolic link; refusing to read a token through it`, { cause: err });
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${file} is not a regular file`);
    if ((st.mode & 0o077) !== 0) throw new Error(`${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it or run blksnapctl token rotate`);
    const token = readFileSync(fd, 'utf8').trim();
    if (!TOKEN_RE.test(token)) throw new Error(`${file} does not hold a token (64 hex digits); run blksnapctl token rotate`);
    return token;
  } finally {
    closeSync(fd);
  }
}

export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** Writes a new token and returns it. */
export function rotateToken(stateDir: string): string {
  const token = newToken();
  writeStateFileSync(tokenPath(stateDir), `${token}\n`);
  return token;
}

/** The stored token, made on first use. */
export function loadOrCreateToken(stateDir: string): string {
  return readToken(stateDir) ?? rotateToken(stateDir);
}
