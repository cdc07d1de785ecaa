// errno → named error whose message says what the errno means for this call in this dialect.
import { appError, errnoError, type BlksnapError, type ErrnoName } from '../../../shared/errors';
import type { SyscallResult } from './native';

/** errno name → what it means for one call (one dialect may override another's). */
export type Meanings = Partial<Record<ErrnoName, string>>;

/** Meanings shared by every call of every dialect, used where a call has no entry of its own. */
export const COMMON_MEANINGS: Meanings = {
  EPERM: 'not permitted: run blksnap Manager as root (or with CAP_SYS_ADMIN)',
  EACCES: 'permission denied: run blksnap Manager as root or grant access to the node',
  EINTR: 'interrupted by a signal before the module answered; retry',
  ENOMEM: 'the kernel is out of memory',
  EFAULT: 'the module could not read or write the argument (a client bug or a dialect mismatch)',
  ENOTTY: 'the module does not know this request number (the loaded module speaks another dialect)',
  EBADF: 'the node was closed (client bug)',
};

export type Details = Record<string, string | number | boolean | null>;

/** The error for a failed syscall; `meanings` first, then the common ones, then strerror. */
export function syscallError(result: SyscallResult, operation: string, meanings: Meanings, details: Details = {}): BlksnapError {
  const name = result.errnoName;
  if (!name) {
    return appError('EINTERNAL', `${operation}: the kernel answered errno ${result.errno}, which blksnap Manager does not know`, { ...details, errno: result.errno });
  }
  const meaning = meanings[name] ?? COMMON_MEANINGS[name] ?? 'not expected from this call; see the kernel log (dmesg)';
  return errnoError(name, operation, meaning, details);
}

/** Merges meaning tables, later ones winning. */
export function meanings(...tables: (Meanings | undefined)[]): Meanings {
  return Object.assign({}, ...tables.filter(Boolean)) as Meanings;
}
